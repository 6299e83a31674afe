//===- InsertObservers.cpp - Calibration observers ------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-insert-observers places qnt.observe ops on the activations
// --qnt-quantize quantizes statically; qnt-lower-observers turns them into
// calls of the calibration runtime (quant-run provides qnt_observe_f32).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Plan.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSet.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTINSERTOBSERVERS
#define GEN_PASS_DEF_QNTLOWEROBSERVERS
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

static constexpr llvm::StringLiteral kFingerprintAttrName =
    qnt::QntDialect::kModelFingerprintAttrName;
static constexpr llvm::StringLiteral kObserversAttrName =
    qnt::QntDialect::kObserversAttrName;
static constexpr llvm::StringLiteral kObserveFunctionName = "qnt_observe_f32";

namespace {
struct QntInsertObserversPass
    : quantopt::impl::QntInsertObserversBase<QntInsertObserversPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Recipe rules;
    if (!recipe.empty()) {
      auto loaded = Recipe::load(recipe);
      if (!loaded) {
        mlir::emitError(module.getLoc())
            << "qnt-insert-observers: " << llvm::toString(loaded.takeError());
        return signalPassFailure();
      }
      rules = std::move(*loaded);
    }
    std::optional<qnt::MomentsKind> momentsKind;
    if (moments != "none") {
      momentsKind = qnt::symbolizeMomentsKind(moments);
      if (!momentsKind) {
        mlir::emitError(module.getLoc())
            << "qnt-insert-observers: moments='" << moments
            << "': expected none, channels or hessian";
        return signalPassFailure();
      }
    }
    module->setAttr(kFingerprintAttrName,
                    StringAttr::get(&getContext(),
                                    computeModelFingerprint(module)));
    llvm::StringSet<> seen;
    auto observe = [&](OpBuilder &b, Location loc, Value value, StringRef id,
                       std::optional<int64_t> axis, bool withMoments) -> bool {
      if (!seen.insert(id).second) {
        emitError(loc) << "qnt-insert-observers: two layers are named '" << id
                       << "'; give them distinct name locations";
        return false;
      }
      // Moments are per channel: they keep the channel axis even without
      // per-channel min/max.
      bool moment = withMoments && axis && momentsKind;
      qnt::ObserveOp::create(
          b, loc, value, b.getStringAttr(id),
          axis && (perChannel || moment) ? b.getI64IntegerAttr(*axis)
                                         : IntegerAttr(),
          moment ? qnt::MomentsKindAttr::get(b.getContext(), *momentsKind)
                 : qnt::MomentsKindAttr());
      return true;
    };

    // Float layers.
    llvm::StringMap<unsigned> counters;
    SmallVector<qnt::QuantizableLayerOpInterface> layers;
    module.walk([&](qnt::QuantizableLayerOpInterface layer) {
      layers.push_back(layer);
    });
    // The same plan as --qnt-quantize with static activations: exactly the
    // layers it would give static integer kernels are observed.
    PlanOptions planOptions;
    planOptions.recipe = &rules;
    planOptions.activations = ActivationMode::Static;
    for (qnt::QuantizableLayerOpInterface layer : layers) {
      Operation *op = layer.getOperation();
      std::string name = getLayerName(op, counters);
      LayerPlan plan =
          planLayer(layer, name, op->getName().getStringRef(), planOptions);
      if (plan.kind != LayerPlan::Kind::Integer) {
        emitRemark(op->getLoc())
            << "layer '" << name << "' not observed: "
            << (plan.kind == LayerPlan::Kind::Float
                    ? "--qnt-quantize keeps it in float: "
                    : "--qnt-quantize keeps its activations in float: ")
            << plan.reason;
        continue;
      }
      // Per-block weights: the range serves the calibrated tensor scale of
      // dynamic block activations (act-tensor-scale=calibrated), not static
      // ones.
      if (plan.config->granularity == WeightConfig::Granularity::Block)
        emitRemark(op->getLoc())
            << "layer '" << name
            << "' has per-block weights: observed for "
               "act-tensor-scale=calibrated; with activations=static "
               "--qnt-quantize keeps its activations in float ("
            << kBlockWeightsNeedDynamicActivations << ")";
      Value x = getActivationOperand(op).get();
      OpBuilder b(op);
      if (!observe(b, op->getLoc(), x, name,
                   getActivationChannelAxis(op),
                   /*withMoments=*/true))
        return signalPassFailure();
    }

    // Integer layers of a quantized model: observe the dequantized input of
    // each qnt.contract (static), or the float input of the run-time
    // quantization (dynamic). Names come from the layers' locations.
    SmallVector<qnt::ContractOp> contracts;
    module.walk([&](qnt::ContractOp op) { contracts.push_back(op); });
    llvm::StringMap<unsigned> contractCounters;
    for (qnt::ContractOp op : contracts) {
      std::string name = getLayerName(op, contractCounters);
      Value xq = op.getInput();
      auto type = cast<RankedTensorType>(xq.getType());
      OpBuilder b(op);
      Value observed;
      if (qnt::ParamsAttr params = op.getInputParamsAttr()) {
        observed = qnt::DequantizeOp::create(
            b, op.getLoc(),
            RankedTensorType::get(type.getShape(), b.getF32Type()), xq, params,
            UnitAttr());
      } else if (auto dq = xq.getDefiningOp<qnt::DynamicQuantizeOp>()) {
        observed = dq.getInput();
        emitRemark(op.getLoc())
            << "layer '" << name
            << "' quantizes its activation at run time: observed at the "
               "float input of qnt.dynamic_quantize";
      } else {
        emitRemark(op.getLoc())
            << "layer '" << name
            << "' not observed: its run-time input parameters do not come "
               "from a qnt.dynamic_quantize";
        continue;
      }
      if (!observe(b, op.getLoc(), observed, name, std::nullopt,
                   /*withMoments=*/false))
        return signalPassFailure();
    }
  }
};

struct QntLowerObserversPass
    : quantopt::impl::QntLowerObserversBase<QntLowerObserversPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<qnt::ObserveOp> observers;
    module.walk([&](qnt::ObserveOp op) { observers.push_back(op); });
    if (observers.empty())
      return;
    MLIRContext *ctx = &getContext();
    Type i64 = IntegerType::get(ctx, 64);
    auto unranked = UnrankedTensorType::get(Float32Type::get(ctx));
    // (index, channel axis or -1, moments kind or 0, the tensor).
    auto fnType = FunctionType::get(ctx, {i64, i64, i64, unranked}, {});
    auto fn = module.lookupSymbol<func::FuncOp>(kObserveFunctionName);
    if (!fn) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      fn = func::FuncOp::create(b, module.getLoc(), kObserveFunctionName,
                                fnType);
      fn.setPrivate();
      // The runtime only reads the tensor: no copy is needed around the call.
      fn.setArgAttr(3, "bufferization.access", b.getStringAttr("read"));
    } else if (fn.getFunctionType() != fnType) {
      fn.emitError() << "@" << kObserveFunctionName
                     << " is reserved for the calibration runtime";
      return signalPassFailure();
    }
    // Ids in module order; the same id may be observed at several places.
    SmallVector<Attribute> ids;
    llvm::StringMap<int64_t> indexOf;
    for (qnt::ObserveOp op : observers) {
      auto [it, inserted] = indexOf.try_emplace(op.getId(), ids.size());
      if (inserted)
        ids.push_back(op.getIdAttr());
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value index = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(it->second));
      Value axis = arith::ConstantOp::create(
          b, loc, b.getI64IntegerAttr(op.getChannelAxis().value_or(-1)));
      Value moments = arith::ConstantOp::create(
          b, loc,
          b.getI64IntegerAttr(
              op.getMoments() ? static_cast<int64_t>(*op.getMoments()) : 0));
      Value cast = tensor::CastOp::create(b, loc, unranked, op.getInput());
      func::CallOp::create(b, loc, fn, ValueRange{index, axis, moments, cast});
      op.erase();
    }
    module->setAttr(kObserversAttrName, ArrayAttr::get(ctx, ids));
  }
};
} // namespace
