//===- FloatConv.cpp - f32 convolution kernels on packed weights ----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-f32-matmul's convolution kernels (docs/Codegen.md): conv_2d_nhwc_hwcf
// with the int8 convolution kernel's structure (weights packed as
// [ceil(F/16)][KH*KW][C][16], four output pixels x up to four column blocks
// per tile) and depthwise_conv_2d_nhwc_hwc with a channel per lane (and the
// zero row padding it reads implicitly); f32, bf16 and f16 inputs, f32
// accumulation, the element-wise chain after the layer fused into the
// stores.
//
//===----------------------------------------------------------------------===//

#include "FloatKernels.h"
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::floatkernels;

namespace {
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
} // namespace

void F32Kernels::rewrite(RewriterBase &rewriter, linalg::Conv2DNhwcHwcfOp op,
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
      packedBF16[(((col / kLanes) * khw + win) * cSteps + ch / 2) * stepWidth +
                 (col % kLanes) * 2 + getPairSlot(ch)] = get16Bits(v);
    else
      packed[(((col / kLanes) * khw + win) * c + ch) * kLanes + col % kLanes] =
          v.convertToFloat();
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

  auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0, int64_t rows,
                      Value blk0, int64_t cols) {
    SmallVector<Value> ow, blk, col, iwBase;
    for (int64_t r = 0; r < rows; ++r) {
      ow.push_back(offsetIndex(tb, loc, ow0, r));
      iwBase.push_back(
          arith::MulIOp::create(tb, loc, ow[r], cst(tb, strides[1])));
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
          auto step = [&](OpBuilder &cb, Value ch, ValueRange in, bool single) {
            auto wVec =
                VectorType::get({stepWidth}, bf16 ? cb.getBF16Type() : f32);
            SmallVector<Value> wv;
            for (int64_t k = 0; k < cols; ++k)
              wv.push_back(vector::LoadOp::create(
                  cb, loc, wVec, w, ValueRange{blk[k], win, ch, c0}));
            Value xc =
                bf16 ? arith::MulIOp::create(cb, loc, ch, cst(cb, 2)) : ch;
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

void F32Kernels::rewrite(RewriterBase &rewriter,
                         linalg::DepthwiseConv2DNhwcHwcOp op,
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
  Value w = kernel.addConstant(
      DenseElementsAttr::get(RankedTensorType::get({nBlocks, khw, kLanes}, f32),
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

  auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0, int64_t rows,
                      Value blk0, int64_t cols) {
    SmallVector<Value> ow, blk, col, iwBase;
    for (int64_t r = 0; r < rows; ++r) {
      ow.push_back(offsetIndex(tb, loc, ow0, r));
      iwBase.push_back(
          arith::MulIOp::create(tb, loc, ow[r], cst(tb, strides[1])));
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
          tb, loc, cst(tb, kh), arith::SubIOp::create(tb, loc, height, ihBase));
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
              next.push_back(
                  vector::FMAOp::create(lb, loc, xv, wv, accs[r * cols + k]));
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
