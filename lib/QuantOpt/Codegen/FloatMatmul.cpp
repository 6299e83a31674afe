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
// for an N tail), masked stores for an N tail. The convolution kernels are
// in FloatConv.cpp, what both share in FloatKernels.cpp.
//
//===----------------------------------------------------------------------===//

#include "FloatKernels.h"
#include "KernelLoops.h"
#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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
using namespace quantopt::floatkernels;

void F32Kernels::rewrite(RewriterBase &rewriter, linalg::MatmulOp op,
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
      f16 ? getPanelUnits(chunks.size, kLanes, kColTile, parallel, threads) : 0;
  if (f16 && panelBlocks == 0)
    chunks = getKChunks(kSteps, kColTile * stepWidth * 2);
  allocateChunkPartials(b, loc, chunks, m, nBlocks * kLanes);

  // rows x cols column blocks of accumulators in registers over K; the
  // weights from the packed constant, or (f16, many rows) from `panel`,
  // the f32 panel [K][panel columns] of the column group that begins at
  // block blk0.
  auto emitTileFrom = [&](OpBuilder &tb, Value panel, Value row0, int64_t rows,
                          Value blk0, int64_t cols) {
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
        wv.push_back(
            panel
                ? vector::LoadOp::create(
                      lb, loc, vec, panel,
                      ValueRange{
                          arith::SubIOp::create(lb, loc, kk, panelBegin),
                          arith::ConstantIndexOp::create(lb, loc, c * kLanes)})
                      .getResult()
                : widenToF32(
                      lb, loc,
                      vector::LoadOp::create(lb, loc, wVec, w,
                                             ValueRange{blkIdx[c], kk, c0})));
      SmallVector<SmallVector<Value>> aIdx;
      Value aCol =
          bf16 ? arith::MulIOp::create(
                     lb, loc, kk, arith::ConstantIndexOp::create(lb, loc, 2))
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
    auto fillPanel = [&](OpBuilder &cb, Value panel, Value blk0, int64_t cols) {
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
                  ValueRange{row, arith::ConstantIndexOp::create(lb, loc,
                                                                 c * kLanes)});
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

void F32Kernels::rewrite(RewriterBase &rewriter, linalg::BatchMatmulOp op) {
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
              ValueRange{bt, rowIdx[r], colIdx[c]}, ArrayRef<bool>{fullBlocks});
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

namespace {
/// An f32 matmul or NHWC/HWCF convolution with constant weights, or a
/// batched matmul of activations, as a kernel.
template <typename OpT> struct F32Pattern : OpRewritePattern<OpT> {
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
