//===- FloatMatmul.cpp - f32 matmuls on packed weights --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-f32-matmul gives float matmuls with constant weights the same
// structure as the VNNI kernels (docs/Codegen.md), so that int8 and fp32 are
// compared on equal terms: weights packed at compile time as
// [ceil(N/16)][K][16] (zero beyond N), four rows per tile sharing each
// 16-float weight load, one broadcast activation and one vector.fma per row
// and k, accumulators in registers over K starting from the init (masked
// for an N tail), masked stores for an N tail.
//
//===----------------------------------------------------------------------===//

#include "Epilogue.h"
#include "KernelLoops.h"
#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/FloatCast.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTF32MATMUL
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {
constexpr int64_t kLanes = 16;

/// The input element types of the matmul and convolution kernels: f32
/// (vector.fma), bf16 with f32 results (qnt_x86.dot_bf16 on pairs), and f16
/// with f32 results (the activations widened to f32 once before the
/// kernel, matmul weights as they load or into a panel, convolution
/// weights when packed; a product of two f16 values is exact in f32, so
/// vector.fma gives the reference's multiply and add bit for bit).
bool isKernelInput(Type t) { return t.isF32() || t.isBF16() || t.isF16(); }

/// `v` loaded from the packed weights, widened to f32 when it is f16.
Value widenToF32(OpBuilder &b, Location loc, Value v) {
  auto type = cast<VectorType>(v.getType());
  if (!type.getElementType().isF16())
    return v;
  return arith::ExtFOp::create(b, loc, type.clone(b.getF32Type()), v);
}

/// A kernel's activation tensor: an f16 one widened to f32 (exact) by an
/// element-wise linalg.generic first, which qnt-fuse-elementwise joins to
/// the truncf that made it and qnt-vectorize-elementwise vectorizes. Each
/// activation feeds many multiply-adds (every column block, every window
/// position), and one conversion per element beats one per use
/// (vcvtph2psx with a broadcast operand is two uops beside each FMA:
/// measured 1.8x the f32 CNN's time).
Value widenActivations(OpBuilder &b, Location loc, Value input) {
  if (!cast<RankedTensorType>(input.getType()).getElementType().isF16())
    return input;
  return castFloatElements(b, loc, input, b.getF32Type());
}

/// The bits of `v`, a 16-bit float value.
uint16_t get16Bits(const APFloat &v) {
  return uint16_t(v.bitcastToAPInt().getZExtValue());
}

/// The slot of reduction index `kk` in its bf16 pair: vdpbf16ps adds the odd
/// element's product first, so the pair's first index goes there and the
/// sums run in the reference lowering's order.
int64_t getPairSlot(int64_t kk) { return kk % 2 == 0 ? 1 : 0; }

/// The bf16 activations a[idx] and the next one along the last dimension
/// (0 when `single`: the tail of an odd reduction) as one i32, the first in
/// the high half (a pair's odd element, see getPairSlot).
Value loadPair(OpBuilder &b, Location loc, Value a, SmallVector<Value> idx,
               bool single) {
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto bits = [&](ValueRange at) -> Value {
    Value v = memref::LoadOp::create(b, loc, a, at);
    return arith::ExtUIOp::create(
        b, loc, i32, arith::BitcastOp::create(b, loc, i16, v));
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

/// One pair step of a bf16 tile: per row r, the activation pair at
/// `aIndices[r]` broadcast to every lane and dotted with every weight
/// vector (32 bf16: 16 columns x the pair) into `accs[r * weights.size() +
/// c]`; returns the new accumulators in the same order.
SmallVector<Value> accumulatePairs(OpBuilder &b, Location loc, Value a,
                                   ArrayRef<SmallVector<Value>> aIndices,
                                   ArrayRef<Value> weights, ValueRange accs,
                                   bool single) {
  auto words = VectorType::get({kLanes}, b.getI32Type());
  auto pairs = VectorType::get({2 * kLanes}, b.getBF16Type());
  SmallVector<Value> next;
  for (auto [r, idx] : llvm::enumerate(aIndices)) {
    Value splat = vector::BroadcastOp::create(
        b, loc, words, loadPair(b, loc, a, idx, single));
    Value av = vector::BitCastOp::create(b, loc, pairs, splat);
    for (auto [c, w] : llvm::enumerate(weights)) {
      Value acc = accs[r * weights.size() + c];
      next.push_back(qnt_x86::DotBF16Op::create(b, loc, acc.getType(), acc,
                                                av, w));
    }
  }
  return next;
}

/// A constant of 16-bit floats `element` of `shape` from raw bits.
DenseElementsAttr pack16(Type element, ArrayRef<int64_t> shape,
                         ArrayRef<uint16_t> bits) {
  auto type = RankedTensorType::get(shape, element);
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bits.data()),
                           bits.size() * sizeof(uint16_t)));
}

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

/// The weights of a float matmul fit for the kernel: f32, bf16 or f16
/// inputs (f32 result), the default maps, a static K and constant weights
/// of the input's type, or f32 weights folded from a qnt.dequantize whose
/// storage no weight-only kernel reads (getFoldedWeights).
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

/// A float batched matmul fit for the activation kernel: f32, the default
/// maps, static K and N (its second operand, e.g. attention's keys or
/// values, is read as it is: its rows are contiguous).
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

/// The weights of a float NHWC/HWCF convolution fit for the kernel: f32,
/// bf16 or f16, a static channel count and constant (or weight-only)
/// weights.
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

/// The weights of a float NHWC/HWC depthwise convolution fit for the
/// kernel: f32 or f16 inputs (f32 result), a static channel count and
/// constant (or weight-only) weights.
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

/// The element-wise chain after `op` (bias, activation), which a kernel
/// applies to its accumulators before storing them; moves the rewriter to
/// where that chain ends (the caller holds an insertion guard).
FusedEpilogue collectEpilogue(RewriterBase &rewriter, Operation *op) {
  FusedEpilogue epilogue = FusedEpilogue::collect(op->getResult(0));
  rewriter.setInsertionPoint(epilogue.empty() ? op
                                              : epilogue.getInsertionPoint());
  return epilogue;
}

/// The sizes of a convolution's 4-D output, read from its init, and those
/// of them that are dynamic.
void getOutputSizes(OpBuilder &b, Location loc, Value init,
                    RankedTensorType outType, Value (&dims)[4],
                    SmallVector<Value> &dynamic) {
  for (int64_t d = 0; d < 4; ++d) {
    dims[d] = getDimSize(b, loc, init, d);
    if (outType.isDynamicDim(d))
      dynamic.push_back(dims[d]);
  }
}

/// The zero padding of a depthwise convolution's rows that its kernel reads
/// implicitly: the input `x` is a tensor.pad with zeros (static amounts,
/// none along the batch and channels), used by the convolution alone, the
/// row dilation 1 and every weight finite (a product with a padded zero is
/// then an exact zero, which the kernel skips instead of adding). The
/// kernel then reads the pad's source padded along the columns only, and
/// each output row's window loop visits only the rows inside the input: no
/// buffer rows of zeros to fill, no multiply-adds on them. PaddleOCR's
/// classifier pads 3-row maps to 7 rows for 5x5 depthwise convolutions.
struct ImplicitRows {
  int64_t top = 0;
  /// The input with the row padding dropped (the columns' kept).
  Value input;
};
std::optional<ImplicitRows> getImplicitRows(OpBuilder &b,
                                            linalg::DepthwiseConv2DNhwcHwcOp op,
                                            DenseElementsAttr weights) {
  auto pad = op.getInputs()[0].getDefiningOp<tensor::PadOp>();
  if (!pad || !pad->hasOneUse() ||
      op.getDilations().getValues<int64_t>()[0] != 1)
    return std::nullopt;
  Value value = pad.getConstantPaddingValue();
  FloatAttr zero;
  if (!value || !matchPattern(value, m_Constant(&zero)) ||
      !zero.getValue().isZero())
    return std::nullopt;
  SmallVector<int64_t> low(pad.getStaticLow()), high(pad.getStaticHigh());
  if (llvm::any_of(llvm::concat<int64_t>(low, high), ShapedType::isDynamic) ||
      low[0] || high[0] || low[3] || high[3] || (!low[1] && !high[1]))
    return std::nullopt;
  if (!llvm::all_of(weights.getValues<APFloat>(),
                    [](const APFloat &v) { return v.isFinite(); }))
    return std::nullopt;
  ImplicitRows rows;
  rows.top = low[1];
  rows.input = pad.getSource();
  if (low[2] || high[2]) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(pad);
    auto srcType = cast<RankedTensorType>(rows.input.getType());
    SmallVector<int64_t> shape(srcType.getShape());
    if (!ShapedType::isDynamic(shape[2]))
      shape[2] += low[2] + high[2];
    SmallVector<OpFoldResult> lo, hi;
    for (int d = 0; d < 4; ++d) {
      lo.push_back(b.getIndexAttr(d == 2 ? low[2] : 0));
      hi.push_back(b.getIndexAttr(d == 2 ? high[2] : 0));
    }
    Value padZero =
        arith::ConstantOp::create(b, pad.getLoc(), zero.getType(), zero);
    rows.input = tensor::PadOp::create(
        b, pad.getLoc(), RankedTensorType::get(shape, srcType.getElementType()),
        rows.input, lo, hi, padZero);
  }
  return rows;
}

/// The f32 kernels of one rewrite; column groups (matmuls) or output rows
/// (convolutions) across threads when `parallel`.
struct F32Kernels {
  bool parallel = false;
  /// With `parallel`, the workers that share an f16 matmul's column groups,
  /// each with its own panel.
  int64_t threads = 1;
  /// With `parallel`, the multiply-adds below which a matmul runs on one
  /// thread (-1: kMinParallelDotsF32).
  int64_t minParallelDots = -1;

  /// conv_2d_nhwc_hwcf with constant f32 weights, the structure of the int8
  /// convolution kernel: weights packed as [ceil(F/16)][KH*KW][C][16]; a
  /// tile is four output pixels along the width (a static width ends with
  /// one tile of the rest) x up to four column blocks; per window position
  /// and channel, four weight loads, four broadcast activations, sixteen
  /// vector.fma; accumulators start from the init.
  void rewrite(RewriterBase &rewriter, linalg::Conv2DNhwcHwcfOp op,
               DenseElementsAttr weights) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1),
            c = wType.getDimSize(2), f = wType.getDimSize(3), khw = kh * kw;
    auto strides = llvm::to_vector(op.getStrides().getValues<int64_t>());
    auto dilations = llvm::to_vector(op.getDilations().getValues<int64_t>());
    int64_t nBlocks = (f + kLanes - 1) / kLanes;
    // bf16: [ceil(F/16)][KH*KW][ceil(C/2)][16][2], channels in pairs (in
    // getPairSlot order, zero beyond C and F). f16 weights are packed
    // widened to f32 (exact), as f32's: a convolution's weights are small
    // and each is read once per output pixel, so a conversion per load
    // (vcvtph2ps, two uops beside four FMAs) would cost more time than its
    // bytes save.
    bool bf16 = wType.getElementType().isBF16();
    int64_t cSteps = bf16 ? (c + 1) / 2 : c;
    int64_t stepWidth = bf16 ? 2 * kLanes : kLanes;
    int64_t packedSize = nBlocks * khw * cSteps * stepWidth;
    std::vector<float> packed(bf16 ? 0 : packedSize, 0.0f);
    std::vector<uint16_t> packedBF16(bf16 ? packedSize : 0, 0);
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>()) {
      int64_t col = flat % f, ch = (flat / f) % c, win = flat / (f * c);
      if (bf16)
        packedBF16[(((col / kLanes) * khw + win) * cSteps + ch / 2) *
                       stepWidth +
                   (col % kLanes) * 2 + getPairSlot(ch)] = get16Bits(v);
      else
        packed[(((col / kLanes) * khw + win) * c + ch) * kLanes +
               col % kLanes] = v.convertToFloat();
      ++flat;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    FusedEpilogue epilogue = collectEpilogue(rewriter, op);
    OpBuilder &ob = rewriter;
    Value xTensor = widenActivations(ob, loc, op.getInputs()[0]);
    Value initTensor = op.getOutputs()[0];
    auto outType = epilogue.getResultType(
        cast<RankedTensorType>(op->getResult(0).getType()));
    Value outDims[4];
    SmallVector<Value> dynSizes;
    getOutputSizes(ob, loc, initTensor, outType, outDims, dynSizes);
    // The packed weights are a constant (bufferization makes it a global);
    // the accumulators start from the init; the result is a fresh tensor.
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(
        bf16 ? pack16(wType.getElementType(), {nBlocks, khw, cSteps, stepWidth},
                      packedBF16)
             : DenseElementsAttr::get(
                   RankedTensorType::get({nBlocks, khw, c, kLanes}, f32),
                   llvm::ArrayRef<float>(packed)));
    Value x = kernel.addStridedInput(xTensor);
    AccumulatorInit init(kernel, loc, initTensor);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    auto cst = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantIndexOp::create(cb, loc, v).getResult();
    };
    Value c0 = cst(b, 0), c1 = cst(b, 1);
    auto vec = VectorType::get({kLanes}, f32);
    bool fullBlocks = f % kLanes == 0;

    auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0,
                        int64_t rows, Value blk0, int64_t cols) {
      SmallVector<Value> ow, blk, col, iwBase;
      for (int64_t r = 0; r < rows; ++r) {
        ow.push_back(offsetIndex(tb, loc, ow0, r));
        iwBase.push_back(arith::MulIOp::create(tb, loc, ow[r],
                                               cst(tb, strides[1])));
      }
      for (int64_t k = 0; k < cols; ++k) {
        blk.push_back(offsetIndex(tb, loc, blk0, k));
        col.push_back(arith::MulIOp::create(tb, loc, blk[k], cst(tb, kLanes)));
      }
      Value ihBase = arith::MulIOp::create(tb, loc, oh, cst(tb, strides[0]));
      SmallVector<Value> start;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k)
          start.push_back(init.read(
              tb, loc, vec, ValueRange{n, oh, ow[r], col[k]}, fullBlocks));
      auto window = scf::ForOp::create(
          tb, loc, c0, cst(tb, khw), c1, start,
          [&](OpBuilder &lb, Location, Value win, ValueRange accs) {
            Value ih = arith::AddIOp::create(
                lb, loc, ihBase,
                arith::MulIOp::create(
                    lb, loc, arith::DivUIOp::create(lb, loc, win, cst(lb, kw)),
                    cst(lb, dilations[0])));
            Value kwOff = arith::MulIOp::create(
                lb, loc, arith::RemUIOp::create(lb, loc, win, cst(lb, kw)),
                cst(lb, dilations[1]));
            SmallVector<Value> iw;
            for (int64_t r = 0; r < rows; ++r)
              iw.push_back(arith::AddIOp::create(lb, loc, iwBase[r], kwOff));
            // One channel (f32) or pair of channels (bf16; `single`: the
            // last channel of an odd C, alone).
            auto step = [&](OpBuilder &cb, Value ch, ValueRange in,
                            bool single) {
              auto wVec =
                  VectorType::get({stepWidth}, bf16 ? cb.getBF16Type() : f32);
              SmallVector<Value> wv;
              for (int64_t k = 0; k < cols; ++k)
                wv.push_back(vector::LoadOp::create(
                    cb, loc, wVec, w, ValueRange{blk[k], win, ch, c0}));
              Value xc = bf16 ? arith::MulIOp::create(cb, loc, ch, cst(cb, 2))
                              : ch;
              SmallVector<SmallVector<Value>> xIdx;
              for (int64_t r = 0; r < rows; ++r)
                xIdx.push_back({n, ih, iw[r], xc});
              return bf16 ? accumulatePairs(cb, loc, x, xIdx, wv, in, single)
                          : accumulateRows(cb, loc, x, xIdx, wv, in);
            };
            int64_t fullSteps = bf16 ? c / 2 : c;
            auto channels = scf::ForOp::create(
                lb, loc, c0, cst(lb, fullSteps), c1, accs,
                [&](OpBuilder &cb, Location, Value ch, ValueRange in) {
                  scf::YieldOp::create(cb, loc, step(cb, ch, in, false));
                });
            SmallVector<Value> sums = channels.getResults();
            if (fullSteps < cSteps)
              sums = step(lb, cst(lb, fullSteps), sums, true);
            scf::YieldOp::create(lb, loc, sums);
          });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k) {
          SmallVector<Value> at{n, oh, ow[r], col[k]};
          Value v = epilogue.apply(tb, loc, window.getResult(r * cols + k), at,
                                   fullBlocks);
          vector::TransferWriteOp::create(tb, loc, v, out, at,
                                          ArrayRef<bool>{fullBlocks});
        }
    };

    emitConvTiles(b, loc, outDims[0], outDims[1], outDims[2],
                  outType.isDynamicDim(2) ? -1 : outType.getDimSize(2), nBlocks,
                  parallel, emitTile,
                  c <= 4 && nBlocks % kColTile >= 2
                      ? kConvFewChannelF32RestAccumulators
                      : kConvRestAccumulators);
    Value result = kernel.finish().front();
    epilogue.replaceAndErase(rewriter, result, initTensor);
    rewriter.eraseOp(op);
  }

  /// depthwise_conv_2d_nhwc_hwc with constant f32 (or f16) weights: a lane is a
  /// channel. Weights packed as [ceil(C/16)][KH*KW][16] (zero beyond C); a
  /// tile is four output pixels along the width x up to four channel
  /// blocks; per window position, one weight load per block and one
  /// contiguous activation load per pixel and block (masked for a channel
  /// tail), one vector.fma each; accumulators start from the init; the
  /// element-wise chain after the layer is fused into the stores.
  void rewrite(RewriterBase &rewriter, linalg::DepthwiseConv2DNhwcHwcOp op,
               DenseElementsAttr weights) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1),
            c = wType.getDimSize(2), khw = kh * kw;
    auto strides = llvm::to_vector(op.getStrides().getValues<int64_t>());
    auto dilations = llvm::to_vector(op.getDilations().getValues<int64_t>());
    int64_t nBlocks = (c + kLanes - 1) / kLanes;
    // f16 weights are packed widened to f32 (exact), as for the
    // convolution above.
    std::vector<float> packed(nBlocks * khw * kLanes, 0.0f);
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>()) {
      int64_t ch = flat % c, win = flat / c;
      packed[((ch / kLanes) * khw + win) * kLanes + ch % kLanes] =
          v.convertToFloat();
      ++flat;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    FusedEpilogue epilogue = collectEpilogue(rewriter, op);
    OpBuilder &ob = rewriter;
    Value initTensor = op.getOutputs()[0];
    auto outType = epilogue.getResultType(
        cast<RankedTensorType>(op->getResult(0).getType()));
    Value outDims[4];
    SmallVector<Value> dynSizes;
    getOutputSizes(ob, loc, initTensor, outType, outDims, dynSizes);
    std::optional<ImplicitRows> implicitRows =
        getImplicitRows(rewriter, op, weights);
    Value xTensor = widenActivations(
        ob, loc, implicitRows ? implicitRows->input : op.getInputs()[0]);
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(DenseElementsAttr::get(
        RankedTensorType::get({nBlocks, khw, kLanes}, f32),
        llvm::ArrayRef<float>(packed)));
    Value x = kernel.addStridedInput(xTensor);
    AccumulatorInit init(kernel, loc, initTensor);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    auto cst = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantIndexOp::create(cb, loc, v).getResult();
    };
    Value c0 = cst(b, 0), c1 = cst(b, 1);
    auto vec = VectorType::get({kLanes}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    bool fullBlocks = c % kLanes == 0;

    auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0,
                        int64_t rows, Value blk0, int64_t cols) {
      SmallVector<Value> ow, blk, col, iwBase;
      for (int64_t r = 0; r < rows; ++r) {
        ow.push_back(offsetIndex(tb, loc, ow0, r));
        iwBase.push_back(arith::MulIOp::create(tb, loc, ow[r],
                                               cst(tb, strides[1])));
      }
      for (int64_t k = 0; k < cols; ++k) {
        blk.push_back(offsetIndex(tb, loc, blk0, k));
        col.push_back(arith::MulIOp::create(tb, loc, blk[k], cst(tb, kLanes)));
      }
      Value ihBase = arith::MulIOp::create(tb, loc, oh, cst(tb, strides[0]));
      SmallVector<Value> start;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k)
          start.push_back(init.read(
              tb, loc, vec, ValueRange{n, oh, ow[r], col[k]}, fullBlocks));
      // With implicit row padding, the window rows inside the input:
      // ih = ihBase + i - top in [0, H), i in [max(0, top - ihBase),
      // min(kh, H + top - ihBase)) (empty when that is negative).
      Value winBegin = c0, winEnd = cst(tb, khw);
      if (implicitRows) {
        Value top = cst(tb, implicitRows->top);
        ihBase = arith::SubIOp::create(tb, loc, ihBase, top);
        Value height = memref::DimOp::create(tb, loc, x, 1);
        Value first = arith::MaxSIOp::create(
            tb, loc, c0, arith::SubIOp::create(tb, loc, c0, ihBase));
        Value last = arith::MinSIOp::create(
            tb, loc, cst(tb, kh),
            arith::SubIOp::create(tb, loc, height, ihBase));
        last = arith::MaxSIOp::create(tb, loc, last, first);
        winBegin = arith::MulIOp::create(tb, loc, first, cst(tb, kw));
        winEnd = arith::MulIOp::create(tb, loc, last, cst(tb, kw));
      }
      auto window = scf::ForOp::create(
          tb, loc, winBegin, winEnd, c1, start,
          [&](OpBuilder &lb, Location, Value win, ValueRange accs) {
            Value ih = arith::AddIOp::create(
                lb, loc, ihBase,
                arith::MulIOp::create(
                    lb, loc, arith::DivUIOp::create(lb, loc, win, cst(lb, kw)),
                    cst(lb, dilations[0])));
            Value kwOff = arith::MulIOp::create(
                lb, loc, arith::RemUIOp::create(lb, loc, win, cst(lb, kw)),
                cst(lb, dilations[1]));
            SmallVector<Value> next;
            for (int64_t r = 0; r < rows; ++r) {
              Value iw = arith::AddIOp::create(lb, loc, iwBase[r], kwOff);
              for (int64_t k = 0; k < cols; ++k) {
                Value wv = vector::LoadOp::create(lb, loc, vec, w,
                                                  ValueRange{blk[k], win, c0});
                Value xv = vector::TransferReadOp::create(
                    lb, loc, vec, x, ValueRange{n, ih, iw, col[k]}, zero,
                    ArrayRef<bool>{fullBlocks});
                next.push_back(vector::FMAOp::create(lb, loc, xv, wv,
                                                     accs[r * cols + k]));
              }
            }
            scf::YieldOp::create(lb, loc, next);
          });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k) {
          SmallVector<Value> at{n, oh, ow[r], col[k]};
          Value v = epilogue.apply(tb, loc, window.getResult(r * cols + k), at,
                                   fullBlocks);
          vector::TransferWriteOp::create(tb, loc, v, out, at,
                                          ArrayRef<bool>{fullBlocks});
        }
    };

    emitConvTiles(b, loc, outDims[0], outDims[1], outDims[2],
                  outType.isDynamicDim(2) ? -1 : outType.getDimSize(2), nBlocks,
                  parallel, emitTile);
    Value result = kernel.finish().front();
    epilogue.replaceAndErase(rewriter, result, initTensor);
    rewriter.eraseOp(op);
  }

  void rewrite(RewriterBase &rewriter, linalg::MatmulOp op,
               DenseElementsAttr weights) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
    int64_t nBlocks = (n + kLanes - 1) / kLanes;
    // bf16: weights packed as [ceil(N/16)][ceil(K/2)][16][2] (each pair in
    // getPairSlot order, zero beyond K and N), one qnt_x86.dot_bf16 per
    // pair of k; f16: f32's layout, each vector widened as it loads.
    Type wElement = wType.getElementType();
    bool bf16 = wElement.isBF16(), f16 = wElement.isF16();
    int64_t kSteps = bf16 ? (k + 1) / 2 : k;
    int64_t stepWidth = bf16 ? 2 * kLanes : kLanes;
    int64_t packedSize = nBlocks * kSteps * stepWidth;
    std::vector<float> packed(bf16 || f16 ? 0 : packedSize, 0.0f);
    std::vector<uint16_t> packed16(bf16 || f16 ? packedSize : 0, 0);
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>()) {
      int64_t row = flat / n, col = flat % n;
      if (bf16)
        packed16[((col / kLanes) * kSteps + row / 2) * stepWidth +
                 (col % kLanes) * 2 + getPairSlot(row)] = get16Bits(v);
      else if (f16)
        packed16[((col / kLanes) * k + row) * kLanes + col % kLanes] =
            get16Bits(v);
      else
        packed[((col / kLanes) * k + row) * kLanes + col % kLanes] =
            v.convertToFloat();
      ++flat;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    FusedEpilogue epilogue = collectEpilogue(rewriter, op);
    OpBuilder &ob = rewriter;
    Value aTensor = widenActivations(ob, loc, op.getInputs()[0]);
    Value initTensor = op.getOutputs()[0];
    auto outType = epilogue.getResultType(
        cast<RankedTensorType>(op->getResult(0).getType()));
    SmallVector<Value> dynSizes;
    if (outType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(ob, loc, aTensor, 0));
    // The packed weights are a constant (bufferization makes it a global);
    // the accumulators start from the init; the result is a fresh tensor.
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(
        bf16 || f16 ? pack16(wElement, {nBlocks, kSteps, stepWidth}, packed16)
                    : DenseElementsAttr::get(
                          RankedTensorType::get({nBlocks, k, kLanes}, f32),
                          llvm::ArrayRef<float>(packed)));
    Value a = kernel.addStridedInput(aTensor);
    AccumulatorInit init(kernel, loc, initTensor);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value m = memref::DimOp::create(b, loc, a, 0);
    auto vec = VectorType::get({kLanes}, f32);
    bool fullBlocks = n % kLanes == 0;
    // f16 with many rows: a column group's weights are widened once into
    // an f32 panel that its row tiles read (a conversion per load, two
    // uops beside each row tile's four FMAs, made a 512x1024x1024 matmul
    // 1.7x f32's time); with few rows, the tiles widen as they load.
    // A long K in chunks (KChunks: 128 x 11008 x 1024 f32 took 2.5x
    // oneDNN's time with each row tile reading its group's 2.75 MiB from
    // L3), the panel holding one chunk.
    KChunks chunks =
        f16 ? getKChunks(k, kColTile * kLanes * 4)
            : getKChunks(kSteps, kColTile * stepWidth *
                                     (wElement.getIntOrFloatBitWidth() / 8));
    int64_t panelBlocks =
        f16 ? getPanelUnits(chunks.size, kLanes, kColTile, parallel, threads)
            : 0;
    if (f16 && panelBlocks == 0)
      chunks = getKChunks(kSteps, kColTile * stepWidth * 2);
    allocateChunkPartials(b, loc, chunks, m, nBlocks * kLanes);

    // rows x cols column blocks of accumulators in registers over K; the
    // weights from the packed constant, or (f16, many rows) from `panel`,
    // the f32 panel [K][panel columns] of the column group that begins at
    // block blk0.
    auto emitTileFrom = [&](OpBuilder &tb, Value panel, Value row0,
                            int64_t rows, Value blk0, int64_t cols) {
      SmallVector<Value> rowIdx, blkIdx, colIdx;
      for (int64_t r = 0; r < rows; ++r)
        rowIdx.push_back(offsetIndex(tb, loc, row0, r));
      for (int64_t c = 0; c < cols; ++c) {
        blkIdx.push_back(offsetIndex(tb, loc, blk0, c));
        colIdx.push_back(arith::MulIOp::create(
            tb, loc, blkIdx[c], arith::ConstantIndexOp::create(tb, loc, kLanes)));
      }
      // With a panel, only its nest takes chunks (the few-rows nest beside
      // it reads K whole).
      const KChunks &ch = panel || panelBlocks == 0 ? chunks : KChunks();
      SmallVector<SmallVector<Value, 2>> positions;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          positions.push_back({rowIdx[r], colIdx[c]});
      SmallVector<Value> start =
          ch.start(tb, loc, vec, positions, [&](OpBuilder &sb) {
            SmallVector<Value> fromInit;
            for (const SmallVector<Value, 2> &at : positions)
              fromInit.push_back(init.read(sb, loc, vec, at, fullBlocks));
            return fromInit;
          });
      // The chunk's steps; the panel's row 0 is its first.
      Value begin, end;
      std::tie(begin, end) = ch.bounds(tb, loc, kSteps);
      Value panelBegin = begin;
      // One step of k (f32) or of a pair of k (bf16; `single`: the last
      // k of an odd K, alone).
      auto step = [&](OpBuilder &lb, Value kk, ValueRange accs, bool single) {
        auto wVec = VectorType::get({stepWidth}, wElement);
        SmallVector<Value> wv;
        for (int64_t c = 0; c < cols; ++c)
          wv.push_back(panel ? vector::LoadOp::create(
                                   lb, loc, vec, panel,
                                   ValueRange{arith::SubIOp::create(lb, loc, kk,
                                                                    panelBegin),
                                              arith::ConstantIndexOp::create(
                                                  lb, loc, c * kLanes)})
                                   .getResult()
                             : widenToF32(lb, loc,
                                          vector::LoadOp::create(
                                              lb, loc, wVec, w,
                                              ValueRange{blkIdx[c], kk, c0})));
        SmallVector<SmallVector<Value>> aIdx;
        Value aCol = bf16 ? arith::MulIOp::create(
                                lb, loc, kk,
                                arith::ConstantIndexOp::create(lb, loc, 2))
                          : kk;
        for (int64_t r = 0; r < rows; ++r)
          aIdx.push_back({rowIdx[r], aCol});
        return bf16 ? accumulatePairs(lb, loc, a, aIdx, wv, accs, single)
                    : accumulateRows(lb, loc, a, aIdx, wv, accs);
      };
      // The whole steps of the chunk; the single k of an odd K (bf16) is
      // the last chunk's last step.
      int64_t fullSteps = bf16 ? k / 2 : k;
      if (fullSteps < kSteps)
        end = arith::MinUIOp::create(
            tb, loc, end, arith::ConstantIndexOp::create(tb, loc, fullSteps));
      auto loop = scf::ForOp::create(
          tb, loc, begin, end, c1, start,
          [&](OpBuilder &lb, Location, Value kk, ValueRange accs) {
            scf::YieldOp::create(lb, loc, step(lb, kk, accs, false));
          });
      ch.finish(tb, loc, loop.getResults(), positions,
                [&](OpBuilder &fb, ValueRange done) {
                  SmallVector<Value> sums(done);
                  if (fullSteps < kSteps)
                    sums = step(
                        fb, arith::ConstantIndexOp::create(fb, loc, fullSteps),
                        sums, true);
                  for (auto [v, at] : llvm::zip_equal(sums, positions)) {
                    Value y = epilogue.apply(fb, loc, v, at, fullBlocks);
                    vector::TransferWriteOp::create(fb, loc, y, out, at,
                                                    ArrayRef<bool>{fullBlocks});
                  }
                });
    };

    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value blk0,
                        int64_t cols) {
      emitTileFrom(tb, Value(), row0, rows, blk0, cols);
    };
    // Small matmuls (a few rows) run without threads.
    int64_t serialBelowRows =
        rowsForThreads(k * n, minParallelDots, kMinParallelDotsF32);
    if (panelBlocks == 0) {
      emitColumnMajorTiles(b, loc, m, nBlocks, kColTile, parallel, emitTile,
                           nullptr, 0, serialBelowRows, &chunks);
    } else {
      auto fillPanel = [&](OpBuilder &cb, Value panel, Value blk0,
                           int64_t cols) {
        SmallVector<Value> blkIdx;
        for (int64_t c = 0; c < cols; ++c)
          blkIdx.push_back(offsetIndex(cb, loc, blk0, c));
        Value begin, end;
        std::tie(begin, end) = chunks.bounds(cb, loc, k);
        scf::ForOp::create(
            cb, loc, begin, end, c1, ValueRange{},
            [&](OpBuilder &lb, Location, Value kk, ValueRange) {
              Value row = arith::SubIOp::create(lb, loc, kk, begin);
              for (int64_t c = 0; c < cols; ++c) {
                Value v =
                    widenToF32(lb, loc,
                               vector::LoadOp::create(
                                   lb, loc, VectorType::get({kLanes}, wElement),
                                   w, ValueRange{blkIdx[c], kk, c0}));
                vector::StoreOp::create(
                    lb, loc, v, panel,
                    ValueRange{row, arith::ConstantIndexOp::create(
                                        lb, loc, c * kLanes)});
              }
              scf::YieldOp::create(lb, loc);
            });
      };
      emitPanelTiles(b, loc, m, nBlocks, panelBlocks, k, panelBlocks * kLanes,
                     parallel, threads, fillPanel, emitTileFrom, kColTile,
                     emitTile, serialBelowRows, &chunks);
    }
    Value result = kernel.finish().front();
    epilogue.replaceAndErase(rewriter, result, initTensor);
    rewriter.eraseOp(op);
  }

  /// batch_matmul [B][M][K] x [B][K][N] of two activations (attention's
  /// q k^T and p v): per batch, the matmul kernel's tiles with the second
  /// operand's rows read in place (16 contiguous floats per k and column
  /// block, masked for an N tail) instead of packed at compile time;
  /// batches across threads when `parallel`.
  void rewrite(RewriterBase &rewriter, linalg::BatchMatmulOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    auto bType = cast<RankedTensorType>(op.getInputs()[1].getType());
    int64_t k = bType.getDimSize(1), n = bType.getDimSize(2);
    int64_t nBlocks = (n + kLanes - 1) / kLanes;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    OpBuilder &ob = rewriter;
    Value aTensor = op.getInputs()[0];
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < 2; ++d)
      if (outType.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(ob, loc, aTensor, d));
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value a = kernel.addStridedInput(aTensor);
    Value w = kernel.addStridedInput(op.getInputs()[1]);
    AccumulatorInit init(kernel, loc, op.getOutputs()[0]);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value batches = memref::DimOp::create(b, loc, a, 0);
    Value m = memref::DimOp::create(b, loc, a, 1);
    auto vec = VectorType::get({kLanes}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    bool fullBlocks = n % kLanes == 0;

    auto emitBatch = [&](OpBuilder &bb, Value bt) {
      auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value blk0,
                          int64_t cols) {
        SmallVector<Value> rowIdx, colIdx;
        for (int64_t r = 0; r < rows; ++r)
          rowIdx.push_back(offsetIndex(tb, loc, row0, r));
        for (int64_t c = 0; c < cols; ++c)
          colIdx.push_back(arith::MulIOp::create(
              tb, loc, offsetIndex(tb, loc, blk0, c),
              arith::ConstantIndexOp::create(tb, loc, kLanes)));
        SmallVector<Value> start;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            start.push_back(init.read(
                tb, loc, vec, ValueRange{bt, rowIdx[r], colIdx[c]}, fullBlocks));
        auto loop = scf::ForOp::create(
            tb, loc, c0, arith::ConstantIndexOp::create(tb, loc, k), c1, start,
            [&](OpBuilder &lb, Location, Value kk, ValueRange accs) {
              SmallVector<Value> wv;
              for (int64_t c = 0; c < cols; ++c)
                wv.push_back(vector::TransferReadOp::create(
                    lb, loc, vec, w, ValueRange{bt, kk, colIdx[c]}, zero,
                    ArrayRef<bool>{fullBlocks}));
              SmallVector<SmallVector<Value>> aIdx;
              for (int64_t r = 0; r < rows; ++r)
                aIdx.push_back({bt, rowIdx[r], kk});
              scf::YieldOp::create(lb, loc,
                                   accumulateRows(lb, loc, a, aIdx, wv, accs));
            });
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            vector::TransferWriteOp::create(
                tb, loc, loop.getResult(r * cols + c), out,
                ValueRange{bt, rowIdx[r], colIdx[c]},
                ArrayRef<bool>{fullBlocks});
      };
      emitColumnMajorTiles(bb, loc, m, nBlocks, kColTile, /*parallel=*/false,
                           emitTile);
    };
    if (parallel)
      scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{batches},
                              ValueRange{c1},
                              [&](OpBuilder &pb, Location, ValueRange ivs) {
                                emitBatch(pb, ivs[0]);
                              });
    else
      scf::ForOp::create(b, loc, c0, batches, c1, ValueRange{},
                         [&](OpBuilder &fb, Location, Value bt, ValueRange) {
                           emitBatch(fb, bt);
                           scf::YieldOp::create(fb, loc);
                         });
    rewriter.replaceOp(op, kernel.finish());
  }
};

/// An f32 matmul or NHWC/HWCF convolution with constant weights, or a
/// batched matmul of activations, as a kernel.
template <typename OpT>
struct F32Pattern : OpRewritePattern<OpT> {
  F32Pattern(MLIRContext *ctx, bool parallel, int64_t threads,
             int64_t minParallelDots)
      : OpRewritePattern<OpT>(ctx), kernels{parallel, threads,
                                            minParallelDots} {}
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    if constexpr (std::is_same_v<OpT, linalg::BatchMatmulOp>) {
      if (!isF32Layer(op))
        return rewriter.notifyMatchFailure(
            op, "not an f32 batched matmul with a static reduction size");
      F32Kernels(kernels).rewrite(rewriter, op);
    } else {
      // The weights are folded once, here, and handed to the rewrite.
      std::optional<DenseElementsAttr> weights = getF32LayerWeights(op);
      if (!weights)
        return rewriter.notifyMatchFailure(
            op, "not f32 with constant weights and a static reduction size");
      F32Kernels(kernels).rewrite(rewriter, op, *weights);
    }
    return success();
  }
  F32Kernels kernels;
};

struct QntF32MatmulPass : quantopt::impl::QntF32MatmulBase<QntF32MatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (failed(checkThreads(getOperation(), getArgument(), threads)))
      return signalPassFailure();
    populateQntF32MatmulPatterns(patterns, parallel, threads, minParallelDots);
    if (failed(applyKernelPatterns(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntF32MatmulPatterns(RewritePatternSet &patterns,
                                            bool parallel, int64_t threads,
                                            int64_t minParallelDots) {
  patterns
      .add<F32Pattern<linalg::MatmulOp>, F32Pattern<linalg::Conv2DNhwcHwcfOp>,
           F32Pattern<linalg::DepthwiseConv2DNhwcHwcOp>,
           F32Pattern<linalg::BatchMatmulOp>>(patterns.getContext(), parallel,
                                              threads, minParallelDots);
}
