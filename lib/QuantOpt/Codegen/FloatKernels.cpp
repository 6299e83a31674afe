//===- FloatKernels.cpp - Shared parts of the float kernels ---------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The weight folding, bf16 pairs and output sizes that qnt-f32-matmul's
// convolution and matmul kernels share (FloatKernels.h).
//
//===----------------------------------------------------------------------===//

#include "FloatKernels.h"
#include "KernelLoops.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/FloatCast.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace quantopt::floatkernels {
namespace {
/// A layer's constant weights: a constant, or the f32 values of a
/// qnt.dequantize of a constant (a weight-only layer), folded now with the
/// numerics library's formula (dequantizeWithParams: the values the
/// reference lowering computes on every call). A convolution's weights are
/// small and each is read once per output pixel, so the f32 kernel on them
/// beats reading the stored integers. A matmul streams its weights, so
/// `forMatmul` folds only the storages qnt-weight-only-matmul has no kernel
/// for (f8E4M3FN, f8E5M2, the FNUZ kinds, f6E3M2FN: MXFP8 and MXFP6-E3M2
/// weights), which then run at fp32's speed instead of as reference loops.
/// Only weights of the activations' element type `input` are taken (checked
/// before anything is folded).
std::optional<DenseElementsAttr> getFoldedWeights(Value w, Type input,
                                                  bool forMatmul) {
  if (cast<ShapedType>(w.getType()).getElementType() != input)
    return std::nullopt;
  DenseElementsAttr weights;
  if (matchPattern(w, m_Constant(&weights)))
    return weights;
  auto dq = w.getDefiningOp<qnt::DequantizeOp>();
  if (!dq)
    return std::nullopt;
  auto type = cast<RankedTensorType>(dq.getResult().getType());
  DenseElementsAttr stored;
  if (!type.getElementType().isF32() || !type.hasStaticShape() ||
      !matchPattern(dq.getInput(), m_Constant(&stored)))
    return std::nullopt;
  qnt::ParamsAttr params = dq.getParams();
  if (forMatmul && (!params.isFloatStorage() ||
                    numerics::getInt8CodeFactor(params.getStorageKind())))
    return std::nullopt;
  if (dq.getPackedFlat())
    return std::nullopt; // canonicalization makes the aligned ones `packed`
  if (dq.getPacked()) {
    std::optional<DenseElementsAttr> unpacked = unpackSubByte(
        stored,
        RankedTensorType::get(type.getShape(), params.getStoredElementType()));
    if (!unpacked)
      return std::nullopt;
    stored = *unpacked;
  }
  std::optional<std::vector<float>> values =
      dequantizeWithParams(stored, params);
  if (!values)
    return std::nullopt;
  return DenseElementsAttr::get(type, ArrayRef<float>(*values));
}
} // namespace

bool isKernelInput(Type t) { return t.isF32() || t.isBF16() || t.isF16(); }

Value widenToF32(OpBuilder &b, Location loc, Value v) {
  auto type = cast<VectorType>(v.getType());
  if (!type.getElementType().isF16())
    return v;
  return arith::ExtFOp::create(b, loc, type.clone(b.getF32Type()), v);
}

Value widenActivations(OpBuilder &b, Location loc, Value input) {
  if (!cast<RankedTensorType>(input.getType()).getElementType().isF16())
    return input;
  return castFloatElements(b, loc, input, b.getF32Type());
}

uint16_t get16Bits(const APFloat &v) {
  return uint16_t(v.bitcastToAPInt().getZExtValue());
}

Value loadPair(OpBuilder &b, Location loc, Value a, SmallVector<Value> idx,
               bool single) {
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto bits = [&](ValueRange at) -> Value {
    Value v = memref::LoadOp::create(b, loc, a, at);
    return arith::ExtUIOp::create(b, loc, i32,
                                  arith::BitcastOp::create(b, loc, i16, v));
  };
  Value sixteen = arith::ConstantIntOp::create(b, loc, i32, 16);
  if (single)
    return arith::ShLIOp::create(b, loc, bits(idx), sixteen);
  // Both as one 32-bit load (the kernels' inputs have a unit inner stride),
  // the halves swapped (a rotate).
  Value pair = vector::LoadOp::create(
      b, loc, VectorType::get({2}, b.getBF16Type()), a, idx);
  Value word = vector::ExtractOp::create(
      b, loc,
      vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair),
      ArrayRef<int64_t>{0});
  return arith::OrIOp::create(b, loc,
                              arith::ShLIOp::create(b, loc, word, sixteen),
                              arith::ShRUIOp::create(b, loc, word, sixteen));
}

SmallVector<Value> accumulatePairs(OpBuilder &b, Location loc, Value a,
                                   ArrayRef<SmallVector<Value>> aIndices,
                                   ArrayRef<Value> weights, ValueRange accs,
                                   bool single) {
  auto words = VectorType::get({kLanes}, b.getI32Type());
  auto pairs = VectorType::get({2 * kLanes}, b.getBF16Type());
  SmallVector<Value> next;
  for (auto [r, idx] : llvm::enumerate(aIndices)) {
    Value splat = vector::BroadcastOp::create(b, loc, words,
                                              loadPair(b, loc, a, idx, single));
    Value av = vector::BitCastOp::create(b, loc, pairs, splat);
    for (auto [c, w] : llvm::enumerate(weights)) {
      Value acc = accs[r * weights.size() + c];
      next.push_back(
          qnt_x86::DotBF16Op::create(b, loc, acc.getType(), acc, av, w));
    }
  }
  return next;
}

DenseElementsAttr pack16(Type element, ArrayRef<int64_t> shape,
                         ArrayRef<uint16_t> bits) {
  auto type = RankedTensorType::get(shape, element);
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bits.data()),
                           bits.size() * sizeof(uint16_t)));
}

std::optional<DenseElementsAttr> getF32LayerWeights(linalg::MatmulOp op) {
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  // The maps first: a broadcast operand (a rank-1 activation) has no
  // dimension 1 to ask about.
  if (!aType || !outType ||
      op.getIndexingMapsArray() !=
          linalg::MatmulOp::getDefaultIndexingMaps(op.getContext()) ||
      !isKernelInput(aType.getElementType()) ||
      !outType.getElementType().isF32() || aType.isDynamicDim(1))
    return std::nullopt;
  return getFoldedWeights(op.getInputs()[1], aType.getElementType(),
                          /*forMatmul=*/true);
}

bool isF32Layer(linalg::BatchMatmulOp op) {
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto bType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return aType && bType && outType &&
         op.getIndexingMapsArray() ==
             linalg::BatchMatmulOp::getDefaultIndexingMaps(op.getContext()) &&
         aType.getElementType().isF32() && bType.getElementType().isF32() &&
         outType.getElementType().isF32() && !aType.isDynamicDim(2) &&
         !bType.isDynamicDim(2);
}

std::optional<DenseElementsAttr>
getF32LayerWeights(linalg::Conv2DNhwcHwcfOp op) {
  auto xType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!xType || !outType || !isKernelInput(xType.getElementType()) ||
      !outType.getElementType().isF32() || xType.isDynamicDim(3))
    return std::nullopt;
  return getFoldedWeights(op.getInputs()[1], xType.getElementType(),
                          /*forMatmul=*/false);
}

std::optional<DenseElementsAttr>
getF32LayerWeights(linalg::DepthwiseConv2DNhwcHwcOp op) {
  auto xType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!xType || !outType ||
      !(xType.getElementType().isF32() || xType.getElementType().isF16()) ||
      !outType.getElementType().isF32() || xType.isDynamicDim(3))
    return std::nullopt;
  return getFoldedWeights(op.getInputs()[1], xType.getElementType(),
                          /*forMatmul=*/false);
}

FusedEpilogue collectEpilogue(RewriterBase &rewriter, Operation *op) {
  FusedEpilogue epilogue = FusedEpilogue::collect(op->getResult(0));
  rewriter.setInsertionPoint(epilogue.empty() ? op
                                              : epilogue.getInsertionPoint());
  return epilogue;
}

void getOutputSizes(OpBuilder &b, Location loc, Value init,
                    RankedTensorType outType, Value (&dims)[4],
                    SmallVector<Value> &dynamic) {
  for (int64_t d = 0; d < 4; ++d) {
    dims[d] = getDimSize(b, loc, init, d);
    if (outType.isDynamicDim(d))
      dynamic.push_back(dims[d]);
  }
}

} // namespace quantopt::floatkernels
