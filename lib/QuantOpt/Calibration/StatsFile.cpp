//===- StatsFile.cpp - Calibration statistics files (JSON) ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/StatsFile.h"
#include "QuantOpt/Support/Json.h"
#include "QuantOpt/Support/OutputFile.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace quantopt;
using namespace quantopt::calibration;
namespace json = llvm::json;

static llvm::Error fail(llvm::StringRef source, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 source + ": " + message);
}

const ObserverStats *StatsFile::lookup(llvm::StringRef name) const {
  for (const auto &[id, stats] : activations)
    if (id == name)
      return &stats;
  return nullptr;
}

/// Per-channel extremes; a channel that saw no finite value is null.
static json::Array toArray(llvm::ArrayRef<float> values) {
  json::Array array;
  for (float v : values)
    array.push_back(std::isfinite(v) ? json::Value(static_cast<double>(v))
                                     : json::Value(nullptr));
  return array;
}

static constexpr llvm::StringLiteral kMomentsMagic = "QNTMOMS1";
static constexpr size_t kMomentsHeaderBytes = 16;

bool StatsFile::hasMoments() const {
  for (const auto &entry : activations)
    if (entry.second.moments)
      return true;
  return false;
}

std::vector<uint8_t> StatsFile::getMomentsBytes() const {
  std::vector<uint8_t> bytes(kMomentsHeaderBytes, 0);
  std::memcpy(bytes.data(), kMomentsMagic.data(), kMomentsMagic.size());
  for (const auto &entry : activations)
    if (entry.second.moments)
      entry.second.moments->appendRecord(bytes);
  return bytes;
}

json::Value StatsFile::toJSON(llvm::StringRef momentsFile) const {
  json::Object observers;
  size_t offset = kMomentsHeaderBytes;
  for (const auto &[id, s] : activations) {
    json::Array shape;
    for (int64_t d : s.shape)
      shape.push_back(d);
    json::Object o{{"shape", std::move(shape)},
                   {"count", static_cast<int64_t>(s.count)},
                   {"non_finite", static_cast<int64_t>(s.nonFinite)},
                   {"batches", static_cast<int64_t>(s.batches)},
                   {"finite_batches", static_cast<int64_t>(s.finiteBatches)},
                   {"min", static_cast<double>(s.min)},
                   {"max", static_cast<double>(s.max)},
                   {"first_min", static_cast<double>(s.firstMin)},
                   {"first_max", static_cast<double>(s.firstMax)},
                   {"moving_min", static_cast<double>(s.movingMin)},
                   {"moving_max", static_cast<double>(s.movingMax)},
                   {"histogram", s.histogram.toJSON()}};
    if (s.hasAllBatchExtremes()) {
      json::Array extremes;
      for (auto [lo, hi] : s.batchExtremes)
        extremes.push_back(
            json::Array{static_cast<double>(lo), static_cast<double>(hi)});
      o["batch_extremes"] = std::move(extremes);
    }
    if (s.channelAxis >= 0) {
      o["channel_axis"] = s.channelAxis;
      o["channel_min"] = toArray(s.channelMin);
      o["channel_max"] = toArray(s.channelMax);
      if (s.channelMovingBatches.size() == s.channelMin.size()) {
        json::Array batches;
        for (uint64_t n : s.channelMovingBatches)
          batches.push_back(static_cast<int64_t>(n));
        o["channel_moving"] =
            json::Object{{"min", toArray(s.channelMovingMin)},
                         {"max", toArray(s.channelMovingMax)},
                         {"first_min", toArray(s.channelFirstMin)},
                         {"first_max", toArray(s.channelFirstMax)},
                         {"batches", std::move(batches)}};
      }
    }
    if (s.torchHistogram && s.torchHistogram->isInitialized()) {
      json::Array counts;
      for (float c : s.torchHistogram->getHistogram())
        counts.push_back(static_cast<double>(c));
      o["torch_histogram"] =
          json::Object{{"bins", s.torchHistogram->getNumBins()},
                       {"upsample_rate", s.torchHistogram->getUpsampleRate()},
                       {"min", static_cast<double>(s.torchHistogram->getMin())},
                       {"max", static_cast<double>(s.torchHistogram->getMax())},
                       {"counts", std::move(counts)}};
    }
    if (!s.torchHistogramError.empty())
      o["torch_histogram_error"] = s.torchHistogramError;
    if (!s.ortHistograms.empty()) {
      json::Array histograms;
      for (const OrtHistogram &h : s.ortHistograms) {
        json::Array value, absolute;
        for (uint64_t c : h.value)
          value.push_back(static_cast<int64_t>(c));
        for (uint64_t c : h.absolute)
          absolute.push_back(static_cast<int64_t>(c));
        histograms.push_back(json::Object{{"bins", h.bins},
                                          {"value", std::move(value)},
                                          {"absolute", std::move(absolute)}});
      }
      o["ort_histograms"] =
          json::Object{{"abs_min", static_cast<double>(s.absMin)},
                       {"nans", static_cast<int64_t>(s.nans)},
                       {"histograms", std::move(histograms)}};
    }
    if (s.moments) {
      size_t bytes = s.moments->getRecordBytes();
      o["moments"] = json::Object{
          {"kind", getMomentsName(s.moments->kind)},
          {"channels", s.moments->channels},
          {"rows", static_cast<int64_t>(s.moments->rows)},
          {"skipped_rows", static_cast<int64_t>(s.moments->skippedRows)},
          {"offset", static_cast<int64_t>(offset)},
          {"bytes", static_cast<int64_t>(bytes)}};
      offset += bytes;
    }
    observers[id] = std::move(o);
  }
  json::Object root{{"version", kVersion},
                    {"model", model},
                    {"histogram_bins", static_cast<int64_t>(histogramBins)},
                    {"averaging_constant", static_cast<double>(averagingConstant)},
                    {"activations", std::move(observers)}};
  if (hasMoments()) {
    std::vector<uint8_t> bytes = getMomentsBytes();
    root["moments_file"] =
        json::Object{{"name", momentsFile},
                     {"bytes", static_cast<int64_t>(bytes.size())},
                     {"crc32", static_cast<int64_t>(llvm::crc32(bytes))}};
  }
  return root;
}

/// Reads a float field that must be present and finite.
static llvm::Error readFloat(const json::Object &o, llvm::StringRef key,
                             llvm::StringRef where, float &out) {
  std::optional<double> v = o.getNumber(key);
  if (!v || !std::isfinite(*v) ||
      std::fabs(*v) > static_cast<double>(std::numeric_limits<float>::max()))
    return fail(where, llvm::Twine("expected a finite number for \"") + key +
                           "\"");
  out = static_cast<float>(*v);
  return llvm::Error::success();
}

static llvm::Error readCount(const json::Object &o, llvm::StringRef key,
                             llvm::StringRef where, uint64_t &out) {
  std::optional<int64_t> v = o.getInteger(key);
  if (!v || *v < 0)
    return fail(where, llvm::Twine("expected a non-negative integer for \"") +
                           key + "\"");
  out = static_cast<uint64_t>(*v);
  return llvm::Error::success();
}

/// Per-channel extremes: numbers, or null for a channel without finite
/// values (read as `empty`).
static llvm::Error readFloats(const json::Object &o, llvm::StringRef key,
                              llvm::StringRef where, float empty,
                              std::vector<float> &out) {
  const json::Array *array = o.getArray(key);
  if (!array)
    return fail(where, llvm::Twine("expected an array for \"") + key + "\"");
  for (const json::Value &v : *array) {
    if (v.getAsNull()) {
      out.push_back(empty);
      continue;
    }
    std::optional<double> d = v.getAsNumber();
    if (!d || !std::isfinite(*d) ||
        std::fabs(*d) > static_cast<double>(std::numeric_limits<float>::max()))
      return fail(where, llvm::Twine("expected finite float32 numbers or null "
                                     "in \"") +
                             key + "\"");
    out.push_back(static_cast<float>(*d));
  }
  return llvm::Error::success();
}

/// ONNX Runtime's histograms: {"abs_min": a, "histograms": [{"bins": n,
/// "value": [n counts], "absolute": [n counts]}, ...]}, each histogram
/// holding every finite value once.
static llvm::Error readOrtHistograms(const json::Value &v,
                                     const std::string &at, ObserverStats &s) {
  const json::Object *o = v.getAsObject();
  const json::Array *list = o ? o->getArray("histograms") : nullptr;
  if (!list)
    return fail(at, "expected \"abs_min\", \"nans\" and \"histograms\"");
  if (s.count == 0)
    return fail(at, "ONNX Runtime histograms of an activation without "
                    "finite values");
  if (llvm::Error err = readFloat(*o, "abs_min", at, s.absMin))
    return err;
  // The smallest magnitude is min for positive data, -max for negative
  // data, and at most the smaller extreme's magnitude otherwise.
  bool absMinOk = s.min > 0 ? s.absMin == s.min
                  : s.max < 0
                      ? s.absMin == -s.max
                      : s.absMin >= 0 && s.absMin <= std::min(std::fabs(s.min),
                                                              std::fabs(s.max));
  if (!absMinOk)
    return fail(at, "abs_min is not the smallest magnitude min and max allow");
  std::optional<int64_t> nans = o->getInteger("nans");
  if (!nans || *nans < 0 || static_cast<uint64_t>(*nans) > s.nonFinite)
    return fail(at, "\"nans\" must count at most the non-finite values");
  s.nans = static_cast<uint64_t>(*nans);
  for (const json::Value &item : *list) {
    const json::Object *h = item.getAsObject();
    std::optional<int64_t> bins = h ? h->getInteger("bins") : std::nullopt;
    if (!bins || *bins < 1 || *bins > (1 << 16))
      return fail(at, "each histogram needs \"bins\" in [1, 65536]");
    OrtHistogram histogram;
    histogram.bins = static_cast<unsigned>(*bins);
    if (s.getOrtHistogram(histogram.bins))
      return fail(at, llvm::formatv("two histograms with {0} bins", *bins));
    for (auto [key, counts] :
         {std::pair<llvm::StringRef, std::vector<uint64_t> *>{"value",
                                                              &histogram.value},
          {"absolute", &histogram.absolute}}) {
      const json::Array *array = h->getArray(key);
      if (!array || array->size() != histogram.bins)
        return fail(at, llvm::formatv("\"{0}\" must hold {1} counts", key,
                                      histogram.bins));
      uint64_t total = 0;
      for (const json::Value &c : *array) {
        std::optional<int64_t> n = c.getAsInteger();
        if (!n || *n < 0)
          return fail(at, "counts must be non-negative integers");
        counts->push_back(static_cast<uint64_t>(*n));
        total += static_cast<uint64_t>(*n);
      }
      if (total != s.count)
        return fail(at, llvm::formatv("the \"{0}\" counts of the {1}-bin "
                                      "histogram add up to {2}, not to the "
                                      "{3} finite values",
                                      key, histogram.bins, total, s.count));
    }
    s.ortHistograms.push_back(std::move(histogram));
  }
  return llvm::Error::success();
}

/// Every finite batch's [min, max] (quant-run --calibrate --batch-extremes).
static llvm::Error readBatchExtremes(const json::Value &value,
                                     llvm::StringRef where, ObserverStats &s) {
  const json::Array *array = value.getAsArray();
  if (!array || array->size() != s.finiteBatches)
    return fail(where, llvm::formatv("expected one [min, max] per batch with "
                                     "finite values ({0})",
                                     s.finiteBatches));
  for (const json::Value &pair : *array) {
    const json::Array *p = pair.getAsArray();
    std::optional<double> lo =
        p && p->size() == 2 ? (*p)[0].getAsNumber() : std::nullopt;
    std::optional<double> hi =
        p && p->size() == 2 ? (*p)[1].getAsNumber() : std::nullopt;
    constexpr double kMax = std::numeric_limits<float>::max();
    if (!lo || !hi || !(*lo <= *hi) || !(std::fabs(*lo) <= kMax) ||
        !(std::fabs(*hi) <= kMax) || *lo < s.min || *hi > s.max)
      return fail(where, "expected [min, max] pairs of finite float32 numbers "
                         "inside the observer's min and max");
    s.batchExtremes.emplace_back(static_cast<float>(*lo),
                                 static_cast<float>(*hi));
  }
  s.keepBatchExtremes = true;
  return llvm::Error::success();
}

/// The per-channel moving averages of an observer with per-channel
/// extremes (ObserverStats::channelMovingMin...).
static llvm::Error readChannelMoving(const json::Value &value,
                                     llvm::StringRef where, ObserverStats &s) {
  const json::Object *o = value.getAsObject();
  const json::Array *batches = o ? o->getArray("batches") : nullptr;
  if (!o || !batches)
    return fail(where, "expected {\"min\", \"max\", \"first_min\", "
                       "\"first_max\", \"batches\"}");
  float nan = std::numeric_limits<float>::quiet_NaN();
  for (auto [key, field] : {std::pair<llvm::StringRef, std::vector<float> *>{
                                "min", &s.channelMovingMin},
                            {"max", &s.channelMovingMax},
                            {"first_min", &s.channelFirstMin},
                            {"first_max", &s.channelFirstMax}})
    if (llvm::Error err = readFloats(*o, key, where, nan, *field))
      return err;
  for (const json::Value &v : *batches) {
    std::optional<int64_t> n = v.getAsInteger();
    if (!n || *n < 0 || static_cast<uint64_t>(*n) > s.batches)
      return fail(where, "batches: expected counts of at most the observer's "
                         "batches");
    s.channelMovingBatches.push_back(static_cast<uint64_t>(*n));
  }
  size_t channels = s.channelMin.size();
  for (const std::vector<float> *v : {&s.channelMovingMin, &s.channelMovingMax,
                                      &s.channelFirstMin, &s.channelFirstMax})
    if (v->size() != channels)
      return fail(where, "expected one value per channel");
  if (s.channelMovingBatches.size() != channels)
    return fail(where, "expected one value per channel");
  for (size_t c = 0; c < channels; ++c) {
    if (s.channelMovingBatches[c] == 0) {
      s.channelMovingMin[c] = s.channelMovingMax[c] = 0;
      s.channelFirstMin[c] = s.channelFirstMax[c] = 0;
      continue;
    }
    if (!(s.channelMovingMin[c] <= s.channelMovingMax[c]) ||
        !(s.channelFirstMin[c] <= s.channelFirstMax[c]))
      return fail(where, llvm::formatv("channel {0}: inconsistent moving "
                                       "averages",
                                       c));
  }
  return llvm::Error::success();
}

llvm::Expected<StatsFile> StatsFile::parse(llvm::StringRef text,
                                           llvm::StringRef source) {
  auto parsed = quantopt::parseBoundedJson(text);
  if (!parsed)
    return fail(source, "JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return fail(source, "expected a JSON object");
  std::optional<int64_t> version = root->getInteger("version");
  if (!version || (*version != 1 && *version != kVersion))
    return fail(source, llvm::formatv("version: unsupported stats version "
                                      "(expected 1 or {0})",
                                      kVersion));
  const json::Object *observers = root->getObject("activations");
  if (!observers)
    return fail(source, "activations: expected an object of layer statistics");
  StatsFile file;
  file.version = *version;
  if (*version >= 2) {
    std::optional<llvm::StringRef> model = root->getString("model");
    std::optional<int64_t> bins = root->getInteger("histogram_bins");
    std::optional<double> c = root->getNumber("averaging_constant");
    if (!model || !bins || *bins < 2 || *bins > (1 << 20) || !c || !(*c > 0) ||
        !(*c <= 1))
      return fail(source, "expected \"model\" (string), \"histogram_bins\" "
                          "(2..2^20) and \"averaging_constant\" (0..1]");
    file.model = model->str();
    file.histogramBins = static_cast<unsigned>(*bins);
    file.averagingConstant = static_cast<float>(*c);
  }
  // The moments side file, checked whole before any record is read.
  std::unique_ptr<llvm::MemoryBuffer> momentsBuffer;
  llvm::ArrayRef<uint8_t> momentsBytes;
  std::string momentsWhere;
  if (const json::Value *ref = root->get("moments_file")) {
    const json::Object *o = ref->getAsObject();
    std::optional<llvm::StringRef> name = o ? o->getString("name") : std::nullopt;
    std::optional<int64_t> bytes = o ? o->getInteger("bytes") : std::nullopt;
    std::optional<int64_t> crc = o ? o->getInteger("crc32") : std::nullopt;
    if (!name || name->empty() || llvm::sys::path::has_parent_path(*name) ||
        !bytes || !crc)
      return fail(source, "moments_file: expected {\"name\": a file name beside "
                          "this one, \"bytes\", \"crc32\"}");
    llvm::SmallString<256> path = llvm::sys::path::parent_path(source);
    llvm::sys::path::append(path, *name);
    momentsWhere = path.str().str();
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail(source, "cannot read its moments file '" + path +
                              "': " + buffer.getError().message());
    momentsBuffer = std::move(*buffer);
    momentsBytes = llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(momentsBuffer->getBufferStart()),
        momentsBuffer->getBufferSize());
    if (static_cast<int64_t>(momentsBytes.size()) != *bytes)
      return fail(momentsWhere, llvm::formatv("has {0} bytes, {1} says {2} (a "
                                              "truncated or different file)",
                                              momentsBytes.size(), source,
                                              *bytes));
    if (static_cast<int64_t>(llvm::crc32(momentsBytes)) != *crc)
      return fail(momentsWhere, "its CRC-32 is not the one " + source +
                                    " records (a corrupt or different file)");
    if (momentsBytes.size() < kMomentsHeaderBytes ||
        std::memcmp(momentsBytes.data(), kMomentsMagic.data(),
                    kMomentsMagic.size()) != 0)
      return fail(momentsWhere, "not a QuantOpt moments file");
  }
  size_t momentsEnd = kMomentsHeaderBytes;

  // json::Object is unordered: observers are read in name order.
  std::vector<std::string> names;
  for (const auto &entry : *observers)
    names.push_back(entry.first.str());
  llvm::sort(names);
  for (const std::string &name : names) {
    std::string where = (source + ": activations." + name).str();
    const json::Object *o = observers->getObject(name);
    if (!o)
      return fail(where, "expected an object");
    ObserverStats s(file.histogramBins, file.averagingConstant);
    if (llvm::Error err = readFloat(*o, "min", where, s.min))
      return std::move(err);
    if (llvm::Error err = readFloat(*o, "max", where, s.max))
      return std::move(err);
    if (s.min > s.max)
      return fail(where, "min must not exceed max");
    if (*version == 1) {
      s.count = 1;
      s.batches = 1;
      s.finiteBatches = 1;
      s.firstMin = s.movingMin = s.min;
      s.firstMax = s.movingMax = s.max;
      file.activations.emplace_back(name, std::move(s));
      continue;
    }
    for (auto [key, field] : {std::pair<llvm::StringRef, float *>{"first_min", &s.firstMin},
                              {"first_max", &s.firstMax},
                              {"moving_min", &s.movingMin},
                              {"moving_max", &s.movingMax}})
      if (llvm::Error err = readFloat(*o, key, where, *field))
        return std::move(err);
    for (auto [key, field] : {std::pair<llvm::StringRef, uint64_t *>{"count", &s.count},
                              {"non_finite", &s.nonFinite},
                              {"batches", &s.batches}})
      if (llvm::Error err = readCount(*o, key, where, *field))
        return std::move(err);
    s.finiteBatches = s.batches;
    if (o->get("finite_batches"))
      if (llvm::Error err = readCount(*o, "finite_batches", where, s.finiteBatches))
        return std::move(err);
    if (s.movingMin > s.movingMax || s.firstMin > s.firstMax ||
        s.finiteBatches > s.batches)
      return fail(where, "inconsistent moving averages or batch counts");
    if (const json::Array *shape = o->getArray("shape"))
      for (const json::Value &d : *shape)
        if (std::optional<int64_t> v = d.getAsInteger())
          s.shape.push_back(*v);
    const json::Value *histogram = o->get("histogram");
    if (!histogram)
      return fail(where, "expected a \"histogram\"");
    auto h = Histogram::fromJSON(*histogram, where + ".histogram");
    if (!h)
      return h.takeError();
    if (h->getNumBins() != file.histogramBins)
      return fail(where, llvm::formatv("histogram has {0} bins, the file says {1}",
                                       h->getNumBins(), file.histogramBins));
    if (h->getTotal() != s.count)
      return fail(where, llvm::formatv("histogram holds {0} values, count is {1}",
                                       h->getTotal(), s.count));
    s.histogram = std::move(*h);
    if (const json::Value *extremes = o->get("batch_extremes"))
      if (llvm::Error err =
              readBatchExtremes(*extremes, where + ".batch_extremes", s))
        return std::move(err);
    if (std::optional<int64_t> axis = o->getInteger("channel_axis")) {
      s.channelAxis = *axis;
      float inf = std::numeric_limits<float>::infinity();
      if (llvm::Error err = readFloats(*o, "channel_min", where, inf, s.channelMin))
        return std::move(err);
      if (llvm::Error err = readFloats(*o, "channel_max", where, -inf, s.channelMax))
        return std::move(err);
      if (s.channelMin.size() != s.channelMax.size())
        return fail(where, "channel_min and channel_max differ in length");
      if (const json::Value *m = o->get("channel_moving"))
        if (llvm::Error err =
                readChannelMoving(*m, where + ".channel_moving", s))
          return std::move(err);
    }
    if (const json::Value *t = o->get("torch_histogram")) {
      const json::Object *to = t->getAsObject();
      std::string at = where + ".torch_histogram";
      std::optional<int64_t> bins = to ? to->getInteger("bins") : std::nullopt;
      std::optional<int64_t> upsample =
          to ? to->getInteger("upsample_rate") : std::nullopt;
      const json::Array *counts = to ? to->getArray("counts") : nullptr;
      float lo = 0, hi = 0;
      if (!bins || !upsample || !counts)
        return fail(at, "expected \"bins\", \"upsample_rate\", \"min\", "
                        "\"max\" and \"counts\"");
      if (*bins < 1 || *bins > 65536 || *upsample < 1 || *upsample > 65536)
        return fail(at, "bins and upsample_rate must be in [1, 65536]");
      if (s.count == 0)
        return fail(at, "a torch histogram of an activation without finite "
                        "values");
      if (llvm::Error err = readFloat(*to, "min", at, lo))
        return std::move(err);
      if (llvm::Error err = readFloat(*to, "max", at, hi))
        return std::move(err);
      std::vector<float> values;
      for (const json::Value &c : *counts) {
        std::optional<double> v = c.getAsNumber();
        // (torch's combination can leave counts a rounding below zero)
        if (!v || !std::isfinite(*v) ||
            std::fabs(*v) > double(std::numeric_limits<float>::max()))
          return fail(at, "counts must be finite float32 numbers");
        values.push_back(static_cast<float>(*v));
      }
      auto observer = TorchHistogramObserver::fromState(*bins, *upsample, lo,
                                                        hi, std::move(values));
      if (!observer)
        return fail(at, llvm::toString(observer.takeError()));
      s.torchHistogram = std::move(*observer);
    }
    if (const json::Value *t = o->get("ort_histograms"))
      if (llvm::Error err = readOrtHistograms(*t, where + ".ort_histograms", s))
        return std::move(err);
    if (const json::Value *e = o->get("torch_histogram_error")) {
      std::optional<llvm::StringRef> text = e->getAsString();
      if (!text)
        return fail(where, "torch_histogram_error must be a string");
      s.torchHistogramError = text->str();
    }
    if (const json::Value *m = o->get("moments")) {
      const json::Object *mo = m->getAsObject();
      std::optional<MomentsKind> kind;
      if (mo)
        if (std::optional<llvm::StringRef> k = mo->getString("kind"))
          kind = parseMomentsName(*k);
      std::optional<int64_t> channels = mo ? mo->getInteger("channels") : std::nullopt;
      std::optional<int64_t> offset = mo ? mo->getInteger("offset") : std::nullopt;
      std::optional<int64_t> bytes = mo ? mo->getInteger("bytes") : std::nullopt;
      uint64_t rows = 0, skipped = 0;
      if (!kind || !channels || !offset || !bytes || !mo)
        return fail(where, "moments: expected \"kind\" (channels or hessian), "
                           "\"channels\", \"rows\", \"skipped_rows\", "
                           "\"offset\" and \"bytes\"");
      if (llvm::Error err = readCount(*mo, "rows", where + ".moments", rows))
        return std::move(err);
      if (llvm::Error err =
              readCount(*mo, "skipped_rows", where + ".moments", skipped))
        return std::move(err);
      if (!momentsBuffer)
        return fail(where, "moments, but the file names no \"moments_file\"");
      if (*offset < static_cast<int64_t>(kMomentsHeaderBytes) || *bytes < 0 ||
          *offset > static_cast<int64_t>(momentsBytes.size()) ||
          *bytes > static_cast<int64_t>(momentsBytes.size()) - *offset)
        return fail(where, llvm::formatv("moments: bytes [{0}, {0} + {1}) are "
                                         "outside the {2}-byte moments file",
                                         *offset, *bytes, momentsBytes.size()));
      auto moments = ChannelMoments::fromRecord(
          momentsBytes.slice(*offset, *bytes), *kind, *channels, rows, skipped,
          where + ".moments");
      if (!moments)
        return moments.takeError();
      momentsEnd = std::max<size_t>(momentsEnd, *offset + *bytes);
      s.moments = std::move(*moments);
    }
    file.activations.emplace_back(name, std::move(s));
  }
  // Records may not overlap: their sizes must add up to the file.
  size_t recorded = kMomentsHeaderBytes;
  for (const auto &entry : file.activations)
    if (entry.second.moments)
      recorded += entry.second.moments->getRecordBytes();
  if (momentsBuffer && (recorded != momentsBytes.size() ||
                        momentsEnd != momentsBytes.size()))
    return fail(momentsWhere, llvm::formatv("its records cover {0} of its {1} "
                                            "bytes",
                                            recorded, momentsBytes.size()));
  return file;
}

llvm::Expected<StatsFile> StatsFile::load(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read stats '" + path +
                                       "': " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), path);
}

/// Writes `bytes` to a temporary file beside `path` and returns its name.
static llvm::Expected<std::string> writeTemporary(llvm::StringRef path,
                                                  llvm::StringRef bytes) {
  llvm::SmallString<256> temp;
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, temp))
    return llvm::createStringError(ec, "cannot write '" + path +
                                           "': " + ec.message());
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << bytes;
  os.close();
  if (os.has_error()) {
    llvm::sys::fs::remove(temp);
    return llvm::createStringError(os.error(), "cannot write '" + path +
                                                   "': " + os.error().message());
  }
  return temp.str().str();
}

llvm::Error StatsFile::save(llvm::StringRef path) const {
  // A device or pipe (/dev/null, "-") is written in place, never renamed
  // over (quantopt::writeOutputFile); the moments' side file has no place
  // beside it.
  if (quantopt::isInPlaceOutput(path)) {
    if (hasMoments())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "cannot write stats with moments to '" + path +
              "': the moments go to a file beside the JSON; name a file");
    std::string text = llvm::formatv("{0}", toJSON("")).str() + "\n";
    if (llvm::Error err = quantopt::writeInPlace(path, text))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "cannot write '" + path + "': " + llvm::toString(std::move(err)));
    return llvm::Error::success();
  }
  std::string momentsPath, momentsTemp;
  std::string momentsName;
  if (hasMoments()) {
    momentsPath = (path + ".moments").str();
    momentsName = llvm::sys::path::filename(momentsPath).str();
    std::vector<uint8_t> bytes = getMomentsBytes();
    auto temp = writeTemporary(
        momentsPath, llvm::StringRef(reinterpret_cast<const char *>(bytes.data()),
                                     bytes.size()));
    if (!temp)
      return temp.takeError();
    momentsTemp = *temp;
  }
  std::string text = llvm::formatv("{0}", toJSON(momentsName)).str() + "\n";
  auto temp = writeTemporary(path, text);
  if (!temp) {
    if (!momentsTemp.empty())
      llvm::sys::fs::remove(momentsTemp);
    return temp.takeError();
  }
  // The side file first: a JSON is never renamed into place before the
  // moments it points to.
  if (!momentsTemp.empty())
    if (std::error_code ec = llvm::sys::fs::rename(momentsTemp, momentsPath)) {
      llvm::sys::fs::remove(momentsTemp);
      llvm::sys::fs::remove(*temp);
      return llvm::createStringError(ec, "cannot write '" + momentsPath +
                                             "': " + ec.message());
    }
  if (std::error_code ec = llvm::sys::fs::rename(*temp, path)) {
    llvm::sys::fs::remove(*temp);
    return llvm::createStringError(ec, "cannot write '" + path +
                                           "': " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Error StatsFile::merge(const StatsFile &later) {
  auto mismatch = [](const llvm::Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot merge: " + what);
  };
  if (version < 2 || later.version < 2)
    return mismatch("version 1 files have no histograms to merge");
  if (model != later.model)
    return mismatch("the statistics belong to different models (" + model +
                    " and " + later.model + ")");
  if (histogramBins != later.histogramBins ||
      averagingConstant != later.averagingConstant)
    return mismatch("histogram bins or averaging constants differ");
  if (activations.size() != later.activations.size())
    return mismatch("the files observe different activations");
  for (auto &[id, stats] : activations) {
    const ObserverStats *other = later.lookup(id);
    if (!other)
      return mismatch("'" + id + "' is missing from one file");
    if (llvm::Error err = stats.merge(*other))
      return mismatch("'" + id + "': " + llvm::toString(std::move(err)));
  }
  return llvm::Error::success();
}
