//===- CalibrationChoice.cpp - Per-layer range estimator choice -----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The layer is evaluated directly from its indexing maps: every map result
// is a pure affine function of the loops, so each operand's flat offset is
// `c + sum(coef_d * i_d)`, and the loop nest walks the iteration space with
// offsets updated by addition. This is a measuring device run a few times
// per layer on a capped number of samples (kCalibrationChoiceWork), not a
// kernel: the compiled model's arithmetic is elsewhere.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/CalibrationChoice.h"
#include "QuantOpt/Support/Json.h"

#include "QuantOpt/Numerics/Numerics.h"
#include "QuantOpt/Runtime/Npy.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace quantopt;
namespace cal = quantopt::calibration;
namespace num = quantopt::numerics;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// The samples
//===----------------------------------------------------------------------===//

llvm::Expected<ActivationSamples> ActivationSamples::open(llvm::StringRef dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "observers.json");
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail("calibration-samples: cannot read '" + path +
                "': " + buffer.getError().message() +
                " (a directory written by quant-run --dump-observed)");
  llvm::Expected<llvm::json::Value> parsed =
      quantopt::parseBoundedJson((*buffer)->getBuffer());
  if (!parsed)
    return fail("calibration-samples: '" + path +
                "' is not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  const llvm::json::Object *files = root ? root->getObject("files") : nullptr;
  if (!files)
    return fail("calibration-samples: '" + path +
                "' has no \"files\" object (observer id -> .npy file)");
  ActivationSamples samples;
  samples.dir = dir.str();
  for (const auto &[id, file] : *files) {
    std::optional<llvm::StringRef> name = file.getAsString();
    if (!name || name->contains('/') || name->starts_with("."))
      return fail("calibration-samples: '" + path + "': the file of '" +
                  id.str() + "' is not a plain file name");
    samples.files[id.str()] = name->str();
  }
  return samples;
}

llvm::Expected<std::vector<float>>
ActivationSamples::read(llvm::StringRef id, std::vector<int64_t> &shape) const {
  auto it = files.find(id);
  if (it == files.end())
    return fail("calibration-samples '" + dir + "' has no samples of '" + id +
                "'");
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, it->second);
  auto array = runtime::readNpy(path);
  if (!array)
    return array.takeError();
  if (array->dtype != runtime::DType::F32 || array->shape.empty())
    return fail("'" + path + "' is not an f32 array with a sample axis");
  shape = array->shape;
  const float *data = array->as<float>();
  return std::vector<float>(data, data + array->numElements());
}

llvm::Expected<LayerSampleEvaluator>
ActivationSamples::evaluate(llvm::StringRef id, Operation *layer) const {
  std::vector<int64_t> shape;
  auto x = read(id, shape);
  if (!x)
    return x.takeError();
  return LayerSampleEvaluator::get(layer, *x, shape);
}

//===----------------------------------------------------------------------===//
// Evaluating a layer from its maps
//===----------------------------------------------------------------------===//

/// y[out(i)] += x[in(i)] * w[wt(i)] over the loops, with flat offsets.
struct LayerSampleEvaluator::Maps {
  SmallVector<int64_t> sizes;
  // Per operand (x, w, y): the offset's constant and per-loop coefficient.
  int64_t base[3] = {0, 0, 0};
  SmallVector<int64_t> coef[3];
  SmallVector<int64_t> outShape, wShape;
  SmallVector<AffineMap> maps;

  static llvm::Expected<Maps>
  get(ArrayRef<AffineMap> maps, ArrayRef<int64_t> xShape,
      ArrayRef<int64_t> wShape, ArrayRef<int64_t> outStatic);
  int64_t getWork() const {
    int64_t w = 1;
    for (int64_t s : sizes)
      w *= s;
    return w;
  }
  int64_t getOutputSize() const {
    int64_t n = 1;
    for (int64_t s : outShape)
      n *= s;
    return n;
  }
  std::vector<double> run(ArrayRef<float> x, ArrayRef<float> w) const {
    std::vector<double> y(getOutputSize(), 0.0);
    unsigned n = sizes.size();
    std::function<void(unsigned, int64_t, int64_t, int64_t)> loop =
        [&](unsigned d, int64_t ox, int64_t ow, int64_t oy) {
          if (d + 1 == n) {
            double acc = 0;
            int64_t cx = coef[0][d], cw = coef[1][d];
            if (coef[2][d] == 0) {
              for (int64_t i = 0; i < sizes[d]; ++i)
                acc += double(x[ox + i * cx]) * double(w[ow + i * cw]);
              y[oy] += acc;
            } else {
              for (int64_t i = 0; i < sizes[d]; ++i)
                y[oy + i * coef[2][d]] +=
                    double(x[ox + i * cx]) * double(w[ow + i * cw]);
            }
            return;
          }
          for (int64_t i = 0; i < sizes[d]; ++i)
            loop(d + 1, ox + i * coef[0][d], ow + i * coef[1][d],
                 oy + i * coef[2][d]);
        };
    if (n == 0)
      y[base[2]] += double(x[base[0]]) * double(w[base[1]]);
    else
      loop(0, base[0], base[1], base[2]);
    return y;
  }
};
using MapEvaluator = LayerSampleEvaluator::Maps;

llvm::Expected<MapEvaluator>
MapEvaluator::get(ArrayRef<AffineMap> maps, ArrayRef<int64_t> xShape,
                  ArrayRef<int64_t> wShape, ArrayRef<int64_t> outStatic) {
  MapEvaluator e;
  e.maps.assign(maps.begin(), maps.end());
  e.wShape.assign(wShape.begin(), wShape.end());
  unsigned numLoops = maps[0].getNumDims();
  e.sizes.assign(numLoops, ShapedType::kDynamic);
  ArrayRef<int64_t> shapes[3] = {xShape, wShape, outStatic};
  for (auto [map, shape] : llvm::zip(maps, shapes)) {
    if (map.getNumSymbols() || map.getNumResults() != shape.size())
      return fail("the layer's maps do not match its operands");
    for (auto [expr, size] : llvm::zip(map.getResults(), shape))
      if (auto d = dyn_cast<AffineDimExpr>(expr);
          d && !ShapedType::isDynamic(size) &&
          ShapedType::isDynamic(e.sizes[d.getPosition()]))
        e.sizes[d.getPosition()] = size;
  }
  for (int64_t s : e.sizes)
    if (ShapedType::isDynamic(s))
      return fail("a loop of the layer has no size it can be read from");
  // The output's shape from the loops (the result map is a projection).
  for (AffineExpr expr : maps[2].getResults()) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d)
      return fail("the layer's output map is not a projection");
    e.outShape.push_back(e.sizes[d.getPosition()]);
  }
  ArrayRef<int64_t> realShapes[3] = {xShape, wShape, e.outShape};
  SmallVector<int64_t> zeros(numLoops, 0);
  for (unsigned op = 0; op < 3; ++op) {
    AffineMap map = maps[op];
    ArrayRef<int64_t> shape = realShapes[op];
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int i = int(shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    e.coef[op].assign(numLoops, 0);
    for (auto [axis, expr] : llvm::enumerate(map.getResults())) {
      if (!expr.isPureAffine())
        return fail("a map of the layer is not pure affine");
      AffineMap single = AffineMap::get(numLoops, 0, expr);
      int64_t c = single.compose(zeros)[0];
      int64_t hi = c, lo = c;
      e.base[op] += strides[axis] * c;
      for (unsigned d = 0; d < numLoops; ++d) {
        SmallVector<int64_t> unit(numLoops, 0);
        unit[d] = 1;
        int64_t k = single.compose(unit)[0] - c;
        e.coef[op][d] += strides[axis] * k;
        (k > 0 ? hi : lo) += k * (e.sizes[d] - 1);
      }
      if (lo < 0 || hi >= shape[axis])
        return fail("the layer reads outside an operand (its maps with these "
                    "sizes)");
    }
  }
  return e;
}

//===----------------------------------------------------------------------===//
// The choice
//===----------------------------------------------------------------------===//

std::string CalibrationChoice::describe() const {
  std::string measured;
  for (const EstimatorMeasure &m : measures)
    measured += (measured.empty() ? "" : ", ") +
                cal::getMethodName(m.method).str() +
                (std::isfinite(m.sqnr) ? llvm::formatv(" {0:f1} dB", m.sqnr).str()
                                       : std::string(" exact"));
  return llvm::formatv("{0} ({1}; layer-output SQNR on {2} input sample(s))",
                       cal::getMethodName(measures[chosen].method), measured,
                       samples)
      .str();
}

llvm::Expected<std::vector<cal::Method>>
quantopt::parseCalibrationCandidates(llvm::StringRef text) {
  std::vector<cal::Method> methods;
  SmallVector<StringRef> parts;
  text.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    std::optional<cal::Method> m = cal::parseMethodName(part.trim());
    if (!m)
      return fail("unknown method '" + part.trim() +
                  "' (expected minmax, moving-average, percentile, mse or "
                  "entropy)");
    if (llvm::is_contained(methods, *m))
      return fail("method '" + part.trim() + "' named twice");
    methods.push_back(*m);
  }
  if (methods.empty())
    return fail("no methods");
  return methods;
}

LayerSampleEvaluator::LayerSampleEvaluator() = default;
LayerSampleEvaluator::~LayerSampleEvaluator() = default;
LayerSampleEvaluator::LayerSampleEvaluator(LayerSampleEvaluator &&) = default;

std::vector<double> LayerSampleEvaluator::run(ArrayRef<float> x,
                                              ArrayRef<float> w) const {
  return maps->run(x, w);
}

double LayerSampleEvaluator::getSqnr(ArrayRef<double> reference,
                                     ArrayRef<double> y) {
  double signal = 0, noise = 0;
  for (auto [r, v] : llvm::zip(reference, y)) {
    signal += r * r;
    noise += (v - r) * (v - r);
  }
  return noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
}

llvm::Expected<LayerSampleEvaluator>
LayerSampleEvaluator::get(Operation *layer, ArrayRef<float> x,
                          ArrayRef<int64_t> shape) {
  auto op = dyn_cast<linalg::LinalgOp>(layer);
  if (!op || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return fail("the layer is not a linalg op with an activation and a weight");
  DenseElementsAttr weights;
  if (!matchPattern(op.getDpsInputOperand(1)->get(), m_Constant(&weights)) ||
      !weights.getElementType().isF32())
    return fail("the layer's weight is not an f32 constant");
  auto xType = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if (shape.size() != size_t(xType.getRank()) || shape.empty())
    return fail(llvm::formatv("the samples have rank {0}, the layer's input "
                              "rank {1}",
                              shape.size(), xType.getRank()));
  for (unsigned d = 1; d < shape.size(); ++d)
    if (!xType.isDynamicDim(d) && xType.getDimSize(d) != shape[d])
      return fail(llvm::formatv("the samples' dimension {0} is {1}, the "
                                "layer's input has {2}",
                                d, shape[d], xType.getDimSize(d)));
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // The output's dimensions indexed like the input's leading one follow the
  // samples (a batch); the others are the type's.
  SmallVector<int64_t> sampleShape(shape);
  auto evaluatorFor = [&](int64_t rows) {
    sampleShape[0] = rows;
    SmallVector<int64_t> out(outType.getShape());
    auto lead = dyn_cast<AffineDimExpr>(maps[0].getResult(0));
    for (auto [axis, expr] : llvm::enumerate(maps[2].getResults()))
      if (lead && expr == lead)
        out[axis] = rows;
    return MapEvaluator::get(maps, sampleShape, weights.getType().getShape(),
                             out);
  };
  auto probe = evaluatorFor(1);
  if (!probe)
    return probe.takeError();
  int64_t perSample = std::max<int64_t>(1, probe->getWork());
  int64_t rows =
      std::clamp<int64_t>(kCalibrationChoiceWork / perSample, 1, shape[0]);
  auto evaluator = evaluatorFor(rows);
  if (!evaluator)
    return evaluator.takeError();
  int64_t perRow = 1;
  for (int64_t s : ArrayRef<int64_t>(shape).drop_front())
    perRow *= s;
  LayerSampleEvaluator e;
  e.maps = std::make_unique<Maps>(std::move(*evaluator));
  e.samples.assign(x.begin(), x.begin() + rows * perRow);
  e.weight.assign(weights.getValues<float>().begin(),
                  weights.getValues<float>().end());
  e.numSamples = rows;
  return e;
}

llvm::Expected<std::vector<double>>
LayerSampleEvaluator::getWindowGram(int64_t channelAxis) const {
  const Maps &m = *maps;
  AffineMap xMap = m.maps[0], wMap = m.maps[1], outMap = m.maps[2];
  unsigned numLoops = m.sizes.size();
  int64_t rank = m.wShape.size();
  // The column of a window entry: the weight's axes but the channel,
  // row-major; per loop, its step in that column index.
  SmallVector<int64_t> colStep(numLoops, 0);
  int64_t cols = 1;
  for (int64_t a = rank - 1; a >= 0; --a) {
    if (a == channelAxis)
      continue;
    auto d = cast<AffineDimExpr>(wMap.getResult(a)).getPosition();
    colStep[d] = cols;
    cols *= m.wShape[a];
  }
  SmallVector<unsigned> positions, window;
  for (unsigned d = 0; d < numLoops; ++d) {
    bool inOut = outMap.isFunctionOfDim(d), inW = wMap.isFunctionOfDim(d),
         inX = xMap.isFunctionOfDim(d);
    bool isChannel =
        channelAxis >= 0 && wMap.getResult(channelAxis) ==
                                getAffineDimExpr(d, xMap.getContext());
    if (!inOut)
      window.push_back(d);
    else if (inX && !inW)
      positions.push_back(d);
    else if (inW && (inX || !isChannel))
      return fail("a loop indexes the weight and is neither reduced nor its "
                  "output channel (a depthwise convolution)");
  }
  std::vector<double> gram(cols * cols, 0.0);
  std::vector<double> patch(cols);
  // The window's input offsets (relative) and columns, once.
  std::vector<std::pair<int64_t, int64_t>> entries;
  std::function<void(unsigned, int64_t, int64_t)> walkWindow =
      [&](unsigned i, int64_t ox, int64_t col) {
        if (i == window.size()) {
          entries.push_back({ox, col});
          return;
        }
        unsigned d = window[i];
        for (int64_t v = 0; v < m.sizes[d]; ++v)
          walkWindow(i + 1, ox + v * m.coef[0][d], col + v * colStep[d]);
      };
  walkWindow(0, 0, 0);
  std::function<void(unsigned, int64_t)> walkPositions = [&](unsigned i,
                                                             int64_t ox) {
    if (i == positions.size()) {
      std::fill(patch.begin(), patch.end(), 0.0);
      for (auto [offset, col] : entries)
        patch[col] = samples[ox + offset];
      for (int64_t a = 0; a < cols; ++a) {
        if (patch[a] == 0)
          continue;
        for (int64_t b = a; b < cols; ++b)
          gram[a * cols + b] += patch[a] * patch[b];
      }
      return;
    }
    unsigned d = positions[i];
    for (int64_t v = 0; v < m.sizes[d]; ++v)
      walkPositions(i + 1, ox + v * m.coef[0][d]);
  };
  walkPositions(0, m.base[0]);
  for (int64_t a = 0; a < cols; ++a)
    for (int64_t b = 0; b < a; ++b)
      gram[a * cols + b] = gram[b * cols + a];
  return gram;
}

llvm::Expected<CalibrationChoice> quantopt::chooseCalibrationMethod(
    const LayerSampleEvaluator &evaluator, ArrayRef<cal::Method> candidates,
    const cal::ObserverStats &stats, const cal::EstimateOptions &options) {
  ArrayRef<float> xs = evaluator.getSamples();
  ArrayRef<float> w = evaluator.getWeight();
  std::vector<double> reference = evaluator.run(xs, w);
  num::SolverOptions solver = options.getSolverOptions();
  CalibrationChoice choice;
  choice.samples = evaluator.getNumSamples();
  std::string skipped;
  std::vector<float> xq(xs.size());
  for (cal::Method method : candidates) {
    cal::EstimateOptions estimate = options;
    estimate.method = method;
    auto range = cal::estimateRange(stats, estimate);
    if (!range) {
      skipped += (skipped.empty() ? "" : "; ") +
                 cal::getMethodName(method).str() + ": " +
                 llvm::toString(range.takeError());
      continue;
    }
    auto params = num::solveFromRange(range->min, range->max, solver);
    if (!params) {
      skipped += (skipped.empty() ? "" : "; ") +
                 cal::getMethodName(method).str() + ": " +
                 llvm::toString(params.takeError());
      continue;
    }
    num::IntRange intRange = solver.getIntRange();
    for (size_t i = 0; i < xs.size(); ++i)
      xq[i] = num::dequantizeAffine(
          num::quantizeAffine(xs[i], params->scale, params->zeroPoint, intRange),
          params->scale, params->zeroPoint);
    double sqnr =
        LayerSampleEvaluator::getSqnr(reference, evaluator.run(xq, w));
    choice.measures.push_back({method, *range, sqnr});
    if (choice.measures.size() > 1 &&
        sqnr > choice.measures[choice.chosen].sqnr)
      choice.chosen = choice.measures.size() - 1;
  }
  if (choice.measures.empty())
    return fail("no estimator gives a range: " + skipped);
  return choice;
}
