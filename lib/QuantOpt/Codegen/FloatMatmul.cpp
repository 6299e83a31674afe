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

#include "QuantOpt/Codegen/Passes.h"
#include "Epilogue.h"
#include "KernelLoops.h"

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

/// A float matmul fit for the kernel: f32, the default maps, a static K
/// and constant weights.
bool isF32Layer(linalg::MatmulOp op) {
  DenseElementsAttr weights;
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return aType && outType && aType.getElementType().isF32() &&
         outType.getElementType().isF32() && !aType.isDynamicDim(1) &&
         op.getIndexingMapsArray() ==
             linalg::MatmulOp::getDefaultIndexingMaps(op.getContext()) &&
         matchPattern(op.getInputs()[1], m_Constant(&weights)) &&
         weights.getElementType().isF32();
}

/// A float batched matmul fit for the activation kernel: f32, the default
/// maps, static K and N (its second operand, e.g. attention's keys or
/// values, is read as it is: its rows are contiguous).
bool isF32Layer(linalg::BatchMatmulOp op) {
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto bType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return aType && bType && outType && aType.getElementType().isF32() &&
         bType.getElementType().isF32() && outType.getElementType().isF32() &&
         !aType.isDynamicDim(2) && !bType.isDynamicDim(2) &&
         op.getIndexingMapsArray() ==
             linalg::BatchMatmulOp::getDefaultIndexingMaps(op.getContext());
}

/// A float NHWC/HWCF convolution fit for the kernel: f32, a static channel
/// count and constant weights.
bool isF32Layer(linalg::Conv2DNhwcHwcfOp op) {
  DenseElementsAttr weights;
  auto xType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return xType && outType && xType.getElementType().isF32() &&
         outType.getElementType().isF32() && !xType.isDynamicDim(3) &&
         matchPattern(op.getInputs()[1], m_Constant(&weights)) &&
         weights.getElementType().isF32();
}

/// A float NHWC/HWC depthwise convolution fit for the kernel: f32, a static
/// channel count and constant weights.
bool isF32Layer(linalg::DepthwiseConv2DNhwcHwcOp op) {
  DenseElementsAttr weights;
  auto xType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return xType && outType && xType.getElementType().isF32() &&
         outType.getElementType().isF32() && !xType.isDynamicDim(3) &&
         matchPattern(op.getInputs()[1], m_Constant(&weights)) &&
         weights.getElementType().isF32();
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

/// The f32 kernels of one rewrite; column groups (matmuls) or output rows
/// (convolutions) across threads when `parallel`.
struct F32Kernels {
  bool parallel = false;

  /// conv_2d_nhwc_hwcf with constant f32 weights, the structure of the int8
  /// convolution kernel: weights packed as [ceil(F/16)][KH*KW][C][16]; a
  /// tile is four output pixels along the width (a static width ends with
  /// one tile of the rest) x up to four column blocks; per window position
  /// and channel, four weight loads, four broadcast activations, sixteen
  /// vector.fma; accumulators start from the init.
  void rewrite(RewriterBase &rewriter, linalg::Conv2DNhwcHwcfOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    DenseElementsAttr weights;
    (void)matchPattern(op.getInputs()[1], m_Constant(&weights));
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1),
            c = wType.getDimSize(2), f = wType.getDimSize(3), khw = kh * kw;
    auto strides = llvm::to_vector(op.getStrides().getValues<int64_t>());
    auto dilations = llvm::to_vector(op.getDilations().getValues<int64_t>());
    int64_t nBlocks = (f + kLanes - 1) / kLanes;
    std::vector<float> packed(nBlocks * khw * c * kLanes, 0.0f);
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>()) {
      int64_t col = flat % f, ch = (flat / f) % c, win = flat / (f * c);
      packed[(((col / kLanes) * khw + win) * c + ch) * kLanes + col % kLanes] =
          v.convertToFloat();
      ++flat;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    FusedEpilogue epilogue = collectEpilogue(rewriter, op);
    OpBuilder &ob = rewriter;
    Value xTensor = op.getInputs()[0];
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
    Value w = kernel.addConstant(DenseElementsAttr::get(
        RankedTensorType::get({nBlocks, khw, c, kLanes}, f32),
        llvm::ArrayRef<float>(packed)));
    Value x = kernel.addStridedInput(xTensor);
    Value init = kernel.addStridedInput(initTensor);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    auto cst = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantIndexOp::create(cb, loc, v).getResult();
    };
    Value c0 = cst(b, 0), c1 = cst(b, 1);
    auto vec = VectorType::get({kLanes}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
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
          start.push_back(vector::TransferReadOp::create(
              tb, loc, vec, init, ValueRange{n, oh, ow[r], col[k]}, zero,
              ArrayRef<bool>{fullBlocks}));
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
            auto channels = scf::ForOp::create(
                lb, loc, c0, cst(lb, c), c1, accs,
                [&](OpBuilder &cb, Location, Value ch, ValueRange in) {
                  SmallVector<Value> wv;
                  for (int64_t k = 0; k < cols; ++k)
                    wv.push_back(vector::LoadOp::create(
                        cb, loc, vec, w, ValueRange{blk[k], win, ch, c0}));
                  SmallVector<Value> next;
                  for (int64_t r = 0; r < rows; ++r) {
                    Value av = memref::LoadOp::create(
                        cb, loc, x, ValueRange{n, ih, iw[r], ch});
                    Value splat = vector::BroadcastOp::create(cb, loc, vec, av);
                    for (int64_t k = 0; k < cols; ++k)
                      next.push_back(vector::FMAOp::create(
                          cb, loc, splat, wv[k], in[r * cols + k]));
                  }
                  scf::YieldOp::create(cb, loc, next);
                });
            scf::YieldOp::create(lb, loc, channels.getResults());
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

  /// depthwise_conv_2d_nhwc_hwc with constant f32 weights: a lane is a
  /// channel. Weights packed as [ceil(C/16)][KH*KW][16] (zero beyond C); a
  /// tile is four output pixels along the width x up to four channel
  /// blocks; per window position, one weight load per block and one
  /// contiguous activation load per pixel and block (masked for a channel
  /// tail), one vector.fma each; accumulators start from the init; the
  /// element-wise chain after the layer is fused into the stores.
  void rewrite(RewriterBase &rewriter, linalg::DepthwiseConv2DNhwcHwcOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    DenseElementsAttr weights;
    (void)matchPattern(op.getInputs()[1], m_Constant(&weights));
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1),
            c = wType.getDimSize(2), khw = kh * kw;
    auto strides = llvm::to_vector(op.getStrides().getValues<int64_t>());
    auto dilations = llvm::to_vector(op.getDilations().getValues<int64_t>());
    int64_t nBlocks = (c + kLanes - 1) / kLanes;
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
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(DenseElementsAttr::get(
        RankedTensorType::get({nBlocks, khw, kLanes}, f32),
        llvm::ArrayRef<float>(packed)));
    Value x = kernel.addStridedInput(op.getInputs()[0]);
    Value init = kernel.addStridedInput(initTensor);
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
          start.push_back(vector::TransferReadOp::create(
              tb, loc, vec, init, ValueRange{n, oh, ow[r], col[k]}, zero,
              ArrayRef<bool>{fullBlocks}));
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

  void rewrite(RewriterBase &rewriter, linalg::MatmulOp op) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx);
    DenseElementsAttr weights;
    (void)matchPattern(op.getInputs()[1], m_Constant(&weights));
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
    int64_t nBlocks = (n + kLanes - 1) / kLanes;
    std::vector<float> packed(nBlocks * k * kLanes, 0.0f);
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>()) {
      int64_t row = flat / n, col = flat % n;
      packed[((col / kLanes) * k + row) * kLanes + col % kLanes] =
          v.convertToFloat();
      ++flat;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    FusedEpilogue epilogue = collectEpilogue(rewriter, op);
    OpBuilder &ob = rewriter;
    Value aTensor = op.getInputs()[0];
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
        DenseElementsAttr::get(RankedTensorType::get({nBlocks, k, kLanes}, f32),
                               llvm::ArrayRef<float>(packed)));
    Value a = kernel.addStridedInput(aTensor);
    Value init = kernel.addStridedInput(initTensor);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value m = memref::DimOp::create(b, loc, a, 0);
    auto vec = VectorType::get({kLanes}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    bool fullBlocks = n % kLanes == 0;

    // rows x cols column blocks of accumulators in registers over K.
    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value blk0,
                        int64_t cols) {
      SmallVector<Value> rowIdx, blkIdx, colIdx;
      for (int64_t r = 0; r < rows; ++r)
        rowIdx.push_back(offsetIndex(tb, loc, row0, r));
      for (int64_t c = 0; c < cols; ++c) {
        blkIdx.push_back(offsetIndex(tb, loc, blk0, c));
        colIdx.push_back(arith::MulIOp::create(
            tb, loc, blkIdx[c], arith::ConstantIndexOp::create(tb, loc, kLanes)));
      }
      SmallVector<Value> start;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          start.push_back(vector::TransferReadOp::create(
              tb, loc, vec, init, ValueRange{rowIdx[r], colIdx[c]}, zero,
              ArrayRef<bool>{fullBlocks}));
      auto loop = scf::ForOp::create(
          tb, loc, c0, arith::ConstantIndexOp::create(tb, loc, k), c1, start,
          [&](OpBuilder &lb, Location, Value kk, ValueRange accs) {
            SmallVector<Value> wv;
            for (int64_t c = 0; c < cols; ++c)
              wv.push_back(vector::LoadOp::create(lb, loc, vec, w,
                                                  ValueRange{blkIdx[c], kk, c0}));
            SmallVector<SmallVector<Value>> aIdx;
            for (int64_t r = 0; r < rows; ++r)
              aIdx.push_back({rowIdx[r], kk});
            scf::YieldOp::create(lb, loc,
                                 accumulateRows(lb, loc, a, aIdx, wv, accs));
          });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          SmallVector<Value> at{rowIdx[r], colIdx[c]};
          Value v = epilogue.apply(tb, loc, loop.getResult(r * cols + c), at,
                                   fullBlocks);
          vector::TransferWriteOp::create(tb, loc, v, out, at,
                                          ArrayRef<bool>{fullBlocks});
        }
    };

    emitColumnMajorTiles(b, loc, m, nBlocks, kColTile, parallel, emitTile);
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
    Value init = kernel.addStridedInput(op.getOutputs()[0]);
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
            start.push_back(vector::TransferReadOp::create(
                tb, loc, vec, init, ValueRange{bt, rowIdx[r], colIdx[c]}, zero,
                ArrayRef<bool>{fullBlocks}));
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
  F32Pattern(MLIRContext *ctx, bool parallel)
      : OpRewritePattern<OpT>(ctx), kernels{parallel} {}
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    if (!isF32Layer(op))
      return rewriter.notifyMatchFailure(
          op, "not f32 with constant weights (or a batched matmul) and a "
              "static reduction size");
    F32Kernels(kernels).rewrite(rewriter, op);
    return success();
  }
  F32Kernels kernels;
};

struct QntF32MatmulPass : quantopt::impl::QntF32MatmulBase<QntF32MatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntF32MatmulPatterns(patterns, parallel);
    if (failed(applyKernelPatterns(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntF32MatmulPatterns(RewritePatternSet &patterns,
                                            bool parallel) {
  patterns.add<F32Pattern<linalg::MatmulOp>,
               F32Pattern<linalg::Conv2DNhwcHwcfOp>,
               F32Pattern<linalg::DepthwiseConv2DNhwcHwcOp>,
               F32Pattern<linalg::BatchMatmulOp>>(patterns.getContext(),
                                                  parallel);
}
