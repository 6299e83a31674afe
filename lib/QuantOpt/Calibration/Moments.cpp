//===- Moments.cpp - Per-channel moments of a layer input -----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/Moments.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace quantopt;
using namespace quantopt::calibration;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::StringRef quantopt::calibration::getMomentsName(MomentsKind kind) {
  return kind == MomentsKind::Hessian ? "hessian" : "channels";
}

std::optional<MomentsKind>
quantopt::calibration::parseMomentsName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<MomentsKind>>(name)
      .Case("channels", MomentsKind::Channels)
      .Case("hessian", MomentsKind::Hessian)
      .Default(std::nullopt);
}

//===----------------------------------------------------------------------===//
// ExactSum
//===----------------------------------------------------------------------===//

static bool inSumRange(__int128 v) {
  __int128 limit = static_cast<__int128>(1) << ExactSum::kMaxSumLog2;
  return v < limit && v > -limit;
}

bool ExactSum::add(double v) {
  if (!std::isfinite(v) || std::fabs(v) >= std::ldexp(1.0, kMaxAddendLog2))
    return false;
  // Exact: a power-of-two scaling, then one rounding to an integer (ties to
  // even), which converts to 128 bits exactly.
  double scaled = std::nearbyint(std::ldexp(v, kFractionBits));
  __int128 sum;
  if (__builtin_add_overflow(value, static_cast<__int128>(scaled), &sum) ||
      !inSumRange(sum))
    return false;
  value = sum;
  return true;
}

bool ExactSum::add(const ExactSum &other) {
  __int128 sum;
  if (__builtin_add_overflow(value, other.value, &sum) || !inSumRange(sum))
    return false;
  value = sum;
  return true;
}

double ExactSum::getValue() const {
  return std::ldexp(static_cast<double>(value), -kFractionBits);
}

uint64_t ExactSum::getLow() const { return static_cast<uint64_t>(value); }
int64_t ExactSum::getHigh() const { return static_cast<int64_t>(value >> 64); }

ExactSum ExactSum::fromParts(uint64_t low, int64_t high) {
  ExactSum s;
  // In unsigned arithmetic: shifting a negative value left is undefined in
  // C++17 (UBSan found it); the conversion back wraps (two's complement).
  unsigned __int128 bits =
      (static_cast<unsigned __int128>(static_cast<uint64_t>(high)) << 64) |
      low;
  s.value = static_cast<__int128>(bits);
  return s;
}

//===----------------------------------------------------------------------===//
// ChannelMoments
//===----------------------------------------------------------------------===//

ChannelMoments::ChannelMoments(MomentsKind kind, int64_t channels)
    : kind(kind), channels(channels), absMax(channels, 0.0f),
      sumAbs(channels), sum(channels) {
  if (kind == MomentsKind::Hessian)
    gram.resize(channels * (channels + 1) / 2);
}

static llvm::Error overflow() {
  return makeError("a moment overflowed its 128-bit sum (activations of "
                   "magnitude 2^31 or more)");
}

llvm::Error ChannelMoments::observe(llvm::ArrayRef<float> data,
                                    llvm::ArrayRef<int64_t> shape,
                                    int64_t axis) {
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
    return makeError(llvm::formatv("moments on axis {0} of a rank-{1} tensor",
                                   axis, shape.size()));
  if (shape[axis] != channels)
    return makeError(llvm::formatv("moments of {0} channels, but this batch "
                                   "has {1} on axis {2}",
                                   channels, shape[axis], axis));
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  int64_t total = static_cast<int64_t>(data.size());
  int64_t numRows = channels ? total / channels : 0;

  // The finite rows, each as `channels` contiguous values.
  std::vector<float> rowsBuf;
  rowsBuf.reserve(total);
  int64_t kept = 0;
  std::vector<float> row(channels);
  for (int64_t r = 0; r < numRows; ++r) {
    int64_t outer = r / inner, in = r % inner;
    const float *base = data.data() + outer * channels * inner + in;
    bool finite = true;
    for (int64_t c = 0; c < channels; ++c) {
      row[c] = base[c * inner];
      finite &= std::isfinite(row[c]);
    }
    if (!finite) {
      ++skippedRows;
      continue;
    }
    rowsBuf.insert(rowsBuf.end(), row.begin(), row.end());
    ++kept;
  }
  if (kept == 0)
    return llvm::Error::success();

  // This batch's sums in double, in row order, then rounded once.
  std::vector<double> batchAbs(channels, 0.0), batchSum(channels, 0.0);
  for (int64_t r = 0; r < kept; ++r) {
    const float *x = &rowsBuf[r * channels];
    for (int64_t c = 0; c < channels; ++c) {
      batchAbs[c] += std::fabs(x[c]);
      batchSum[c] += x[c];
      absMax[c] = std::max(absMax[c], std::fabs(x[c]));
    }
  }
  for (int64_t c = 0; c < channels; ++c)
    if (!sumAbs[c].add(batchAbs[c]) || !sum[c].add(batchSum[c]))
      return overflow();

  if (kind == MomentsKind::Hessian) {
    // X^T X on tiles of kTileI x kTileJ entries, accumulated over every row
    // (products of floats are exact in double; the order is fixed).
    constexpr int64_t kTileI = 32, kTileJ = 256;
    std::vector<double> acc(kTileI * kTileJ);
    for (int64_t i0 = 0; i0 < channels; i0 += kTileI) {
      int64_t i1 = std::min(i0 + kTileI, channels);
      for (int64_t j0 = i0; j0 < channels; j0 += kTileJ) {
        int64_t j1 = std::min(j0 + kTileJ, channels);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t r = 0; r < kept; ++r) {
          const float *x = &rowsBuf[r * channels];
          for (int64_t i = i0; i < i1; ++i) {
            double xi = x[i];
            if (xi == 0)
              continue; // adds only zeros
            double *a = acc.data() + (i - i0) * kTileJ;
            for (int64_t j = std::max(j0, i); j < j1; ++j)
              a[j - j0] += xi * static_cast<double>(x[j]);
          }
        }
        for (int64_t i = i0; i < i1; ++i) {
          // Row i of the upper triangle starts at i * channels - i(i-1)/2.
          int64_t rowStart = i * channels - i * (i - 1) / 2 - i;
          for (int64_t j = std::max(j0, i); j < j1; ++j)
            if (!gram[rowStart + j].add(acc[(i - i0) * kTileJ + (j - j0)]))
              return overflow();
        }
      }
    }
  }
  rows += kept;
  return llvm::Error::success();
}

llvm::Error ChannelMoments::merge(const ChannelMoments &other) {
  if (other.kind != kind || other.channels != channels)
    return makeError(llvm::formatv(
        "moments of different kinds or channel counts ({0} of {1} channels "
        "and {2} of {3})",
        getMomentsName(kind), channels, getMomentsName(other.kind),
        other.channels));
  for (int64_t c = 0; c < channels; ++c) {
    absMax[c] = std::max(absMax[c], other.absMax[c]);
    if (!sumAbs[c].add(other.sumAbs[c]) || !sum[c].add(other.sum[c]))
      return overflow();
  }
  for (size_t i = 0; i < gram.size(); ++i)
    if (!gram[i].add(other.gram[i]))
      return overflow();
  rows += other.rows;
  skippedRows += other.skippedRows;
  return llvm::Error::success();
}

bool ChannelMoments::operator==(const ChannelMoments &other) const {
  return kind == other.kind && channels == other.channels &&
         rows == other.rows && skippedRows == other.skippedRows &&
         absMax == other.absMax && sumAbs == other.sumAbs && sum == other.sum &&
         gram == other.gram;
}

std::vector<double> ChannelMoments::getMeanAbs() const {
  std::vector<double> out(channels, 0.0);
  for (int64_t c = 0; c < channels && rows; ++c)
    out[c] = sumAbs[c].getValue() / static_cast<double>(rows);
  return out;
}

std::vector<double> ChannelMoments::getMean() const {
  std::vector<double> out(channels, 0.0);
  for (int64_t c = 0; c < channels && rows; ++c)
    out[c] = sum[c].getValue() / static_cast<double>(rows);
  return out;
}

std::vector<double> ChannelMoments::getGram() const {
  std::vector<double> out;
  if (kind != MomentsKind::Hessian)
    return out;
  out.resize(channels * channels);
  size_t k = 0;
  for (int64_t i = 0; i < channels; ++i)
    for (int64_t j = i; j < channels; ++j, ++k)
      out[i * channels + j] = out[j * channels + i] = gram[k].getValue();
  return out;
}

size_t ChannelMoments::getRecordBytes(MomentsKind kind, int64_t channels) {
  size_t n = channels * 4 + 2 * channels * 16;
  if (kind == MomentsKind::Hessian)
    n += channels * (channels + 1) / 2 * 16;
  return n;
}

size_t ChannelMoments::getRecordBytes() const {
  return getRecordBytes(kind, channels);
}

void ChannelMoments::appendRecord(std::vector<uint8_t> &out) const {
  size_t start = out.size();
  out.resize(start + getRecordBytes());
  uint8_t *p = out.data() + start;
  for (float v : absMax) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    llvm::support::endian::write32le(p, bits);
    p += 4;
  }
  auto put = [&](const std::vector<ExactSum> &sums) {
    for (const ExactSum &s : sums) {
      llvm::support::endian::write64le(p, s.getLow());
      llvm::support::endian::write64le(p + 8, static_cast<uint64_t>(s.getHigh()));
      p += 16;
    }
  };
  put(sumAbs);
  put(sum);
  put(gram);
}

llvm::Expected<ChannelMoments>
ChannelMoments::fromRecord(llvm::ArrayRef<uint8_t> bytes, MomentsKind kind,
                           int64_t channels, uint64_t rows,
                           uint64_t skippedRows, llvm::StringRef where) {
  auto fail = [&](const llvm::Twine &message) {
    return makeError(where + ": " + message);
  };
  if (channels <= 0 || channels > (1 << 16))
    return fail("moments need 1 to 65536 channels");
  if (bytes.size() != getRecordBytes(kind, channels))
    return fail(llvm::formatv("a {0} record of {1} channels has {2} bytes, not "
                              "{3}",
                              getMomentsName(kind), channels,
                              getRecordBytes(kind, channels), bytes.size()));
  ChannelMoments m(kind, channels);
  m.rows = rows;
  m.skippedRows = skippedRows;
  const uint8_t *p = bytes.data();
  for (float &v : m.absMax) {
    uint32_t bits = llvm::support::endian::read32le(p);
    std::memcpy(&v, &bits, 4);
    p += 4;
    if (!std::isfinite(v) || !(v >= 0))
      return fail("a channel's absolute maximum is negative or not finite");
  }
  auto get = [&](std::vector<ExactSum> &sums) {
    for (ExactSum &s : sums) {
      s = ExactSum::fromParts(
          llvm::support::endian::read64le(p),
          static_cast<int64_t>(llvm::support::endian::read64le(p + 8)));
      p += 16;
    }
  };
  get(m.sumAbs);
  get(m.sum);
  get(m.gram);
  // Each channel's sums are bounded by rows * absMax (plus the rounding of
  // the batches, far below this slack); the diagonal of X^T X likewise.
  double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    double bound = n * m.absMax[c] * (1 + 1e-9) + 1e-9;
    double a = m.sumAbs[c].getValue(), s = m.sum[c].getValue();
    if (a < 0 || a > bound || std::fabs(s) > a * (1 + 1e-9) + 1e-9)
      return fail(llvm::formatv("channel {0}'s sums do not fit its absolute "
                                "maximum and row count",
                                c));
  }
  if (kind == MomentsKind::Hessian) {
    size_t k = 0;
    for (int64_t i = 0; i < channels; k += channels - i, ++i) {
      double d = m.gram[k].getValue();
      double bound = n * double(m.absMax[i]) * m.absMax[i] * (1 + 1e-9) + 1e-9;
      if (d < 0 || d > bound)
        return fail(llvm::formatv("the diagonal of X^T X at channel {0} does "
                                  "not fit its absolute maximum and row count",
                                  i));
    }
  }
  return m;
}
