//===- VnniMatmul.cpp - u8 x i8 matmuls on AVX512-VNNI --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-vnni-matmul rewrites the integer contractions --qnt-quantize builds
// for 2-D matmuls (u8 activations x constant i8 weights -> i32) into a
// register-tiled loop nest over weights packed at compile time for
// vpdpbusd (docs/Codegen.md):
//
//   packed[nb][k4][j][r] = w[4*k4 + r][16*nb + j]   (zero beyond K and N)
//
// so one 64-byte load gives the 4 k-values of 16 output columns that one
// vpdpbusd multiplies with 4 broadcast activation bytes. Four rows share
// every weight load; the accumulators stay in registers over K; K tails read
// the activation with a masked load and N tails store with a mask. The sums
// are the exact i32 sums of the reference contraction.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "AmxMatmul.h"
#include "Epilogue.h"
#include "KernelLoops.h"
#include "VnniMatch.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/AMX/AMXDialect.h" // the pass depends on it
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>

namespace quantopt {
#define GEN_PASS_DEF_QNTVNNIMATMUL
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {

/// Independent accumulators a matmul tile keeps over K at least: vpdpbusd
/// has a latency of about 5 cycles and two issue ports (or one dot and one
/// load-broadcast per cycle at M = 1), so fewer leave it waiting (measured
/// here: 1x4096x16 ran at a quarter of 1x4096x64's rate with one).
constexpr int64_t kMinIndependentSums = 8;
/// Dots (of 64 bytes) a thread's share of K takes at least when a one-row
/// matmul's K is split among the threads: fewer cost more to hand out than
/// they save (measured here with qnt-bench at M = 1).
constexpr int64_t kMinDotsPerKShare = 8192;

/// The kernels of one rewrite: `kLanes` i32 lanes per vector (16 for
/// AVX512, 8 for AVX2-sized vectors), column groups across threads when
/// `parallel`.
struct VnniKernels {
  int64_t kLanes = 16;
  bool parallel = false;
  /// 2-D matmuls of i8 weights on AMX tiles (rewriteAmx).
  bool amx = false;
  /// With `parallel`, the threads (a one-row matmul of at most kColTile
  /// column blocks shares its K among them); 1: unknown.
  int64_t threads = 1;
  /// With `parallel`, the multiply-adds below which a matmul runs on one
  /// thread (-1: kMinParallelDotsI8).
  int64_t minParallelDots = -1;

  /// The depthwise reduction of pixels (n, ih0, iw0[r]) x channel blocks
  /// blk, from `init`: per group of four window positions, one packed weight
  /// load per block, and per pixel and block the four positions' L channels
  /// interleaved into the byte order vpdpbusd reads (byte 4j + r = position
  /// r of channel j); positions past the window read as zeros (their
  /// weights are zero too), a channel tail with a mask.
  SmallVector<Value> depthwiseSums(OpBuilder &b, const MatchedMatmul &mm,
                                   Value w, Value x, ArrayRef<Value> init,
                                   Value n, Value ih0, ArrayRef<Value> iw0,
                                   ArrayRef<Value> blk, bool fullBlocks) {
    Location loc = w.getLoc();
    Type i8 = b.getI8Type();
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    int64_t khw = mm.kh * mm.kw, rows = iw0.size(), cols = blk.size();
    auto part = VectorType::get({kLanes}, i8);
    auto bytes = VectorType::get({kLanes * 4}, i8);
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(part, b.getI8IntegerAttr(0)));
    Value pad = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    SmallVector<int64_t> pairs, quads;
    for (int64_t j = 0; j < kLanes; ++j)
      pairs.append({j, kLanes + j});
    for (int64_t j = 0; j < kLanes; ++j)
      quads.append({2 * j, 2 * j + 1, 2 * kLanes + 2 * j, 2 * kLanes + 2 * j + 1});
    SmallVector<Value> ch;
    for (Value blkIdx : blk)
      ch.push_back(arith::MulIOp::create(b, loc, blkIdx, cst(kLanes)));
    SmallVector<Value> accs(init.begin(), init.end());
    for (int64_t g = 0; g < (khw + 3) / 4; ++g) {
      SmallVector<Value> wv;
      for (int64_t k = 0; k < cols; ++k)
        wv.push_back(vector::LoadOp::create(b, loc, bytes, w,
                                            ValueRange{blk[k], cst(g), cst(0)}));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k) {
          Value parts[4];
          for (int64_t q = 0; q < 4; ++q) {
            int64_t p = 4 * g + q;
            if (p >= khw) {
              parts[q] = zeros;
              continue;
            }
            Value ih = arith::AddIOp::create(b, loc, ih0,
                                             cst((p / mm.kw) * mm.dh));
            Value iw = arith::AddIOp::create(b, loc, iw0[r],
                                             cst((p % mm.kw) * mm.dw));
            parts[q] = vector::TransferReadOp::create(
                b, loc, part, x, ValueRange{n, ih, iw, ch[k]}, pad,
                ArrayRef<bool>{fullBlocks});
          }
          Value lo = vector::ShuffleOp::create(b, loc, parts[0], parts[1], pairs);
          Value hi = vector::ShuffleOp::create(b, loc, parts[2], parts[3], pairs);
          Value av = vector::ShuffleOp::create(b, loc, lo, hi, quads);
          if (mm.signedA) // a + 128 in every byte
            av = arith::XOrIOp::create(
                b, loc, av,
                arith::ConstantOp::create(
                    b, loc,
                    DenseElementsAttr::get(bytes, b.getI8IntegerAttr(-128))));
          accs[r * cols + k] =
              qnt_x86::DotU8I8Op::create(b, loc, accs[r * cols + k], av, wv[k]);
        }
    }
    return accs;
  }

  /// conv_2d_nhwc_hwcf through the same micro-kernel: rows are output
  /// pixels (tiles of four along ow), the reduction runs over kh, kw and
  /// groups of four channels; weights are packed as
  /// [ceil(F/L)][KH*KW][ceil(C/4)][L][4] (zero-padded), and a C that is not a
  /// multiple of 4 ends each (kh, kw) with a masked activation load.
  void rewriteConv(RewriterBase &rewriter, linalg::GenericOp op,
                   const MatchedMatmul &mm) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
    int64_t f = mm.n, c = mm.c, khw = mm.kh * mm.kw;
    int64_t nBlocks = (f + kLanes - 1) / kLanes, c4 = (c + 3) / 4;
    int64_t cFull = c / 4;

    // Depthwise: a lane is a channel and vpdpbusd's four products are four
    // window positions: [ceil(C/L)][ceil(KH*KW/4)][L][4].
    int64_t p4 = (khw + 3) / 4;
    SmallVector<int64_t> packedShape =
        mm.depthwise ? SmallVector<int64_t>{nBlocks, p4, kLanes * 4}
                     : SmallVector<int64_t>{nBlocks, khw, c4, kLanes * 4};
    std::vector<int8_t> packed(mm.depthwise ? nBlocks * p4 * kLanes * 4
                                            : nBlocks * khw * c4 * kLanes * 4,
                               0);
    std::vector<int32_t> compensation =
        getShiftCompensation(mm.weights, false, nBlocks * kLanes);
    {
      int64_t flat = 0;
      for (APInt v : mm.weights.getValues<APInt>()) {
        int8_t value = static_cast<int8_t>(v.getSExtValue());
        int64_t col;
        if (mm.depthwise) {
          col = flat % c;
          int64_t win = flat / c;
          packed[(((col / kLanes) * p4 + win / 4) * kLanes + col % kLanes) * 4 +
                 win % 4] = value;
        } else {
          col = flat % f;
          int64_t ch = (flat / f) % c, win = flat / (f * c);
          packed[((((col / kLanes) * khw + win) * c4 + ch / 4) * kLanes +
                   col % kLanes) * 4 + ch % 4] = value;
        }
        ++flat;
      }
    }
    // The element-wise code after the convolution runs on the accumulators
    // before they are stored; the kernel goes where that code ends.
    FusedEpilogue epilogue = FusedEpilogue::collect(op->getResult(0));
    if (takesFirstLayerConv(mm, epilogue,
                            cast<RankedTensorType>(op->getResult(0).getType()),
                            kLanes))
      return rewriteFirstLayerConv(rewriter, op, mm, epilogue, kLanes,
                                   parallel);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(epilogue.empty() ? op.getOperation()
                                                : epilogue.getInsertionPoint());
    OpBuilder &ob = rewriter;
    auto outTensorType = epilogue.getResultType(
        cast<RankedTensorType>(op->getResult(0).getType()));
    SmallVector<Value> dynSizes;
    Value outDims[4];
    Value initTensor = op.getDpsInitOperand(0)->get();
    getResultSizes(ob, loc, initTensor, outTensorType, outDims, dynSizes);
    // The packed weights (and compensation) are constants: bufferization
    // makes them globals.
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(DenseElementsAttr::get(
        RankedTensorType::get(packedShape, i8), llvm::ArrayRef<int8_t>(packed)));
    Value compGlobal;
    if (mm.signedA)
      compGlobal = kernel.addConstant(DenseElementsAttr::get(
          RankedTensorType::get({nBlocks, kLanes}, i32),
          llvm::ArrayRef<int32_t>(compensation)));
    Value x = kernel.addStridedInput(mm.a);
    Value out = kernel.addFreshOutput(outTensorType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    auto cst = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantIndexOp::create(cb, loc, v).getResult();
    };
    Value c0 = cst(b, 0), c1 = cst(b, 1), c4v = cst(b, 4);
    auto acc = VectorType::get({kLanes}, i32);
    auto bytes = VectorType::get({kLanes * 4}, i8);
    Value zeroAcc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(acc, b.getI32IntegerAttr(0)));
    Value zeroByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    bool fullBlocks = f % kLanes == 0;

    auto broadcastA = [&](OpBuilder &nb, ValueRange idx, bool masked) {
      return broadcastFourBytes(nb, loc, x, idx, masked, zeroByte,
                                mm.signedA, kLanes);
    };

    // The accumulators of pixels ow x blocks blk, through the epilogue.
    auto store = [&](OpBuilder &tb, ArrayRef<Value> sums, Value n, Value oh,
                     ArrayRef<Value> ow, ArrayRef<Value> blk) {
      int64_t cols = blk.size();
      for (int64_t k = 0; k < cols; ++k) {
        Value col = arith::MulIOp::create(tb, loc, blk[k], cst(tb, kLanes));
        for (size_t r = 0; r < ow.size(); ++r) {
          SmallVector<Value> at{n, oh, ow[r], col};
          Value v = epilogue.apply(tb, loc, sums[r * cols + k], at, fullBlocks);
          vector::TransferWriteOp::create(tb, loc, v, out, at,
                                          ArrayRef<bool>{fullBlocks});
        }
      }
    };
    // Pixels (n, oh, ow0 .. ow0 + rows) x blocks blk0 .. blk0 + cols.
    auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0,
                        int64_t rows, Value blk0, int64_t cols) {
      SmallVector<Value> ow, blk;
      for (int64_t r = 0; r < rows; ++r)
        ow.push_back(offsetIndex(tb, loc, ow0, r));
      for (int64_t k = 0; k < cols; ++k)
        blk.push_back(offsetIndex(tb, loc, blk0, k));
      SmallVector<Value> init;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k)
          init.push_back(compGlobal ? vector::LoadOp::create(
                                          tb, loc, acc, compGlobal,
                                          ValueRange{blk[k], c0})
                                          .getResult()
                                    : zeroAcc);
      Value ihBase = arith::MulIOp::create(tb, loc, oh, cst(tb, mm.sh));
      SmallVector<Value> iwBase;
      for (int64_t r = 0; r < rows; ++r)
        iwBase.push_back(arith::MulIOp::create(tb, loc, ow[r], cst(tb, mm.sw)));
      if (mm.depthwise) {
        SmallVector<Value> sums =
            depthwiseSums(tb, mm, w, x, init, n, ihBase, iwBase, blk,
                          fullBlocks);
        store(tb, sums, n, oh, ow, blk);
        return;
      }
      auto window = scf::ForOp::create(
          tb, loc, c0, cst(tb, khw), c1, init,
          [&](OpBuilder &lb, Location, Value win, ValueRange accs) {
            Value kh = arith::DivUIOp::create(lb, loc, win, cst(lb, mm.kw));
            Value kw = arith::RemUIOp::create(lb, loc, win, cst(lb, mm.kw));
            Value ih = arith::AddIOp::create(
                lb, loc, ihBase, arith::MulIOp::create(lb, loc, kh, cst(lb, mm.dh)));
            Value kwOff = arith::MulIOp::create(lb, loc, kw, cst(lb, mm.dw));
            SmallVector<Value> iw;
            for (int64_t r = 0; r < rows; ++r)
              iw.push_back(arith::AddIOp::create(lb, loc, iwBase[r], kwOff));
            auto step = [&](OpBuilder &sb, Value cg, ValueRange in, bool masked) {
              Value ch = arith::MulIOp::create(sb, loc, cg, c4v);
              SmallVector<Value> wv;
              for (int64_t k = 0; k < cols; ++k)
                wv.push_back(vector::LoadOp::create(
                    sb, loc, bytes, w, ValueRange{blk[k], win, cg, c0}));
              SmallVector<Value> next;
              for (int64_t r = 0; r < rows; ++r) {
                Value av = broadcastA(sb, ValueRange{n, ih, iw[r], ch}, masked);
                for (int64_t k = 0; k < cols; ++k)
                  next.push_back(qnt_x86::DotU8I8Op::create(sb, loc, in[r * cols + k],
                                                        av, wv[k])
                                     .getResult());
              }
              return next;
            };
            auto channels = scf::ForOp::create(
                lb, loc, c0, cst(lb, cFull), c1, accs,
                [&](OpBuilder &cb, Location, Value cg, ValueRange in) {
                  scf::YieldOp::create(cb, loc, step(cb, cg, in, false));
                });
            SmallVector<Value> sums(channels.getResults().begin(),
                                    channels.getResults().end());
            if (c4 > cFull)
              sums = step(lb, cst(lb, cFull), sums, true);
            scf::YieldOp::create(lb, loc, sums);
          });
      store(tb, SmallVector<Value>(window.getResults()), n, oh, ow, blk);
    };

    emitConvTiles(b, loc, outDims[0], outDims[1], outDims[2],
                  outTensorType.isDynamicDim(2) ? -1
                                                : outTensorType.getDimSize(2),
                  nBlocks, parallel, emitTile,
                  // 8 lanes: AVX2-class code, with 16 vector registers.
                  kLanes != 16 || c4 == 1 ? kConvFewChannelRestAccumulators
                                          : kConvRestAccumulators,
                  /*wideTiles=*/kLanes == 16,
                  kLanes == 16 && c4 == 1 ? kConvFewChannelColTile : kColTile);
    Value result = kernel.finish().front();
    epilogue.replaceAndErase(rewriter, result, initTensor);
    rewriter.eraseOp(op);
  }

  /// Whether emitAmxMatmul takes `mm`: a 2-D (or one-batch) matmul of u8 or i8
  /// activations and i8 weights (not i4, not u8), 16 lanes.
  bool takesAmx(const MatchedMatmul &mm) const {
    return amx && kLanes == 16 && !mm.conv && !mm.depthwise && !mm.int4 &&
           !mm.unsignedW;
  }

  void rewrite(RewriterBase &rewriter, linalg::GenericOp op,
               const MatchedMatmul &mm) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
    int64_t k = mm.k, n = mm.n;
    int64_t nBlocks = (n + kLanes - 1) / kLanes, k4 = (k + 3) / 4;
    int64_t kFull = k / 4; // groups of 4 with no tail

    // The element-wise code after the matmul (zero-point correction, scales,
    // bias, requantization, activation) runs on the accumulators in
    // registers; the kernel goes where that code ends.
    FusedEpilogue epilogue = FusedEpilogue::collect(op->getResult(0));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(epilogue.empty() ? op.getOperation()
                                                : epilogue.getInsertionPoint());
    OpBuilder &ob = rewriter;
    // With one leading batch, every index gets a leading 0.
    unsigned rowDim = mm.batch1 ? 1 : 0;
    auto outTensorType = epilogue.getResultType(
        cast<RankedTensorType>(op->getResult(0).getType()));
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < outTensorType.getRank(); ++d)
      if (outTensorType.isDynamicDim(d))
        dynSizes.push_back(
            static_cast<unsigned>(d) == rowDim
                ? tensor::DimOp::create(ob, loc, mm.a, rowDim).getResult()
                : getDimSize(ob, loc, op.getDpsInitOperand(0)->get(), d));
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    // The packed weights, a constant (bufferization makes it a global).
    Value w = kernel.addConstant(
        packWeights(mm.weights, k, n, kLanes, mm.int4, mm.unsignedW));
    // Signed activations: the accumulators of column block nb start at
    // -128 * (column sums of the weights), a [ceil(N/16)][16] constant.
    Value compensation;
    if (mm.signedA)
      compensation = kernel.addConstant(DenseElementsAttr::get(
          RankedTensorType::get({nBlocks, kLanes}, i32),
          llvm::ArrayRef<int32_t>(getShiftCompensation(
              mm.weights, mm.unsignedW, nBlocks * kLanes))));
    Value a = kernel.addStridedInput(mm.a);
    Value out = kernel.addFreshOutput(outTensorType, dynSizes);
    epilogue.prepare(kernel, loc, kLanes);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value c4 = arith::ConstantIndexOp::create(b, loc, 4);
    auto at = [&](Value row, Value col) {
      return mm.batch1 ? SmallVector<Value>{c0, row, col}
                       : SmallVector<Value>{row, col};
    };
    Value m = memref::DimOp::create(b, loc, a, rowDim);
    auto acc = VectorType::get({kLanes}, i32);
    auto bytes = VectorType::get({kLanes * 4}, i8);
    Value zeroAcc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(acc, b.getI32IntegerAttr(0)));
    Value zeroByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));

    Value onesBytes = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(bytes, b.getI8IntegerAttr(1)));
    // The 4L weight bytes of (block, k4); i4: 2L bytes, low nibbles then
    // high nibbles, each minus 8.
    auto loadWeights = [&](OpBuilder &lb, Value blk, Value kGroup) -> Value {
      if (!mm.int4)
        return vector::LoadOp::create(lb, loc, bytes, w,
                                      ValueRange{blk, kGroup, c0});
      Value raw = vector::LoadOp::create(
          lb, loc, VectorType::get({kLanes * 2}, i8), w,
          ValueRange{blk, kGroup, c0});
      return arith::SubIOp::create(
          lb, loc, unpackNibbles(lb, loc, raw, kLanes),
          arith::ConstantOp::create(
              lb, loc, DenseElementsAttr::get(bytes, lb.getI8IntegerAttr(8))));
    };

    // 4 activation bytes a[row, kk .. kk+3] as a broadcast vector<64xi8>;
    // `masked` reads past K as zeros.
    auto broadcastA = [&](OpBuilder &nb, Value row, Value kk, bool masked) {
      return broadcastFourBytes(nb, loc, a, at(row, kk), masked, zeroByte,
                                mm.signedA, kLanes);
    };

    // A tile: rows [row0, row0 + rows) x column blocks [blk0, blk0 + cols);
    // rows * cols accumulators live in registers over K, then (u8 weights)
    // one activation sum per row: a tile's "accumulator set".
    int64_t perRowSum = mm.unsignedW ? 1 : 0;
    // One k group (4 values of K) of a tile into `accs`; `masked` reads
    // past K as zeros.
    auto step = [&](OpBuilder &sb, ArrayRef<Value> rowIdx,
                    ArrayRef<Value> blkIdx, Value kGroup, ValueRange accs,
                    bool masked) {
      int64_t rows = rowIdx.size(), cols = blkIdx.size();
      Value kk = arith::MulIOp::create(sb, loc, kGroup, c4);
      SmallVector<Value> wv;
      for (int64_t c = 0; c < cols; ++c)
        wv.push_back(loadWeights(sb, blkIdx[c], kGroup));
      SmallVector<Value> next, rowSums;
      for (int64_t r = 0; r < rows; ++r) {
        Value av = broadcastA(sb, rowIdx[r], kk, masked);
        for (int64_t c = 0; c < cols; ++c)
          next.push_back(
              qnt_x86::DotU8I8Op::create(sb, loc, accs[r * cols + c], av, wv[c])
                  .getResult());
        if (mm.unsignedW)
          rowSums.push_back(qnt_x86::DotU8I8Op::create(
              sb, loc, accs[rows * cols + r], av, onesBytes));
      }
      next.append(rowSums);
      return next;
    };
    // What a tile's accumulator set starts from: the compensation of the
    // signed activations' shift per column block and, for u8 weights, the
    // activation sums' start -128 * 4 * ceil(K/4) for i8 activations (every
    // byte, padding included, was fed + 128). Every sum here is an integer
    // sum, exact in any order: the shares of K below add up to the same
    // bits.
    auto tileStart = [&](OpBuilder &tb, int64_t rows, ArrayRef<Value> blkIdx) {
      int64_t cols = blkIdx.size();
      SmallVector<Value> init, starts;
      for (int64_t c = 0; c < cols; ++c)
        starts.push_back(compensation
                             ? vector::LoadOp::create(tb, loc, acc, compensation,
                                                      ValueRange{blkIdx[c], c0})
                                   .getResult()
                             : zeroAcc);
      for (int64_t r = 0; r < rows; ++r)
        init.append(starts);
      for (int64_t r = 0; mm.unsignedW && r < rows; ++r)
        init.push_back(arith::ConstantOp::create(
            tb, loc,
            DenseElementsAttr::get(acc, tb.getI32IntegerAttr(
                                            mm.signedA ? -128 * 4 * k4 : 0))));
      return init;
    };
    // The full k groups [first, last) of a tile into `init`. A tile with
    // fewer than kMinIndependentSums accumulators (a single row against one
    // to four column blocks: M = 1, the rows left after the row tiles; four
    // rows against a block left over) would wait on vpdpbusd's latency at
    // every step: it runs `chains` accumulator sets over interleaved k
    // groups instead (the first from `init`, the others from zero), added
    // together at the end; at most as many vectors as leave registers for
    // the weights and activations (16 with 16 lanes, 8 with 8: AVX2-class
    // code has 16 vector registers).
    auto accumulateK = [&](OpBuilder &tb, ArrayRef<Value> rowIdx,
                           ArrayRef<Value> blkIdx, Value first, Value last,
                           ArrayRef<Value> init) {
      int64_t set = init.size();
      int64_t maxVectors = kLanes == 8 ? 8 : 16;
      int64_t chains = std::max<int64_t>(
          1, std::min<int64_t>(
                 llvm::divideCeil(kMinIndependentSums,
                                  int64_t(rowIdx.size() * blkIdx.size())),
                 maxVectors / set));
      SmallVector<Value> sums(init.begin(), init.end());
      Value chainEnd = first;
      if (chains > 1) {
        Value cChains = arith::ConstantIndexOp::create(tb, loc, chains);
        Value count = arith::SubIOp::create(tb, loc, last, first);
        chainEnd = arith::AddIOp::create(
            tb, loc, first,
            arith::MulIOp::create(
                tb, loc, arith::DivUIOp::create(tb, loc, count, cChains),
                cChains));
        SmallVector<Value> chainInit(sums);
        for (int64_t p = 1; p < chains; ++p)
          chainInit.append(set, zeroAcc);
        auto loop = scf::ForOp::create(
            tb, loc, first, chainEnd, cChains, chainInit,
            [&](OpBuilder &lb, Location, Value kGroup, ValueRange accs) {
              SmallVector<Value> next;
              for (int64_t p = 0; p < chains; ++p)
                llvm::append_range(next, step(lb, rowIdx, blkIdx,
                                              offsetIndex(lb, loc, kGroup, p),
                                              accs.slice(p * set, set), false));
              scf::YieldOp::create(lb, loc, next);
            });
        for (int64_t i = 0; i < set; ++i) {
          sums[i] = loop.getResult(i);
          for (int64_t p = 1; p < chains; ++p)
            sums[i] = arith::AddIOp::create(tb, loc, sums[i],
                                            loop.getResult(p * set + i));
        }
      }
      auto loop = scf::ForOp::create(
          tb, loc, chainEnd, last, c1, sums,
          [&](OpBuilder &lb, Location, Value kGroup, ValueRange accs) {
            scf::YieldOp::create(lb, loc,
                                 step(lb, rowIdx, blkIdx, kGroup, accs, false));
          });
      return SmallVector<Value>(loop.getResults());
    };
    // The end of a tile: the masked k group past the last full one, the u8
    // weights' correction, the epilogue and the stores.
    bool fullBlocks = n % kLanes == 0;
    auto finishTile = [&](OpBuilder &tb, ArrayRef<Value> rowIdx,
                          ArrayRef<Value> blkIdx, SmallVector<Value> sums) {
      int64_t rows = rowIdx.size(), cols = blkIdx.size();
      if (k4 > kFull)
        sums = step(tb, rowIdx, blkIdx,
                    arith::ConstantIndexOp::create(tb, loc, kFull), sums, true);
      // u8 weights: sum a (w - 128) + 128 sum a = sum a w.
      if (mm.unsignedW) {
        Value seven = arith::ConstantOp::create(
            tb, loc, DenseElementsAttr::get(acc, tb.getI32IntegerAttr(7)));
        for (int64_t r = 0; r < rows; ++r) {
          Value back = arith::ShLIOp::create(tb, loc, sums[rows * cols + r],
                                             seven);
          for (int64_t c = 0; c < cols; ++c)
            sums[r * cols + c] =
                arith::AddIOp::create(tb, loc, sums[r * cols + c], back);
        }
      }
      for (int64_t c = 0; c < cols; ++c) {
        Value col = arith::MulIOp::create(
            tb, loc, blkIdx[c], arith::ConstantIndexOp::create(tb, loc, kLanes));
        for (int64_t r = 0; r < rows; ++r) {
          SmallVector<Value> idx = at(rowIdx[r], col);
          Value v = epilogue.apply(tb, loc, sums[r * cols + c], idx, fullBlocks);
          vector::TransferWriteOp::create(tb, loc, v, out, idx,
                                          ArrayRef<bool>{fullBlocks});
        }
      }
    };
    auto indices = [&](OpBuilder &tb, Value base, int64_t count) {
      SmallVector<Value> idx;
      for (int64_t i = 0; i < count; ++i)
        idx.push_back(offsetIndex(tb, loc, base, i));
      return idx;
    };
    Value cKFull = arith::ConstantIndexOp::create(b, loc, kFull);
    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value blk0,
                        int64_t cols) {
      SmallVector<Value> rowIdx = indices(tb, row0, rows),
                         blkIdx = indices(tb, blk0, cols);
      finishTile(tb, rowIdx, blkIdx,
                 accumulateK(tb, rowIdx, blkIdx, c0, cKFull,
                             tileStart(tb, rows, blkIdx)));
    };

    // One row against at most kColTile column blocks (M = 1, N <= 64 at 16
    // lanes) is a single tile: with threads, the full k groups are shared
    // among them instead (min(threads, dots / kMinDotsPerKShare) shares of
    // consecutive groups, each summed from zero into its row of a buffer on
    // the stack), and the tile's start, the shares' sums in order and the
    // rest of the tile follow on one thread. Integer sums: the same bits at
    // any thread count.
    int64_t kShares = 1;
    if (parallel && threads > 1 && nBlocks <= kColTile)
      kShares = std::min<int64_t>(threads, kFull * nBlocks / kMinDotsPerKShare);
    auto emitKSplit = [&](OpBuilder &tb) {
      auto cst = [&](int64_t v) {
        return arith::ConstantIndexOp::create(tb, loc, v).getResult();
      };
      SmallVector<Value> rowIdx{c0}, blkIdx = indices(tb, c0, nBlocks);
      int64_t set = nBlocks + perRowSum;
      Value partial = memref::AllocaOp::create(
          tb, loc, MemRefType::get({kShares, set, kLanes}, i32));
      int64_t share = llvm::divideCeil(kFull, kShares);
      scf::ParallelOp::create(
          tb, loc, ValueRange{c0}, ValueRange{cst(kShares)}, ValueRange{c1},
          [&](OpBuilder &pb, Location, ValueRange ivs) {
            // min: a last share past the end is empty, not negative.
            Value first = arith::MinUIOp::create(
                pb, loc, arith::MulIOp::create(pb, loc, ivs[0], cst(share)),
                cKFull);
            Value last = arith::MinUIOp::create(
                pb, loc, arith::AddIOp::create(pb, loc, first, cst(share)),
                cKFull);
            SmallVector<Value> zeros(set, zeroAcc);
            SmallVector<Value> sums =
                accumulateK(pb, rowIdx, blkIdx, first, last, zeros);
            for (int64_t i = 0; i < set; ++i)
              vector::StoreOp::create(pb, loc, sums[i], partial,
                                      ValueRange{ivs[0], cst(i), c0});
          });
      SmallVector<Value> sums = tileStart(tb, 1, blkIdx);
      for (int64_t s = 0; s < kShares; ++s)
        for (int64_t i = 0; i < set; ++i)
          sums[i] = arith::AddIOp::create(
              tb, loc, sums[i],
              vector::LoadOp::create(tb, loc, acc, partial,
                                     ValueRange{cst(s), cst(i), c0}));
      finishTile(tb, rowIdx, blkIdx, sums);
    };
    // Small matmuls (a few rows) run without threads.
    int64_t serialBelowRows =
        rowsForThreads(k * n, minParallelDots, kMinParallelDotsI8);
    auto emitTiles = [&](OpBuilder &tb) {
      if (kShares < 2) {
        emitColumnMajorTiles(tb, loc, m, nBlocks, kColTile, parallel, emitTile,
                             nullptr, 0, serialBelowRows);
        return;
      }
      Value one =
          arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::eq, m, c1);
      scf::IfOp::create(
          tb, loc, one,
          [&](OpBuilder &ib, Location) {
            emitKSplit(ib);
            scf::YieldOp::create(ib, loc);
          },
          [&](OpBuilder &eb, Location) {
            emitColumnMajorTiles(eb, loc, m, nBlocks, kColTile, parallel,
                                 emitTile, nullptr, 0, serialBelowRows);
            scf::YieldOp::create(eb, loc);
          });
    };

    // Column blocks in groups of kColTile, then the rest one by one; rows in
    // tiles of kRowTile, then the rest one by one. With AMX, from
    // kAmxMinRows rows on, the AMX tiles instead (measured here: at 1 and 8
    // rows the VNNI kernel is faster, from 64 on AMX by 1.8x and more).
    if (takesAmx(mm)) {
      constexpr int64_t kAmxMinRows = 16;
      Value useAmx = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::sge, m,
          arith::ConstantIndexOp::create(b, loc, kAmxMinRows));
      scf::IfOp::create(
          b, loc, useAmx,
          [&](OpBuilder &tb, Location) {
            emitAmxMatmul(tb, loc, kernel, mm, a, out, m, epilogue, at,
                          parallel);
            scf::YieldOp::create(tb, loc);
          },
          [&](OpBuilder &eb, Location) {
            emitTiles(eb);
            scf::YieldOp::create(eb, loc);
          });
    } else {
      emitTiles(b);
    }
    Value result = kernel.finish().front();
    epilogue.replaceAndErase(rewriter, result, op.getDpsInitOperand(0)->get());
    rewriter.eraseOp(op);
  }
};

/// conv_2d_nchw_fchw-shaped integer contractions with constant weights
/// become NHWC/HWCF ones between two transposes, which VnniContraction
/// takes.
struct NchwContractionToNhwc : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isIntegerContraction(op) || !convertNchwToNhwc(rewriter, op))
      return rewriter.notifyMatchFailure(op, "not an NCHW/FCHW contraction");
    return success();
  }
};

/// An integer contraction (with the element-wise chain that consumes it)
/// as a VNNI kernel in a qnt.kernel.
struct VnniContraction : OpRewritePattern<linalg::GenericOp> {
  VnniContraction(MLIRContext *ctx, VnniKernels kernels)
      : OpRewritePattern(ctx), kernels(kernels) {}
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<MatchedMatmul> matched = matchVnniContraction(op);
    if (failed(matched))
      return rewriter.notifyMatchFailure(op, "not a packable contraction");
    VnniKernels k = kernels;
    if (matched->conv)
      k.rewriteConv(rewriter, op, *matched);
    else
      k.rewrite(rewriter, op, *matched);
    return success();
  }
  VnniKernels kernels;
};

struct QntVnniMatmulPass
    : quantopt::impl::QntVnniMatmulBase<QntVnniMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    if (failed(checkLanes(root, getArgument(), lanes)) ||
        failed(checkThreads(root, getArgument(), threads)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateQntVnniMatmulPatterns(patterns, lanes, parallel, amx, threads,
                                  minParallelDots);
    if (failed(applyKernelPatterns(root, std::move(patterns))))
      return signalPassFailure();
    root->walk([&](linalg::GenericOp op) {
      if (!isIntegerContraction(op))
        return;
      std::string name = findLocationName(op.getLoc());
      emitRemark(op.getLoc())
          << "qnt-vnni-matmul: "
          << (name.empty() ? std::string("an integer contraction")
                           : "layer '" + name + "'")
          << " keeps the reference loops (only 2-D matmuls, NHWC/HWCF, "
             "NHWC/FHWC and NCHW/FCHW convolutions and NHWC depthwise "
             "convolutions of u8 or i8 activations and constant i8 weights "
             "from a zero init are packed)";
    });
  }
};
} // namespace

void quantopt::populateQntVnniMatmulPatterns(RewritePatternSet &patterns,
                                             int64_t lanes, bool parallel,
                                             bool amx, int64_t threads,
                                             int64_t minParallelDots) {
  patterns.add<NchwContractionToNhwc>(patterns.getContext());
  patterns.add<VnniContraction>(
      patterns.getContext(),
      VnniKernels{lanes, parallel, amx, threads, minParallelDots});
}
