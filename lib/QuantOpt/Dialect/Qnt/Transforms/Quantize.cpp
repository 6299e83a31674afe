//===- Quantize.cpp - The qnt-quantize pass -------------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Embeddings.h"
#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Plan.h"
#include "QuantOpt/Dialect/Qnt/Transforms/QuantizeLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Calibration/StatsFile.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTNAMELAYERS
#define GEN_PASS_DEF_QNTGENERALIZEELEMENTWISE
#define GEN_PASS_DEF_QNTQUANTIZELAYERS
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;
namespace cal = quantopt::calibration;

namespace {
struct QntNameLayersPass
    : quantopt::impl::QntNameLayersBase<QntNameLayersPass> {
  void runOnOperation() override { recordLayerNames(getOperation()); }
};

/// A named element-wise linalg op (not a layer, fill, broadcast, transpose
/// or copy) as a linalg.generic.
struct GeneralizeElementwise
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<linalg::GenericOp, linalg::FillOp, linalg::BroadcastOp,
            linalg::TransposeOp, linalg::CopyOp>(op.getOperation()) ||
        isa<qnt::QuantizableLayerOpInterface>(op.getOperation()) ||
        !linalg::isElementwise(op))
      return rewriter.notifyMatchFailure(op, "not a named element-wise op");
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

struct QntGeneralizeElementwisePass
    : quantopt::impl::QntGeneralizeElementwiseBase<
          QntGeneralizeElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntGeneralizeElementwisePatterns(patterns);
    // Only the rewrite: no folding or constant hoisting (the canonicalizer
    // does those later).
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

struct QntQuantizePass
    : quantopt::impl::QntQuantizeLayersBase<QntQuantizePass> {
  using Base::Base;
  /// Whether the pipeline lowers TOSA and generalizes element-wise ops
  /// before this pass.
  bool lowersTosa() const { return activations != "none"; }
  bool isStatic() const { return activations == "static"; }
  /// weights=bf16 or f16: qnt-convert-to-bf16 or qnt-convert-to-f16
  /// instead of this pass.
  bool convertsToHalfFloat() const {
    return weights == "bf16" || weights == "f16";
  }
  std::string getWeightsOption() const { return weights; }
  std::string getActivationsOption() const { return activations; }
  std::string getNonFiniteOption() const { return nonFinite; }
  std::string getWeightScaleOption() const { return weightScale; }
  /// Whether the pipeline converts NCHW layers to NHWC before this pass.
  bool convertsToNhwc() const { return layout == "nhwc"; }
  QntQuantizePass(std::shared_ptr<const cal::StatsFile> provided)
      : providedStats(std::move(provided)) {}

  /// Statistics handed over in memory (createQntQuantizePass), used instead
  /// of reading `stats`.
  std::shared_ptr<const cal::StatsFile> providedStats;
  /// How the statistics are named in messages.
  std::string getStatsName() const {
    return providedStats && stats.empty() ? std::string("the statistics")
                                          : "'" + stats + "'";
  }

  /// The configuration from the pass options.
  LogicalResult getBaseConfig(WeightConfig &config) {
    ModuleOp module = getOperation();
    // OCP MX formats: their element storage, blocks of block-size (32 in
    // the specification) along K with E8M0 (power-of-two) scales chosen by
    // the MX rule (num::Scheme::Mx).
    static const std::pair<const char *, num::StorageKind> kMxFormats[] = {
        {"mxfp8", num::StorageKind::F8E4M3FN},
        {"mxfp8e5m2", num::StorageKind::F8E5M2},
        {"mxfp6", num::StorageKind::F6E2M3FN},
        {"mxfp6e3m2", num::StorageKind::F6E3M2FN},
        {"mxfp4", num::StorageKind::F4E2M1FN},
        {"mxint8", num::StorageKind::I8}};
    std::optional<num::StorageKind> mx;
    for (auto [name, kind] : kMxFormats)
      if (weights == name)
        mx = kind;
    // NVFP4: f4E2M1FN in blocks of 16 (unless block-size says otherwise)
    // with E4M3 block scales times a float32 tensor scale
    // (num::Scheme::NvFp4).
    bool nvfp4 = weights == "nvfp4";
    auto storage = nvfp4 ? std::optional(num::StorageKind::F4E2M1FN)
                   : mx  ? mx
                         : num::parseStorageName(weights);
    if (!storage || *storage == num::StorageKind::I32)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weights='" << weights << "'";
    auto scheme = num::parseSchemeName(weightScheme);
    if (!scheme)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weight-scheme='" << weightScheme
             << "' (expected symmetric, asymmetric, minval, mx or nvfp4)";
    auto granularity = parseGranularityName(weightGranularity);
    if (!granularity)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weight-granularity='"
             << weightGranularity << "' (expected tensor, channel or block)";
    if (blockSize <= 0)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: block-size must be positive";
    if (!weightRange.empty() && weightRange != "narrow" &&
        weightRange != "full")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weight-range='" << weightRange
             << "' (expected narrow or full)";
    if (layout != "nhwc" && layout != "keep")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown layout='" << layout
             << "' (expected nhwc or keep)";
    if (activations != "none" && activations != "dynamic" &&
        activations != "static")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown activations='" << activations
             << "' (expected dynamic, static or none)";
    auto actKind = num::parseStorageName(actStorage);
    if (!actKind || num::isFloatStorage(*actKind) ||
        *actKind == num::StorageKind::I32)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-storage='" << actStorage
             << "' must be an integer type of 2 to 16 bits";
    auto actSchemeKind = num::parseSchemeName(actScheme);
    if (!actSchemeKind || *actSchemeKind == num::Scheme::Minval)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-scheme='" << actScheme
             << "' (expected asymmetric, symmetric, mx or nvfp4)";
    // OCP MX activations: MXINT8, solved at run time (qnt.dynamic_quantize
    // scheme = mx).
    if (*actSchemeKind == num::Scheme::Mx &&
        (*actKind != num::StorageKind::I8 || activations == "static"))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-scheme=mx (MXINT8 activations, solved at "
                "run time) needs act-storage=i8 and activations=dynamic";
    // NVFP4 activations: E2M1 values with E4M3 block scales solved at run
    // time (qnt.dynamic_quantize scheme = nvfp4), in the weights' blocks.
    if (*actSchemeKind == num::Scheme::NvFp4 &&
        (*actKind != num::StorageKind::I8 || activations == "static" ||
         actGranularity != "block"))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-scheme=nvfp4 (NVFP4 activations, block "
                "scales solved at run time) needs act-storage=i8, "
                "act-granularity=block and activations=dynamic";
    if (actGranularity != "tensor" && actGranularity != "row" &&
        actGranularity != "block")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown act-granularity='" << actGranularity
             << "' (expected tensor, row or block)";
    if (actMatmuls != "float" && actMatmuls != "dynamic")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown act-matmuls='" << actMatmuls
             << "' (expected float or dynamic)";
    if (actDepthwise != "auto" && actDepthwise != "float" &&
        actDepthwise != "quantize")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown act-depthwise='" << actDepthwise
             << "' (expected auto, float or quantize)";
    if (!requantize.empty() && !parseRequantizeOption(requantize))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown requantize='" << requantize
             << "' (expected float, fixed-point or double-round)";
    if (activations == "static" && stats.empty() && !providedStats)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: activations=static needs stats=FILE";
    if (actTensorScale != "dynamic" && actTensorScale != "calibrated")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown act-tensor-scale='" << actTensorScale
             << "' (expected dynamic or calibrated)";
    if (actTensorScale == "calibrated" &&
        (*actSchemeKind != num::Scheme::NvFp4 || activations != "dynamic" ||
         (stats.empty() && !providedStats)))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-tensor-scale=calibrated sets the tensor "
                "scale of NVFP4 activations (act-scheme=nvfp4, "
                "activations=dynamic) from stats=FILE";
    // calibration=auto compares the errors of integer parameters, which
    // NVFP4 activations do not have.
    if (actTensorScale == "calibrated" && calibration == "auto")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: act-tensor-scale=calibrated does not combine "
                "with calibration=auto";
    activation.dynamic = activations == "dynamic";
    activation.perRow = actGranularity == "row";
    activation.perBlock = actGranularity == "block";
    activation.activationMatmuls = actMatmuls == "dynamic";
    activation.floatDepthwise =
        actDepthwise == "float" ||
        (actDepthwise == "auto" && activations == "dynamic" &&
         profile != "onnxruntime");
    activation.storage = *actKind;
    activation.scheme = *actSchemeKind;
    config.storage = *storage;
    config.scheme = *scheme;
    config.granularity = *granularity;
    config.blockSize = blockSize;
    if (!weightRange.empty())
      config.narrowRange = weightRange == "narrow";
    config.powerOfTwo = pow2;
    if (weightScale != "f32" && weightScale != "f16")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weight-scale='" << weightScale
             << "' (expected f32 or f16)";
    config.halfScales = weightScale == "f16";
    std::optional<num::Profile> parsedProfile = num::parseProfileName(profile);
    if (!parsedProfile)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown profile='" << profile
             << "' (expected quantopt, torch, onnxruntime or tflite)";
    if (reduceRange != "none" && reduceRange != "activations" &&
        reduceRange != "weights" && reduceRange != "all")
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown reduce-range='" << reduceRange
             << "' (expected none, activations, weights or all)";
    if (activation.dynamic &&
        (reduceRange == "activations" || reduceRange == "all"))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: reduce-range=" << reduceRange
             << " applies to static activations (activations=static); "
                "dynamic ones are solved at run time from each tensor's range";
    config.profile = activation.profile = *parsedProfile;
    config.reduceRange = reduceRange == "weights" || reduceRange == "all";
    activation.reduceRange =
        reduceRange == "activations" || reduceRange == "all";
    for (auto [what, kind, on] :
         {std::tuple{"weights", *storage, config.reduceRange},
          std::tuple{"activations", *actKind, activation.reduceRange}})
      if (on &&
          (num::isFloatStorage(kind) || num::getStorageBitWidth(kind) < 3))
        return mlir::emitError(module.getLoc())
               << "qnt-quantize: reduce-range=" << reduceRange << " needs "
               << what << " in integer storage of 3 bits or more, not "
               << num::getStorageName(kind);
    if (mx) {
      // SolverOptions::setDefaults gives the MX scheme E8M0 (power-of-two)
      // scales and MXINT8 the narrow range [-127, 127].
      config.scheme = num::Scheme::Mx;
      config.granularity = WeightConfig::Granularity::Block;
    }
    if (nvfp4) {
      config.scheme = num::Scheme::NvFp4;
      config.granularity = WeightConfig::Granularity::Block;
      if (!blockSize.hasValue())
        config.blockSize = num::kNvFp4BlockSize;
    }
    if (weightBits != 0) {
      if (num::isFloatStorage(*storage) || weightBits < 2 ||
          weightBits > int64_t(num::getStorageBitWidth(*storage)))
        return mlir::emitError(module.getLoc())
               << "qnt-quantize: weight-bits=" << int64_t(weightBits)
               << " must be from 2 to the bits of integer weights=" << weights;
      config.bits = static_cast<unsigned>(weightBits);
    }
    // The solver's own rule (recipes reach it per layer), here once for
    // the options.
    if (llvm::Error err = num::checkHalfScaleOptions(config.getSolverOptions()))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: weight-scale=f16 with weights=" << weights
             << ": " << llvm::toString(std::move(err));
    auto method = parseWeightMethodName(weightMethod);
    if (!method)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: unknown weight-method='" << weightMethod
             << "' (expected rtn, gptq or awq)";
    if (awqGrid < 1)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: awq-grid must be positive";
    bool smooth = smoothQuant >= 0;
    if (smooth && !(smoothQuant <= 1))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: smoothquant must be in [0, 1] (or negative: "
                "off)";
    if (biasCorrection && stats.empty() && !providedStats)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: bias-correction needs stats=FILE with the "
                "layers' input means (calibrate with "
                "--qnt-insert-observers=\"moments=channels\")";
    config.biasCorrection = biasCorrection;
    if ((smooth || *method == WeightConfig::Method::Awq) && stats.empty() &&
        !providedStats)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: "
             << (smooth ? "smoothquant" : "weight-method=awq")
             << " needs stats=FILE ("
             << (smooth ? "per-channel extremes"
                        : "the layers' Hessians: calibrate with "
                          "--qnt-insert-observers=\"moments=hessian\"")
             << ")";
    if (gptqBlockSize <= 0)
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: gptq-block-size must be positive";
    if (!(gptqDamp >= 0) || !std::isfinite(double(gptqDamp)))
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: gptq-damp must be a non-negative number";
    if (*method == WeightConfig::Method::Gptq && stats.empty() &&
        !providedStats && calibrationSamples.empty())
      return mlir::emitError(module.getLoc())
             << "qnt-quantize: weight-method=gptq needs stats=FILE with the "
                "layers' Hessians (calibrate a model instrumented with "
                "--qnt-insert-observers=\"moments=hessian\") or "
                "calibration-samples=DIR";
    config.method = *method;
    config.gptq.blockSize = gptqBlockSize;
    config.gptq.dampening = gptqDamp;
    config.gptq.actOrder = gptqActOrder;
    config.awq.grid = awqGrid;
    config.awq.clip = awqClip;
    if (smooth)
      config.smoothQuant = double(smoothQuant);
    return success();
  }

  ActivationConfig activation;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    WeightConfig base;
    if (failed(getBaseConfig(base)))
      return signalPassFailure();
    cal::StatsFile activationStats;
    cal::EstimateOptions estimate;
    std::vector<cal::Method> candidateMethods;
    std::optional<ActivationSamples> samples;
    if (!stats.empty() || providedStats) {
      if (providedStats && stats.empty()) {
        activationStats = *providedStats;
      } else {
        auto loaded = cal::StatsFile::load(stats);
        if (!loaded) {
          mlir::emitError(module.getLoc())
              << "qnt-quantize: " << llvm::toString(loaded.takeError());
          return signalPassFailure();
        }
        activationStats = std::move(*loaded);
      }
      std::string fingerprint = computeModelFingerprint(module);
      if (!activationStats.model.empty() &&
          activationStats.model != fingerprint) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: " << getStatsName()
            << " holds statistics of another model (model fingerprint "
            << activationStats.model << ", this module's is " << fingerprint
            << "); calibrate this model with --qnt-insert-observers and "
               "quant-run --calibrate";
        return signalPassFailure();
      }
      std::optional<cal::Method> method;
      if (calibration == "auto") {
        auto candidates = parseCalibrationCandidates(calibrationCandidates);
        if (!candidates) {
          mlir::emitError(module.getLoc())
              << "qnt-quantize: calibration-candidates: "
              << llvm::toString(candidates.takeError());
          return signalPassFailure();
        }
        if (calibrationSamples.empty()) {
          mlir::emitError(module.getLoc())
              << "qnt-quantize: calibration=auto needs calibration-samples=DIR "
                 "(quant-run --dump-observed on the float model with "
                 "observers)";
          return signalPassFailure();
        }
        candidateMethods = std::move(*candidates);
        // Any candidate but minmax needs the histograms (checked below).
        method = cal::Method::MinMax;
        for (cal::Method m : candidateMethods)
          if (m != cal::Method::MinMax)
            method = m;
      } else {
        method = cal::parseMethodName(calibration);
      }
      if (!method) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: unknown calibration='" << calibration
            << "' (expected minmax, moving-average, "
               "percentile, mse, entropy, torch-histogram or "
               "auto)";
        return signalPassFailure();
      }
      // The tensor scale of NVFP4 activations comes from a range, not from
      // a search for the parameters of a storage type.
      if (actTensorScale == "calibrated" && activation.dynamic &&
          *method != cal::Method::MinMax &&
          *method != cal::Method::MovingAverage &&
          *method != cal::Method::Percentile) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: act-tensor-scale=calibrated takes the range of "
               "calibration=minmax, moving-average or percentile, not "
            << calibration;
        return signalPassFailure();
      }
      if (*method != cal::Method::MinMax &&
          !activationStats.hasFullStatistics()) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: calibration=" << calibration << " needs the "
            << "histograms of a version 2 stats file (quant-run "
               "--calibrate); "
            << getStatsName() << " is version 1 (min/max only)";
        return signalPassFailure();
      }
      // ONNX Runtime's percentile takes [0, 100]; ours keeps a side.
      bool ort = activation.profile == num::Profile::OnnxRuntime;
      if (ort ? !(percentile >= 0 && percentile <= 100)
              : !(percentile > 50 && percentile <= 100)) {
        std::string value;
        llvm::raw_string_ostream(value) << llvm::format("%g", double(percentile));
        mlir::emitError(module.getLoc())
            << "qnt-quantize: percentile=" << value
            << (ort ? " must be in [0, 100] (onnxruntime profile)"
                    : " must be in (50, 100]");
        return signalPassFailure();
      }
      estimate.method = *method;
      estimate.percentile = percentile;
      estimate.ortBins = ortBins;
      estimate.ortSymmetricPercentile = ortSymmetricPercentile;
      estimate.storage = activation.storage;
      estimate.scheme = activation.scheme;
      num::SolverOptions actSolver = activation.getSolverOptions();
      estimate.narrowRange = actSolver.narrowRange;
      estimate.profile = actSolver.profile;
      estimate.reduceRange = actSolver.reduceRange;
    }
    if (!calibrationSamples.empty()) {
      auto opened = ActivationSamples::open(calibrationSamples);
      if (!opened) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: " << llvm::toString(opened.takeError());
        return signalPassFailure();
      }
      samples = std::move(*opened);
    }
    Recipe recipeRules;
    if (!recipe.empty()) {
      auto loaded = Recipe::load(recipe);
      if (!loaded) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: " << llvm::toString(loaded.takeError());
        return signalPassFailure();
      }
      recipeRules = std::move(*loaded);
      // A rule no layer can take is an error here, not a remark per layer.
      if (llvm::Error err = recipeRules.check(base)) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: " << llvm::toString(std::move(err));
        return signalPassFailure();
      }
    }

    // Layers not named by qnt-name-layers (the pass on its own) are named
    // here.
    recordLayerNames(module);

    SmallVector<qnt::QuantizableLayerOpInterface> layers;
    module.walk([&](qnt::QuantizableLayerOpInterface layer) {
      layers.push_back(layer);
    });

    PlanOptions planOptions;
    planOptions.weights = base;
    planOptions.recipe = &recipeRules;
    planOptions.activations = activations == "none"      ? ActivationMode::None
                              : activations == "static" ? ActivationMode::Static
                                                        : ActivationMode::Dynamic;
    if (!stats.empty() || providedStats)
      planOptions.moments = &activationStats;
    planOptions.samples = samples ? &*samples : nullptr;
    planOptions.calibratedTensorScale =
        activation.dynamic && actTensorScale == "calibrated";
    if (planOptions.activations == ActivationMode::Static ||
        planOptions.calibratedTensorScale) {
      planOptions.stats = &activationStats;
      planOptions.statsName = getStatsName();
      planOptions.estimate = estimate;
      planOptions.calibrationName = calibration;
      planOptions.calibrationCandidates = candidateMethods;
    }
    if (!mixedPrecision.empty()) {
      auto candidates = parsePrecisionCandidates(mixedPrecision, base);
      if (!candidates) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: mixed-precision: "
            << llvm::toString(candidates.takeError());
        return signalPassFailure();
      }
      if (stats.empty() && !providedStats && !samples) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: mixed-precision needs stats=FILE "
               "with the layers' Hessians (calibrate with "
               "--qnt-insert-observers=\"moments=hessian\") "
               "or calibration-samples=DIR";
        return signalPassFailure();
      }
      planOptions.precisions = std::move(*candidates);
      planOptions.minSqnr = mpMinSqnr;
    } else if (!mpReport.empty()) {
      mlir::emitError(module.getLoc())
          << "qnt-quantize: mp-report needs mixed-precision";
      return signalPassFailure();
    }
    llvm::json::Object report;
    unsigned integer = 0, weightOnly = 0, keptFloat = 0;
    // Layers split in parts that keep the layer's record (a transposed
    // convolution's phases) are counted, remarked on and reported once.
    llvm::StringSet<> counted;
    IRRewriter rewriter(&getContext());
    for (qnt::QuantizableLayerOpInterface layer : layers) {
      Operation *op = layer.getOperation();
      std::string name, opName;
      LayerRecord record = getLayerRecord(op);
      name = record.name;
      opName = record.opName;
      bool first = counted.insert(name).second;
      Location userLoc = op->getLoc();
      if (auto fused = dyn_cast<FusedLoc>(userLoc))
        userLoc = fused.getLocations().front();
      StringRef kind = StringRef(opName).split('.').second;
      auto keep = [&](const llvm::Twine &why) {
        mlir::emitRemark(userLoc) << "layer '" << name << "' (" << kind
                         << ") kept in float: " << why;
        ++keptFloat;
      };

      LayerOutcome outcome =
          quantizeLayer(rewriter, layer, record, planOptions, activation);
      if (!first)
        continue;
      if (!outcome.note.empty())
        mlir::emitRemark(userLoc)
            << "layer '" << name << "' (" << kind << "): " << outcome.note;
      if (outcome.precision) {
        llvm::json::Array measured;
        for (const auto &m : outcome.precision->measures)
          measured.push_back(llvm::json::Object{
              {"name", m.name},
              {"sqnr_db", std::isfinite(m.sqnr) ? llvm::json::Value(m.sqnr)
                                                : llvm::json::Value(nullptr)},
              {"bytes", m.bytes}});
        llvm::json::Object entry{{"candidates", std::move(measured)}};
        if (outcome.precision->chosen >= 0)
          entry["choice"] =
              outcome.precision->measures[outcome.precision->chosen].name;
        if (!outcome.precision->error.empty())
          entry["error"] = outcome.precision->error;
        report[name] = std::move(entry);
      }
      switch (outcome.kind) {
      case LayerPlan::Kind::Float:
        keep(outcome.reason);
        break;
      case LayerPlan::Kind::Integer:
        ++integer;
        break;
      case LayerPlan::Kind::WeightOnly:
        if (!outcome.reason.empty())
          mlir::emitRemark(userLoc)
              << "layer '" << name << "' (" << kind
              << "): weights quantized, activations stay in float: "
              << outcome.reason;
        ++weightOnly;
        break;
      }
    }

    unsigned embeddings = 0;
    if (quantizeEmbeddings) {
      EmbeddingOutcome tables = quantizeEmbeddingTables(rewriter, module, base);
      for (auto &[loc, note] : tables.notes)
        mlir::emitRemark(loc) << note;
      embeddings = tables.quantized;
    }

    // Consecutive static layers stay in integers (chaining, then biases
    // into their layers): patterns on the qnt ops just built.
    // The tflite profile requantizes as TFLite's kernels do
    // (MultiplyByQuantizedMultiplier: fixed_point_double_round) unless
    // requantize says otherwise.
    qnt::RequantMode requantMode =
        !requantize.empty()   ? *parseRequantizeOption(requantize)
        : profile == "tflite" ? qnt::RequantMode::fixed_point_double_round
                              : qnt::RequantMode::float32;
    if (activations == "static" &&
        failed(chainStaticLayers(module, requantMode)))
      return signalPassFailure();
    // Run-time quantizations move above zero paddings (the same bytes; the
    // padding then moves integers): the quantize moves of the chains.
    if (activations == "dynamic" && failed(applyQntQuantizeMoves(module)))
      return signalPassFailure();
    restoreLayerLocations(module);
    if (activations == "static")
      remarkUnchainedLayers(module);
    if (!mpReport.empty()) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                       {"version", 1},
                                       {"min_sqnr_db", double(mpMinSqnr)},
                                       {"candidates", mixedPrecision},
                                       {"layers", std::move(report)}}))
         << "\n";
      std::string error;
      auto file = openOutputFile(mpReport, &error);
      if (!file) {
        mlir::emitError(module.getLoc())
            << "qnt-quantize: mp-report: " << error;
        return signalPassFailure();
      }
      file->os() << text;
      file->keep();
    }
    mlir::emitRemark(module.getLoc())
        << "qnt-quantize: " << counted.size() << " layer(s): " << integer
        << " integer, " << weightOnly << " weight-only, " << keptFloat
        << " kept in float"
        << (quantizeEmbeddings
                ? llvm::formatv(", {0} embedding table(s) weight-only",
                                embeddings)
                      .str()
                : std::string())
        << " (weights " << base.describe()
        << " unless a recipe says otherwise; activations " << activations
        << ")";
  }
};
} // namespace

void quantopt::populateQntGeneralizeElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<GeneralizeElementwise>(patterns.getContext());
}

/// The pipeline around a configured qnt-quantize-layers pass.
static LogicalResult
buildPipeline(OpPassManager &pm, std::unique_ptr<QntQuantizePass> layers,
              function_ref<LogicalResult(const Twine &)> errorHandler) {
  // weights=bf16 or f16: the layers take 16-bit float weights and
  // activations into f32 results (qnt-convert-to-bf16 / -f16) instead of
  // integer quantization.
  bool toHalfFloat = layers->convertsToHalfFloat();
  std::string weights = layers->getWeightsOption();
  if (toHalfFloat && layers->getActivationsOption() != "dynamic")
    return errorHandler("qnt-quantize: weights=" + weights +
                        " rounds each layer's activations to " + weights +
                        " as it runs; activations=" +
                        layers->getActivationsOption() + " does not apply");
  if (toHalfFloat && layers->getWeightScaleOption() != "f32")
    return errorHandler("qnt-quantize: weights=" + weights +
                        " keeps float weights without scales; weight-scale=" +
                        layers->getWeightScaleOption() + " does not apply");
  std::string nonFinite = layers->getNonFiniteOption();
  if (nonFinite != "saturate" && nonFinite != "propagate" &&
      nonFinite != "propagate-all")
    return errorHandler("qnt-quantize: unknown non-finite='" + nonFinite +
                        "' (expected saturate, propagate or propagate-all)");
  pm.addPass(createQntNameLayers());
  {
    OpPassManager &fn = pm.nest<func::FuncOp>();
    if (layers->lowersTosa()) {
    fn.addPass(tosa::createTosaToLinalgNamed());
    // With static activations the whole TOSA graph becomes linalg, so that
    // its biases, clamps, pooling and reshapes chain in integers.
    if (layers->isStatic()) {
      fn.addPass(tosa::createTosaToLinalg());
      fn.addPass(createTosaToTensorPass());
    }
      fn.addPass(createTosaToArithPass());
    }
    // After the names are recorded (statistics and recipes name the layers
    // of the model as written), so that the layers quantize, and chain, as
    // NHWC.
    if (layers->convertsToNhwc()) {
      fn.addPass(createQntConvertToNhwc());
      // Batch normalizations into the convolutions' weights (NHWC: the
      // channel is last), as other quantizers fold them first.
      fn.addPass(createQntFoldAffineIntoLayers());
    }
    // Transposed convolutions quantize unstuffed (in either layout, so that
    // layout=keep gets the same scales): in polyphase form, or per phase,
    // each phase a layer with its own weight scales that keeps the layer's
    // record (its name, statistics and recipe rules).
    fn.addPass(createQntUnstuffTransposedConv());
  }
  // Added last, on the quantized functions: their float results become NaN
  // where the inputs are not finite (docs/Numerics.md).
  auto propagate = [&] {
    if (nonFinite != "saturate")
      pm.addNestedPass<func::FuncOp>(createQntPropagateNonFinite(
          {nonFinite == "propagate" ? "rows" : "all"}));
  };
  if (toHalfFloat) {
    if (weights == "bf16")
      pm.addPass(createQntConvertToBF16());
    else
      pm.addPass(createQntConvertToF16());
    propagate();
    return success();
  }
  // Static chains fold biases and clamps written as element-wise
  // linalg.generic ops: bring the other spellings (arith ops on tensors,
  // named element-wise linalg ops) to that form first.
  if (layers->isStatic()) {
    pm.addPass(createConvertElementwiseToLinalgPass());
    pm.addNestedPass<func::FuncOp>(createQntGeneralizeElementwise());
  }
  pm.addPass(std::move(layers));
  propagate();
  return success();
}

LogicalResult quantopt::buildQntQuantizePipeline(
    OpPassManager &pm, const QntQuantizeLayersOptions &options,
    std::shared_ptr<const calibration::StatsFile> stats) {
  auto layers = std::make_unique<QntQuantizePass>(options);
  layers->providedStats = std::move(stats);
  return buildPipeline(pm, std::move(layers), [](const Twine &message) {
    llvm::errs() << message << "\n";
    return failure();
  });
}

LogicalResult quantopt::buildQntQuantizePipeline(
    OpPassManager &pm, StringRef options,
    function_ref<LogicalResult(const Twine &)> errorHandler,
    std::shared_ptr<const calibration::StatsFile> stats) {
  auto layers = std::make_unique<QntQuantizePass>(std::move(stats));
  if (failed(layers->initializeOptions(options, errorHandler)))
    return failure();
  return buildPipeline(pm, std::move(layers), errorHandler);
}

void quantopt::registerQntQuantizePipeline() {
  registerPassPipeline(
      "qnt-quantize",
      "Post-training quantization: qnt-name-layers, the TOSA lowering and "
      "element-wise generalization the options need, then "
      "qnt-quantize-layers; the options are qnt-quantize-layers' (see "
      "--qnt-quantize-layers)",
      [](OpPassManager &pm, StringRef options,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        return buildQntQuantizePipeline(pm, options, errorHandler);
      },
      // The options are parsed by the pass itself (mlir::Pass keeps its
      // PassOptions private, so --help lists them under
      // --qnt-quantize-layers only).
      [](function_ref<void(const detail::PassOptions &)>) {});
}
