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

#include <string>
#include <vector>

namespace quantopt {

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
  const std::string &getDirectory() const { return dir; }

private:
  std::string dir;
  llvm::StringMap<std::string> files;
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

/// At most this many multiply-adds per evaluation of a layer: the samples
/// measured are the first ones along the leading axis that fit.
constexpr int64_t kCalibrationChoiceWork = int64_t(1) << 25;

/// For the linalg layer `layer` (its activation operand 0, its constant
/// float weight operand 1, y[out(i)] += x[in(i)] * w[wt(i)] with pure
/// affine maps), the estimators `candidates` applied to `stats` with
/// `options` (storage, scheme, percentile): each range is solved into
/// activation parameters as the integer layer does (numerics::
/// solveFromRange), the samples `x` (shape `shape`; any leading extent, the
/// other dimensions the activation's) are quantized and dequantized with
/// them, and the layer's output on them is compared with its output on `x`
/// (float weights in both: the measure isolates the activation's range).
/// An estimator that gives no range is skipped; an error when none does or
/// the layer cannot be evaluated.
llvm::Expected<CalibrationChoice>
chooseCalibrationMethod(mlir::Operation *layer,
                        llvm::ArrayRef<calibration::Method> candidates,
                        const calibration::ObserverStats &stats,
                        const calibration::EstimateOptions &options,
                        llvm::ArrayRef<float> x, llvm::ArrayRef<int64_t> shape);

/// Parses "minmax,percentile,mse,entropy" (method names, no repeats).
llvm::Expected<std::vector<calibration::Method>>
parseCalibrationCandidates(llvm::StringRef text);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_CALIBRATIONCHOICE_H
