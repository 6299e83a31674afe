//===- ConvertToHalfFloat.cpp - Float layers to bf16 or f16 inputs --------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-convert-to-bf16 and qnt-convert-to-f16 (`--qnt-quantize weights=bf16`
// and `weights=f16`): the layers keep linalg's named ops, with 16-bit float
// operands and an f32 result, which is typed IR every MLIR compiler reads;
// the rounding of the weights happens here (APFloat, to nearest even) and
// that of the activations in a truncf the layer runs. One implementation
// for both types, as IREE's demotion passes share theirs.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "QuantOpt/Dialect/Qnt/Transforms/FloatCast.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTCONVERTTOBF16
#define GEN_PASS_DEF_QNTCONVERTTOF16
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

/// Why `op` (a layer with f32 input and result) cannot take `target`
/// (bf16 or f16) operands, or empty.
std::string whyKeptInF32(Operation *op, FloatType target) {
  // The f16 kernels widen each operand to f32 (a lane per channel works);
  // the bf16 ones add pairs of products along the reduction, which a
  // depthwise convolution does not have.
  if (isa<linalg::DepthwiseConv2DNchwChwOp>(op) ||
      (target.isBF16() && isa<linalg::DepthwiseConv2DNhwcHwcOp>(op)))
    return target.isBF16()
               ? "depthwise convolutions stay in f32 (no bf16 kernel: a lane "
                 "per channel has no pairs to add)"
               : "NCHW depthwise convolution (run the layout conversion "
                 "first)";
  if (isa<linalg::BatchMatmulOp>(op))
    return "batched matmuls of two activations stay in f32";
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return "NCHW convolution (run the layout conversion first)";
  if (auto mm = dyn_cast<linalg::MatmulOp>(op))
    if (mm.getIndexingMapsArray() !=
        linalg::MatmulOp::getDefaultIndexingMaps(op->getContext()))
      return "matmul with transposed or broadcast operands";
  DenseFPElementsAttr weights;
  if (!matchPattern(op->getOperand(1), m_Constant(&weights)))
    return "weights are not a constant";
  return "";
}

/// Whether `op` is a float layer converted to `target`.
bool isConvertible(Operation *op, FloatType target) {
  if (!isa<linalg::MatmulOp, linalg::Conv2DNhwcHwcfOp,
           linalg::DepthwiseConv2DNhwcHwcOp>(op) ||
      op->getNumOperands() != 3 || op->getNumResults() != 1)
    return false;
  auto elementType = [&](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  return elementType(op->getOperand(0)).isF32() &&
         elementType(op->getOperand(1)).isF32() &&
         elementType(op->getResult(0)).isF32() &&
         isa<RankedTensorType>(op->getOperand(0).getType()) &&
         whyKeptInF32(op, target).empty();
}

template <typename OpT> struct LayerToHalfFloat : OpRewritePattern<OpT> {
  LayerToHalfFloat(MLIRContext *ctx, FloatType target)
      : OpRewritePattern<OpT>(ctx), target(target) {}
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &b) const override {
    if (!isConvertible(op, target))
      return b.notifyMatchFailure(op, "not an f32 layer with constant weights");
    Location loc = op.getLoc();
    DenseFPElementsAttr weights;
    (void)matchPattern(op->getOperand(1), m_Constant(&weights));
    const llvm::fltSemantics &semantics = target.getFloatSemantics();
    auto rounded = weights.mapValues(target, [&](const APFloat &v) {
      APFloat r = v;
      bool lost;
      r.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
      return r.bitcastToAPInt();
    });
    Value w = arith::ConstantOp::create(b, loc, rounded);
    Value x = quantopt::castFloatElements(b, loc, op->getOperand(0), target);
    Value init = op->getOperand(2);
    Operation *converted;
    if constexpr (std::is_same_v<OpT, linalg::MatmulOp>) {
      converted = linalg::MatmulOp::create(b, loc, op->getResultTypes(),
                                           ValueRange{x, w}, ValueRange{init});
    } else {
      converted =
          OpT::create(b, loc, op->getResultTypes(), ValueRange{x, w},
                      ValueRange{init}, op.getStrides(), op.getDilations());
    }
    for (NamedAttribute attr : op->getDiscardableAttrs())
      converted->setAttr(attr.getName(), attr.getValue());
    b.replaceOp(op, converted->getResults());
    return success();
  }
  FloatType target;
};

void populatePatterns(RewritePatternSet &patterns, FloatType target) {
  patterns.add<LayerToHalfFloat<linalg::MatmulOp>,
               LayerToHalfFloat<linalg::Conv2DNhwcHwcfOp>,
               LayerToHalfFloat<linalg::DepthwiseConv2DNhwcHwcOp>>(
      patterns.getContext(), target);
}

/// The layers of `module` to `target`, with a remark per layer kept in f32
/// and one counting them; `passName` begins the count's remark.
void convertLayers(ModuleOp module, FloatType target, StringRef passName) {
  std::string typeName;
  llvm::raw_string_ostream(typeName) << target;
  llvm::StringMap<unsigned> counters;
  unsigned converted = 0, kept = 0;
  llvm::SetVector<arith::ConstantOp> replacedWeights;
  module.walk([&](Operation *op) {
    if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
             linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNhwcHwcOp,
             linalg::DepthwiseConv2DNchwChwOp>(op) ||
        !cast<ShapedType>(op->getResult(0).getType()).getElementType().isF32())
      return;
    std::string name = quantopt::getLayerName(op, counters);
    if (isConvertible(op, target)) {
      ++converted;
      if (auto weights = op->getOperand(1).getDefiningOp<arith::ConstantOp>())
        replacedWeights.insert(weights);
      return;
    }
    ++kept;
    std::string why = whyKeptInF32(op, target);
    if (why.empty())
      why = "its operands are not f32 tensors";
    emitRemark(op->getLoc())
        << "layer '" << name << "' (" << op->getName().stripDialect()
        << "): kept in f32: " << why;
  });
  RewritePatternSet patterns(module.getContext());
  populatePatterns(patterns, target);
  walkAndApplyPatterns(module, std::move(patterns));
  // The f32 weights the converted layers no longer read (other constants,
  // used or not, are not this pass's business).
  for (arith::ConstantOp c : replacedWeights)
    if (c.use_empty())
      c.erase();
  emitRemark(module.getLoc())
      << passName << ": " << converted << " layer(s) in " << typeName << " ("
      << typeName << " weights and activations, f32 accumulation), " << kept
      << " kept in f32";
}

struct QntConvertToBF16Pass
    : quantopt::impl::QntConvertToBF16Base<QntConvertToBF16Pass> {
  void runOnOperation() override {
    convertLayers(getOperation(), BFloat16Type::get(&getContext()),
                  getArgument());
  }
};

struct QntConvertToF16Pass
    : quantopt::impl::QntConvertToF16Base<QntConvertToF16Pass> {
  void runOnOperation() override {
    convertLayers(getOperation(), Float16Type::get(&getContext()),
                  getArgument());
  }
};

} // namespace

void quantopt::populateQntConvertToBF16Patterns(RewritePatternSet &patterns) {
  populatePatterns(patterns, BFloat16Type::get(patterns.getContext()));
}

void quantopt::populateQntConvertToF16Patterns(RewritePatternSet &patterns) {
  populatePatterns(patterns, Float16Type::get(patterns.getContext()));
}

Value quantopt::castFloatElements(OpBuilder &b, Location loc, Value input,
                                  FloatType target) {
  auto type = cast<RankedTensorType>(input.getType());
  bool widen =
      target.getWidth() > cast<FloatType>(type.getElementType()).getWidth();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  Value init = tensor::EmptyOp::create(b, loc, sizes, target);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type.clone(target)}, ValueRange{input},
             ValueRange{init}, ArrayRef<AffineMap>{id, id}, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value v =
                   widen ? arith::ExtFOp::create(nb, nloc, target, args[0])
                               .getResult()
                         : arith::TruncFOp::create(nb, nloc, target, args[0])
                               .getResult();
               linalg::YieldOp::create(nb, nloc, v);
             })
      .getResult(0);
}
