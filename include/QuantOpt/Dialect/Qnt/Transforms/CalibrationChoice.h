//===- CalibrationChoice.h - Per-layer range estimator choice ---*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// `--qnt-quantize calibration=auto`: for each static layer, the range
// estimator (minmax, percentile, mse, entropy, moving-average) whose
// quantized input gives the smallest error in the layer's *output*,
// measured on samples of the layer's real input (a `quant-run
// --dump-observed` directory of the float model with observers): one
// method can collapse on a layer where another does well (entropy often
// clips post-ReLU activations hard; min-max wastes levels on outliers), so
// one global choice is not enough (docs/Algorithms.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_CALIBRATIONCHOICE_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_CALIBRATIONCHOICE_H

#include "QuantOpt/Calibration/Calibration.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace quantopt {

class LayerSampleEvaluator;

/// The samples of each layer's input in a `quant-run --dump-observed`
/// directory (observers.json names each observer's .npy file), read when a
/// layer asks for them.
class ActivationSamples {
public:
  /// Reads DIR/observers.json; an error when it is missing or malformed.
  static llvm::Expected<ActivationSamples> open(llvm::StringRef dir);
  /// The samples observed for `id` (f32, the first axis the samples), or an
  /// error (no such observer, an unreadable file, not f32).
  llvm::Expected<std::vector<float>> read(llvm::StringRef id,
                                          std::vector<int64_t> &shape) const;
  bool contains(llvm::StringRef id) const { return files.count(id); }
  /// The evaluator of `layer` on the samples of `id` (read, then
  /// LayerSampleEvaluator::get).
  llvm::Expected<LayerSampleEvaluator> evaluate(llvm::StringRef id,
                                                mlir::Operation *layer) const;
  const std::string &getDirectory() const { return dir; }

private:
  std::string dir;
  llvm::StringMap<std::string> files;
};

/// At most this many multiply-adds per evaluation of a layer: the samples
/// measured are the first ones along the leading axis that fit.
constexpr int64_t kCalibrationChoiceWork = int64_t(1) << 25;

/// A linalg layer (activation operand 0, constant f32 weight operand 1,
/// y[out(i)] += x[in(i)] * w[wt(i)] with pure affine maps) evaluated
/// directly from its indexing maps on the first samples of its input that
/// fit kCalibrationChoiceWork: the measuring device of calibration=auto and
/// of mixed precision on layers without a Hessian. Not a kernel.
class LayerSampleEvaluator {
public:
  /// `x` has shape `shape`: any leading extent (the samples), the other
  /// dimensions the activation's.
  static llvm::Expected<LayerSampleEvaluator>
  get(mlir::Operation *layer, llvm::ArrayRef<float> x,
      llvm::ArrayRef<int64_t> shape);
  ~LayerSampleEvaluator();
  LayerSampleEvaluator(LayerSampleEvaluator &&);
  /// The layer's output (row-major) for input `x` (getSamples().size()
  /// values) and weight `w` (the weight's layout).
  std::vector<double> run(llvm::ArrayRef<float> x,
                          llvm::ArrayRef<float> w) const;
  /// The Hessian GPTQ needs, sum(p p^T) over the input windows p of the
  /// samples: one window per output position (every parallel loop that
  /// indexes the input), its entries the input values each weight element
  /// of an output channel multiplies, in the weight's row-major order over
  /// its axes but `channelAxis`. An error when a weight loop is neither
  /// reduced nor an output channel (a depthwise convolution).
  llvm::Expected<std::vector<double>> getWindowGram(int64_t channelAxis) const;
  /// The samples kept and the layer's float weight.
  llvm::ArrayRef<float> getSamples() const { return samples; }
  llvm::ArrayRef<float> getWeight() const { return weight; }
  int64_t getNumSamples() const { return numSamples; }
  /// 10 log10(sum y^2 / sum (y - y')^2) in dB; +inf when equal.
  static double getSqnr(llvm::ArrayRef<double> reference,
                        llvm::ArrayRef<double> y);

  /// The loop nest (CalibrationChoice.cpp).
  struct Maps;

private:
  LayerSampleEvaluator();
  std::unique_ptr<Maps> maps;
  std::vector<float> samples, weight;
  int64_t numSamples = 0;
};

/// One estimator's range and the layer-output SQNR it gave.
struct EstimatorMeasure {
  calibration::Method method;
  calibration::Range range;
  /// 10 log10(sum y^2 / sum (y - y')^2) in dB; +inf when exact.
  double sqnr;
};

/// What chooseCalibrationMethod measured and chose.
struct CalibrationChoice {
  std::vector<EstimatorMeasure> measures;
  /// Index into `measures` of the chosen estimator (the highest SQNR; ties
  /// to the earlier candidate).
  size_t chosen = 0;
  /// The number of input samples (leading-axis entries) measured on.
  int64_t samples = 0;
  /// "mse (minmax 31.2 dB, percentile 33.0 dB, mse 34.1 dB, ...)".
  std::string describe() const;
};

/// The estimators `candidates` applied to `stats` with `options` (storage,
/// scheme, percentile) for the layer `evaluator` evaluates: each range is
/// solved into activation parameters as the integer layer does
/// (numerics::solveFromRange), the samples are quantized and dequantized
/// with them, and the layer's output on them is compared with its output on
/// the samples themselves (float weights in both: the measure isolates the
/// activation's range). An estimator that gives no range is skipped; an
/// error when none does.
llvm::Expected<CalibrationChoice>
chooseCalibrationMethod(const LayerSampleEvaluator &evaluator,
                        llvm::ArrayRef<calibration::Method> candidates,
                        const calibration::ObserverStats &stats,
                        const calibration::EstimateOptions &options);

/// Parses "minmax,percentile,mse,entropy" (method names, no repeats).
llvm::Expected<std::vector<calibration::Method>>
parseCalibrationCandidates(llvm::StringRef text);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_CALIBRATIONCHOICE_H
