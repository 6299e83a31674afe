//===- ConvertToBF16.cpp - Float layers to bf16 inputs, f32 results -------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-convert-to-bf16 (`--qnt-quantize weights=bf16`): the layers keep
// linalg's named ops, with bf16 operands and an f32 result, which is typed
// IR every MLIR compiler reads; the rounding of the weights happens here
// (APFloat, to nearest even) and that of the activations in a truncf the
// layer runs.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTCONVERTTOBF16
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

/// Why `op` (a layer with f32 input and result) cannot take bf16, or empty.
std::string whyKeptInF32(Operation *op) {
  if (isa<linalg::DepthwiseConv2DNhwcHwcOp, linalg::DepthwiseConv2DNchwChwOp>(
          op))
    return "depthwise convolutions stay in f32 (no bf16 kernel: a lane per "
           "channel has no pairs to add)";
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

/// Whether `op` is a float layer this pass converts.
bool isConvertible(Operation *op) {
  if (!isa<linalg::MatmulOp, linalg::Conv2DNhwcHwcfOp>(op) ||
      op->getNumOperands() != 3 || op->getNumResults() != 1)
    return false;
  auto elementType = [&](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  return elementType(op->getOperand(0)).isF32() &&
         elementType(op->getOperand(1)).isF32() &&
         elementType(op->getResult(0)).isF32() &&
         isa<RankedTensorType>(op->getOperand(0).getType()) &&
         whyKeptInF32(op).empty();
}

/// `input` rounded to bf16 element by element.
Value truncateToBF16(PatternRewriter &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  auto bf16Type = type.clone(b.getBF16Type());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{bf16Type}, ValueRange{input}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value t = arith::TruncFOp::create(nb, nloc, nb.getBF16Type(),
                                                 args[0]);
               linalg::YieldOp::create(nb, nloc, t);
             })
      .getResult(0);
}

template <typename OpT>
struct LayerToBF16 : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op, PatternRewriter &b) const override {
    if (!isConvertible(op))
      return b.notifyMatchFailure(op, "not an f32 layer with constant weights");
    Location loc = op.getLoc();
    DenseFPElementsAttr weights;
    (void)matchPattern(op->getOperand(1), m_Constant(&weights));
    Type bf16 = b.getBF16Type();
    auto rounded = weights.mapValues(bf16, [](const APFloat &v) {
      APFloat r = v;
      bool lost;
      r.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &lost);
      return r.bitcastToAPInt();
    });
    Value w = arith::ConstantOp::create(b, loc, rounded);
    Value x = truncateToBF16(b, loc, op->getOperand(0));
    Value init = op->getOperand(2);
    Operation *converted;
    if constexpr (std::is_same_v<OpT, linalg::MatmulOp>) {
      converted = linalg::MatmulOp::create(b, loc, op->getResultTypes(),
                                           ValueRange{x, w}, ValueRange{init});
    } else {
      converted = linalg::Conv2DNhwcHwcfOp::create(
          b, loc, op->getResultTypes(), ValueRange{x, w}, ValueRange{init},
          op.getStrides(), op.getDilations());
    }
    for (NamedAttribute attr : op->getDiscardableAttrs())
      converted->setAttr(attr.getName(), attr.getValue());
    b.replaceOp(op, converted->getResults());
    return success();
  }
};

struct QntConvertToBF16Pass
    : quantopt::impl::QntConvertToBF16Base<QntConvertToBF16Pass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The layers kept in f32, named, before the rewrite.
    llvm::StringMap<unsigned> counters;
    unsigned converted = 0, kept = 0;
    llvm::SetVector<arith::ConstantOp> replacedWeights;
    module.walk([&](Operation *op) {
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
               linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNhwcHwcOp,
               linalg::DepthwiseConv2DNchwChwOp>(op) ||
          !cast<ShapedType>(op->getResult(0).getType())
               .getElementType()
               .isF32())
        return;
      std::string name = quantopt::getLayerName(op, counters);
      if (isConvertible(op)) {
        ++converted;
        if (auto weights = op->getOperand(1).getDefiningOp<arith::ConstantOp>())
          replacedWeights.insert(weights);
        return;
      }
      ++kept;
      std::string why = whyKeptInF32(op);
      if (why.empty())
        why = "its operands are not f32 tensors";
      emitRemark(op->getLoc())
          << "layer '" << name << "' (" << op->getName().stripDialect()
          << "): kept in f32: " << why;
    });
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntConvertToBF16Patterns(patterns);
    walkAndApplyPatterns(module, std::move(patterns));
    // The f32 weights the converted layers no longer read (other constants,
    // used or not, are not this pass's business).
    for (arith::ConstantOp c : replacedWeights)
      if (c.use_empty())
        c.erase();
    emitRemark(module.getLoc())
        << "qnt-convert-to-bf16: " << converted
        << " layer(s) in bf16 (bf16 weights and activations, f32 "
           "accumulation), "
        << kept << " kept in f32";
  }
};

} // namespace

void quantopt::populateQntConvertToBF16Patterns(RewritePatternSet &patterns) {
  patterns.add<LayerToBF16<linalg::MatmulOp>,
               LayerToBF16<linalg::Conv2DNhwcHwcfOp>>(patterns.getContext());
}
