//===- LayerAlgorithms.cpp - Algorithms on float layers -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/LayerAlgorithms.h"

#include "QuantOpt/Algorithms/Smoothing.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace quantopt;
namespace cal = quantopt::calibration;
namespace alg = quantopt::algorithms;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {
/// A layer's constant float weight, as float32, with its input-channel
/// (block) axis; the matrix view has a column per input channel.
struct LayerWeight {
  DenseElementsAttr attr;
  std::vector<float> values;
  SmallVector<int64_t> shape;
  int64_t inputAxis = 0;
  /// [rows, cols]: cols = input channels, rows = every other index.
  int64_t rows = 0, cols = 0;

  /// Index of element (row r, input channel c) in `values`.
  int64_t at(int64_t r, int64_t c) const {
    int64_t inner = 1;
    for (size_t d = inputAxis + 1; d < shape.size(); ++d)
      inner *= shape[d];
    int64_t outer = r / inner, in = r % inner;
    return (outer * cols + c) * inner + in;
  }
  std::vector<float> toMatrix() const {
    std::vector<float> m(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        m[r * cols + c] = values[at(r, c)];
    return m;
  }
  std::vector<float> fromMatrix(llvm::ArrayRef<float> m) const {
    std::vector<float> out(values.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        out[at(r, c)] = m[r * cols + c];
    return out;
  }
};
} // namespace

static llvm::Expected<LayerWeight> getLayerWeight(Operation *layer) {
  auto iface = dyn_cast<qnt::QuantizableLayerOpInterface>(layer);
  if (!iface || !isa<linalg::LinalgOp>(layer))
    return fail("input scaling rewrites linalg layers");
  LayerWeight w;
  if (!matchPattern(iface.getWeightOperand().get(), m_Constant(&w.attr)) ||
      !isa<FloatType>(w.attr.getElementType()))
    return fail("its weight is not a constant float tensor");
  std::optional<int64_t> axis = iface.getWeightBlockAxis();
  if (!axis)
    return fail("its weight has no input-channel axis");
  w.inputAxis = *axis;
  auto type = cast<RankedTensorType>(w.attr.getType());
  w.shape.assign(type.getShape().begin(), type.getShape().end());
  w.cols = w.shape[*axis];
  w.rows = type.getNumElements() / std::max<int64_t>(w.cols, 1);
  for (APFloat v : w.attr.getValues<APFloat>()) {
    bool losesInfo;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
    w.values.push_back(v.convertToFloat());
  }
  return w;
}

/// `t op v[c]` element by element, with `v` (a constant vector) broadcast
/// along axis `axis` of the f32 tensor `t`: a multiply or an add.
static Value buildChannelwise(RewriterBase &rewriter, Location loc, Value t,
                              ArrayRef<float> v, int64_t axis, bool multiply) {
  auto type = cast<RankedTensorType>(t.getType());
  auto vecType = RankedTensorType::get({static_cast<int64_t>(v.size())},
                                       rewriter.getF32Type());
  Value vec = arith::ConstantOp::create(rewriter, loc,
                                        DenseElementsAttr::get(vecType, v));
  int64_t rank = type.getRank();
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dyn.push_back(tensor::DimOp::create(rewriter, loc, t, d));
  Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                        type.getElementType(), dyn);
  AffineMap id = rewriter.getMultiDimIdentityMap(rank);
  AffineMap channel = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(axis),
                                     rewriter.getContext());
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{type}, ValueRange{t, vec},
             ValueRange{empty}, ArrayRef<AffineMap>{id, channel, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value r = multiply
                             ? arith::MulFOp::create(b, l, args[0], args[1])
                                   .getResult()
                             : arith::AddFOp::create(b, l, args[0], args[1])
                                   .getResult();
               linalg::YieldOp::create(b, l, r);
             })
      .getResult(0);
}

llvm::Error quantopt::scaleLayerInput(RewriterBase &rewriter, Operation *layer,
                                      ArrayRef<float> scales,
                                      ArrayRef<float> weights) {
  auto w = getLayerWeight(layer);
  if (!w)
    return w.takeError();
  OpOperand &xOperand = getActivationOperand(layer);
  auto xType = dyn_cast<RankedTensorType>(xOperand.get().getType());
  if (!xType || !xType.getElementType().isF32())
    return fail("input scaling needs an f32 activation");
  int64_t axis = getActivationChannelAxis(layer);
  if (xType.isDynamicDim(axis) || xType.getDimSize(axis) != w->cols ||
      static_cast<int64_t>(scales.size()) != w->cols)
    return fail(llvm::formatv("the activation's {0} input channels, the "
                              "weight's and the {1} scales differ",
                              xType.isDynamicDim(axis) ? -1
                                                       : xType.getDimSize(axis),
                              scales.size()));
  for (float s : scales)
    if (!(s > 0) || !std::isfinite(s))
      return fail("an input-channel scale is not a positive number");

  std::vector<float> scaled;
  if (weights.empty()) {
    scaled = w->values;
    for (int64_t r = 0; r < w->rows; ++r)
      for (int64_t c = 0; c < w->cols; ++c)
        scaled[w->at(r, c)] *= scales[c];
    weights = scaled;
  }
  if (weights.size() != w->values.size())
    return fail("the new weights do not have the weight's shape");

  Location loc = layer->getLoc();
  rewriter.setInsertionPoint(layer);
  // The weight, in its own element type.
  auto weightType = cast<RankedTensorType>(w->attr.getType());
  auto floatType = cast<FloatType>(weightType.getElementType());
  SmallVector<APFloat> converted;
  for (float v : weights) {
    APFloat f(v);
    bool losesInfo;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &losesInfo);
    converted.push_back(f);
  }
  Value newWeight = arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(weightType, converted));

  // x * (1 / s) along the channel axis.
  std::vector<float> inverse(scales.size());
  for (size_t i = 0; i < scales.size(); ++i)
    inverse[i] = 1.0f / scales[i];
  Value x = buildChannelwise(rewriter, loc, xOperand.get(), inverse, axis,
                             /*multiply=*/true);
  auto iface = cast<qnt::QuantizableLayerOpInterface>(layer);
  OpOperand &weightOperand = iface.getWeightOperand();
  rewriter.modifyOpInPlace(layer, [&]() {
    xOperand.set(x);
    weightOperand.set(newWeight);
  });
  return llvm::Error::success();
}

InputScalingOutcome
quantopt::applyInputScaling(RewriterBase &rewriter, Operation *layer,
                            const WeightConfig &config,
                            const cal::ObserverStats *observed) {
  InputScalingOutcome outcome;
  bool awq = config.method == WeightConfig::Method::Awq;
  if (!awq && !config.smoothQuant)
    return outcome;
  std::string what = awq ? "awq" : "smoothquant";
  auto skip = [&](const llvm::Twine &why) {
    outcome.note = what + " does not apply: " + why.str() +
                   "; the layer is quantized without it";
    return outcome;
  };
  if (awq && config.smoothQuant)
    return skip("awq and smoothquant both ask to scale the input channels");
  auto w = getLayerWeight(layer);
  if (!w)
    return skip(llvm::toString(w.takeError()));
  // The per-channel extremes of the input, when the statistics have them.
  int64_t axis = getActivationChannelAxis(layer);
  bool channelExtremes =
      observed && observed->channelAxis == axis &&
      static_cast<int64_t>(observed->channelMin.size()) == w->cols;
  // The range of the input scaled by 1 / scales, channel by channel (what
  // static activations and a calibrated NVFP4 tensor scale then read).
  auto setScaledRange = [&](ArrayRef<float> scales) {
    if (!channelExtremes) {
      outcome.rangeLost = true;
      return;
    }
    float lo = 0, hi = 0;
    for (int64_t c = 0; c < w->cols; ++c) {
      if (!std::isfinite(observed->channelMin[c]) ||
          !std::isfinite(observed->channelMax[c]))
        continue;
      lo = std::min(lo, observed->channelMin[c] * (1.0f / scales[c]));
      hi = std::max(hi, observed->channelMax[c] * (1.0f / scales[c]));
    }
    outcome.range = cal::Range{lo, hi};
  };

  if (!awq) {
    // SmoothQuant: max |x_j| from the per-channel extremes.
    if (!channelExtremes)
      return skip("the statistics have no per-channel extremes of its input "
                  "(calibrate with per-channel observers, the default)");
    std::vector<float> actMax(w->cols);
    for (int64_t c = 0; c < w->cols; ++c) {
      float lo = observed->channelMin[c], hi = observed->channelMax[c];
      actMax[c] = std::isfinite(lo) && std::isfinite(hi)
                      ? std::max(std::fabs(lo), std::fabs(hi))
                      : 0.0f;
    }
    auto scales = alg::computeSmoothQuantScales(w->toMatrix(), w->rows,
                                                w->cols, actMax,
                                                *config.smoothQuant);
    if (!scales)
      return skip(llvm::toString(scales.takeError()));
    if (llvm::Error err = scaleLayerInput(rewriter, layer, *scales))
      return skip(llvm::toString(std::move(err)));
    setScaledRange(*scales);
    outcome.note = llvm::formatv("smoothquant alpha={0}: input channels "
                                 "scaled by {1:e2} to {2:e2}",
                                 llvm::format("%g", *config.smoothQuant),
                                 *std::min_element(scales->begin(), scales->end()),
                                 *std::max_element(scales->begin(), scales->end()))
                       .str();
    return outcome;
  }

  // AWQ: mean |x| and X^T X from the moments.
  if (!observed || !observed->moments ||
      observed->moments->kind != cal::MomentsKind::Hessian)
    return skip("the statistics have no Hessian for it (calibrate with "
                "--qnt-insert-observers=\"moments=hessian\")");
  const cal::ChannelMoments &m = *observed->moments;
  if (m.channels != w->cols || w->shape.size() != 2)
    return skip(llvm::formatv("awq needs a 2-D weight over the {0} input "
                              "channels of the moments",
                              m.channels));
  int64_t group =
      config.granularity == WeightConfig::Granularity::Block ? config.blockSize
                                                              : 0;
  if (config.granularity == WeightConfig::Granularity::Tensor)
    return skip("awq searches per-channel or per-block weights");
  auto result = alg::runAwq(w->toMatrix(), w->rows, w->cols, m.getMeanAbs(),
                            m.getGram(), group, config.getSolverOptions(),
                            config.awq);
  if (!result)
    return skip(llvm::toString(result.takeError()));
  if (llvm::Error err = scaleLayerInput(rewriter, layer, result->scales,
                                        w->fromMatrix(result->weights)))
    return skip(llvm::toString(std::move(err)));
  setScaledRange(result->scales);
  double rtn = result->errors.front();
  double best = *std::min_element(result->errors.begin(), result->errors.end());
  outcome.note = llvm::formatv("awq alpha={0}{1}: output error {2:e2} "
                               "(round to nearest: {3:e2})",
                               llvm::format("%g", result->alpha),
                               config.awq.clip ? " with clipping" : "", best, rtn)
                     .str();
  return outcome;
}

llvm::Expected<double>
quantopt::correctLayerBias(RewriterBase &rewriter, Operation *layer,
                           const QuantizedWeight &quantized,
                           const cal::ChannelMoments &moments) {
  auto w = getLayerWeight(layer);
  if (!w)
    return w.takeError();
  auto linalgOp = cast<linalg::LinalgOp>(layer);
  auto iface = cast<qnt::QuantizableLayerOpInterface>(layer);
  int64_t channelAxis = iface.getWeightChannelAxis();
  if (linalgOp.getNumDpsInits() != 1 || channelAxis == w->inputAxis)
    return fail("bias correction needs a layer with one output and a weight "
                "with separate input- and output-channel axes");
  if (moments.channels != w->cols || moments.rows == 0)
    return fail(llvm::formatv("the statistics' mean covers {0} input channels, "
                              "the weight has {1}",
                              moments.channels, w->cols));
  std::optional<std::vector<float>> deq =
      dequantizeWithParams(quantized.stored, quantized.params);
  if (!deq || deq->size() != w->values.size())
    return fail("the quantized weight does not match the float one");
  // The output axis: where the loop of the weight's output channel lands.
  OpOperand &weightOperand = iface.getWeightOperand();
  auto dim = dyn_cast<AffineDimExpr>(
      linalgOp.getMatchingIndexingMap(&weightOperand).getResult(channelAxis));
  OpOperand *init = linalgOp.getDpsInitOperand(0);
  AffineMap outMap = linalgOp.getMatchingIndexingMap(init);
  std::optional<int64_t> outAxis;
  for (auto [axis, expr] : llvm::enumerate(outMap.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && dim && d == dim)
      outAxis = axis;
  auto initType = dyn_cast<RankedTensorType>(init->get().getType());
  if (!outAxis || !initType || !initType.getElementType().isF32())
    return fail("the layer's output has no f32 output-channel axis");

  // c[o] = -sum over the weights of output channel o of E[x_in] * dW (for a
  // convolution: over its window too, with the input mean taken as the same
  // at every position, padding ignored).
  std::vector<double> mean = moments.getMean();
  int64_t outputs = w->shape[channelAxis];
  std::vector<double> sums(outputs, 0.0);
  std::vector<int64_t> index(w->shape.size(), 0);
  for (size_t i = 0; i < w->values.size(); ++i) {
    sums[index[channelAxis]] -=
        mean[index[w->inputAxis]] * (double((*deq)[i]) - w->values[i]);
    for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < w->shape[d])
        break;
      index[d] = 0;
    }
  }
  std::vector<float> correction(outputs);
  double largest = 0;
  for (int64_t o = 0; o < outputs; ++o) {
    correction[o] = static_cast<float>(sums[o]);
    largest = std::max(largest, std::fabs(sums[o]));
  }
  if (initType.isDynamicDim(*outAxis) ||
      initType.getDimSize(*outAxis) != outputs)
    return fail("the layer's output channels and its weight's differ");
  rewriter.setInsertionPoint(layer);
  Value corrected = buildChannelwise(rewriter, layer->getLoc(), init->get(),
                                     correction, *outAxis, /*multiply=*/false);
  rewriter.modifyOpInPlace(layer, [&]() { init->set(corrected); });
  return largest;
}

llvm::Expected<std::vector<PrecisionCandidate>>
quantopt::parsePrecisionCandidates(llvm::StringRef text,
                                   const WeightConfig &base) {
  std::vector<PrecisionCandidate> out;
  SmallVector<StringRef> items;
  text.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    item = item.trim();
    PrecisionCandidate c;
    c.name = item.str();
    if (item == "float") {
      out.push_back(c);
      continue;
    }
    SmallVector<StringRef> parts;
    item.split(parts, ':');
    WeightConfig config = base;
    config.method = WeightConfig::Method::RoundToNearest;
    auto storage = numerics::parseStorageName(parts[0]);
    if (!storage || *storage == numerics::StorageKind::I32)
      return fail("'" + item + "': unknown storage '" + parts[0] + "'");
    config.storage = *storage;
    if (parts.size() > 1) {
      auto granularity = parseGranularityName(parts[1]);
      if (!granularity)
        return fail("'" + item + "': unknown granularity '" + parts[1] +
                    "' (expected tensor, channel or block)");
      config.granularity = *granularity;
    }
    if (parts.size() > 2) {
      int64_t block;
      if (parts[2].getAsInteger(10, block) || block <= 0)
        return fail("'" + item + "': the block size must be a positive integer");
      config.blockSize = block;
    }
    if (parts.size() > 3)
      return fail("'" + item + "': expected STORAGE[:GRANULARITY[:BLOCK]] or float");
    c.config = config;
    out.push_back(c);
  }
  if (out.empty())
    return fail("no candidate precisions");
  return out;
}

PrecisionChoice
quantopt::chooseLayerPrecision(Operation *layer,
                               ArrayRef<PrecisionCandidate> candidates,
                               const cal::ChannelMoments *moments,
                               const LayerSampleEvaluator *samples,
                               double minSqnr) {
  PrecisionChoice choice;
  auto w = getLayerWeight(layer);
  if (!w) {
    choice.error = llvm::toString(w.takeError());
    return choice;
  }
  auto iface = cast<qnt::QuantizableLayerOpInterface>(layer);
  bool hessian = w->shape.size() == 2 && moments &&
                 moments->kind == cal::MomentsKind::Hessian &&
                 moments->channels == w->cols;
  if (!hessian && !samples) {
    choice.error = "mixed precision measures matmul layers with the Hessian "
                   "of their input (moments=hessian), other layers on "
                   "samples of their input (calibration-samples=DIR)";
    return choice;
  }
  // The output SQNR of the weights `deq` (the weight's layout).
  std::function<double(ArrayRef<float>)> measure;
  std::vector<double> h, reference;
  std::vector<float> m;
  double signal = 0;
  if (hessian) {
    h = moments->getGram();
    m = w->toMatrix();
    signal = alg::outputError(m, std::vector<float>(m.size(), 0.0f), w->rows,
                              w->cols, h);
    measure = [&](ArrayRef<float> deq) {
      std::vector<float> dm(m.size());
      for (int64_t r = 0; r < w->rows; ++r)
        for (int64_t c = 0; c < w->cols; ++c)
          dm[r * w->cols + c] = deq[w->at(r, c)];
      double noise = alg::outputError(m, dm, w->rows, w->cols, h);
      return noise > 0 ? 10 * std::log10(signal / noise)
                       : std::numeric_limits<double>::infinity();
    };
  } else {
    reference = samples->run(samples->getSamples(), samples->getWeight());
    measure = [&](ArrayRef<float> deq) {
      return LayerSampleEvaluator::getSqnr(
          reference, samples->run(samples->getSamples(), deq));
    };
  }
  double bestBytes = std::numeric_limits<double>::infinity();
  for (auto [i, candidate] : llvm::enumerate(candidates)) {
    PrecisionChoice::Measure measured{candidate.name,
                                     std::numeric_limits<double>::infinity(),
                                     4.0 * w->values.size()};
    if (candidate.config) {
      auto quantized = quantizeWeight(w->attr, *candidate.config,
                                      iface.getWeightChannelAxis(),
                                      iface.getWeightBlockAxis());
      std::optional<std::vector<float>> deq;
      if (quantized)
        deq = dequantizeWithParams(quantized->stored, quantized->params);
      else
        llvm::consumeError(quantized.takeError());
      if (!deq) {
        measured.sqnr = -std::numeric_limits<double>::infinity();
      } else {
        measured.sqnr = measure(*deq);
        int64_t groups = quantized->params.getScales().size();
        unsigned bits = numerics::getStorageBitWidth(candidate.config->storage);
        // A scale in 4 bytes, or 2 when rounded to f16 (weight-scale=f16).
        double scaleBytes = candidate.config->halfScales ? 2.0 : 4.0;
        measured.bytes =
            w->values.size() * bits / 8.0 + groups * scaleBytes +
            (quantized->params.getZeroPoints().size() ? groups * bits / 8.0
                                                      : 0.0);
      }
    }
    if (measured.sqnr >= minSqnr && measured.bytes < bestBytes) {
      bestBytes = measured.bytes;
      choice.chosen = static_cast<int>(i);
    }
    choice.measures.push_back(measured);
  }
  return choice;
}
