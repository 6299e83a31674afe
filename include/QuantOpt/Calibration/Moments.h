//===- Moments.h - Per-channel moments of a layer input ----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What the quantization algorithms beyond round-to-nearest read from
// calibration (docs/Algorithms.md): for a layer's input viewed as rows of
// `channels` values (the input-channel axis of the layer; every other axis
// indexes rows), the per-channel absolute maximum, sum of absolute values and
// sum (SmoothQuant, AWQ, bias correction) and, on request, the second-moment
// matrix X^T X (GPTQ's Hessian, up to the factor 2 / rows).
//
// Sums are exact and order-independent: each batch's sums are computed in
// double, rounded once to a 128-bit fixed-point number with 64 fraction bits
// (ExactSum), and added as integers. A calibration split into shards (threads,
// or runs merged by `quant-stats merge`) therefore gives the same bits as one
// sequential run over the same batches.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_MOMENTS_H
#define QUANTOPT_CALIBRATION_MOMENTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quantopt {
namespace calibration {

/// What a layer's observer collects beyond ranges and histograms.
enum class MomentsKind {
  /// absMax, sum |x| and sum x per channel.
  Channels = 1,
  /// The same and X^T X.
  Hessian = 2,
};
llvm::StringRef getMomentsName(MomentsKind kind);
std::optional<MomentsKind> parseMomentsName(llvm::StringRef name);

/// A sum kept as a 128-bit two's complement fixed-point number with
/// kFractionBits fraction bits: addition is exact and associative.
class ExactSum {
public:
  static constexpr int kFractionBits = 64;
  /// Values added must have |v| < 2^kMaxAddendLog2; sums stay below
  /// 2^kMaxSumLog2 in magnitude.
  static constexpr int kMaxAddendLog2 = 62;
  static constexpr int kMaxSumLog2 = 125;

  /// Adds `v` rounded to the nearest multiple of 2^-64. False (and nothing
  /// added) when `v` is not finite or the sum would leave the range.
  bool add(double v);
  bool add(const ExactSum &other);
  /// The sum, rounded to double.
  double getValue() const;

  /// Raw two's complement halves (for files).
  uint64_t getLow() const;
  int64_t getHigh() const;
  static ExactSum fromParts(uint64_t low, int64_t high);
  bool operator==(const ExactSum &other) const { return value == other.value; }

private:
  __int128 value = 0;
};

/// The moments of one layer input.
struct ChannelMoments {
  MomentsKind kind = MomentsKind::Channels;
  int64_t channels = 0;
  /// Rows observed, and rows left out because a value was NaN or infinite.
  uint64_t rows = 0, skippedRows = 0;
  /// Per channel; absMax is 0 before the first row.
  std::vector<float> absMax;
  std::vector<ExactSum> sumAbs, sum;
  /// Hessian only: X^T X, its upper triangle row by row
  /// (`channels * (channels + 1) / 2` entries).
  std::vector<ExactSum> gram;

  ChannelMoments() = default;
  ChannelMoments(MomentsKind kind, int64_t channels);

  /// Adds one batch: `data` row-major of `shape`, channels on `axis`. Fails
  /// when the channel count changes or a sum would overflow.
  llvm::Error observe(llvm::ArrayRef<float> data, llvm::ArrayRef<int64_t> shape,
                      int64_t axis);
  /// Adds the rows of `other` (same kind and channels).
  llvm::Error merge(const ChannelMoments &other);
  bool operator==(const ChannelMoments &other) const;

  std::vector<double> getMeanAbs() const;
  std::vector<double> getMean() const;
  /// X^T X as a full symmetric `[channels, channels]` matrix (Hessian only).
  std::vector<double> getGram() const;

  /// The binary record (docs/Calibration.md, "moments file"): absMax as
  /// float32, then sumAbs, sum and (Hessian) gram as 16-byte little-endian
  /// integers.
  size_t getRecordBytes() const;
  static size_t getRecordBytes(MomentsKind kind, int64_t channels);
  void appendRecord(std::vector<uint8_t> &out) const;
  /// Reads a record written by appendRecord (`bytes` is exactly one).
  static llvm::Expected<ChannelMoments>
  fromRecord(llvm::ArrayRef<uint8_t> bytes, MomentsKind kind, int64_t channels,
             uint64_t rows, uint64_t skippedRows, llvm::StringRef where);
};

} // namespace calibration
} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_MOMENTS_H
