//===- WeightOnlyMatmul.cpp - f32 x int2/4/8 weight-only matmuls ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-weight-only-matmul gives weight-only layers (`linalg.matmul` of f32
// activations with `qnt.dequantize` of constant i8 or i4 weights, per tensor
// or per output channel or per block along K, with or without zero points)
// a kernel that reads the stored integers and dequantizes them in registers
// (docs/Codegen.md):
//
//   i8: packed[u][k][j] = q[k][16 u + j]                         (16 columns)
//   i4: packed[u][k][j] = q[k][32 u + j] | q[k][32 u + 16 + j] << 4
//                                                           (32 columns)
//   i2: packed[u][k][j] = q[k][64 u + j] | q[k][64 u + 16 + j] << 2
//                         | q[k][64 u + 32 + j] << 4 | q[k][64 u + 48 + j] << 6
//                                                           (64 columns)
//
// Per k and unit: one 16-byte load; for i4 and i2, after one sign extension
// to i32, field i of b bits (shift left by 32 - b (i + 1), arithmetic shift
// right by 32 - b) is column block i; convert to f32 and fma with the
// broadcast activation; the per-channel scale multiplies the sums once at the
// end (sum_k a q s = s sum_k a q), then the layer's init is added. The weights
// stream from memory at 1/4 (i8) or 1/8 (i4) of f32's bytes.
//
// Per-block weights (blocks of B rows of K, the last one shorter when B
// does not divide K, as ONNX's MatMulNBits and llama.cpp's Q4 formats) run
// the k loop once per block into fresh accumulators, which are scaled by
// the block's scales and added to the running sums
// (sum_g s_g sum_{k in g} a_k (q_k - z_g)). Zero points (asymmetric
// weights, per channel or per block) are subtracted from the converted
// weights in registers, once per weight vector and shared by the tile's
// rows.
//
// Float weights whose codes are integers in i8 once multiplied by a power
// of two f (numerics::getInt8CodeFactor: f4E2M1FN x 2, f6E2M3FN x 8, the
// OCP MXFP4 and MXFP6 elements) take the i8 kernel as the integers f x code
// with scales s / f: the same values, at a byte per weight.
//
//===----------------------------------------------------------------------===//

#include "Epilogue.h"
#include "KernelLoops.h"
#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
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
#define GEN_PASS_DEF_QNTWEIGHTONLYMATMUL
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {
constexpr int64_t kLanes = 16;

struct Matched {
  linalg::MatmulOp op;
  std::vector<int8_t> q; // [K][N] stored integers
  // [groups][N]: the scale and zero point of (block g, column n); one group
  // of K rows unless per block.
  std::vector<float> scales, zeroPoints;
  int64_t k, n;
  int64_t group; // rows of K per block (K unless per block)
  unsigned bits; // 8, 4 or 2
  bool hasZeroPoints;
};

/// The stored integers of an i8/i4 weight constant, unpacked from
/// qnt.dequantize's packed layout (packSubByte) when `packed`.
static std::optional<std::vector<int8_t>>
unpack(DenseElementsAttr stored, RankedTensorType storedType, bool packed) {
  if (packed) {
    std::optional<DenseElementsAttr> values = unpackSubByte(stored, storedType);
    if (!values)
      return std::nullopt;
    stored = *values;
  }
  std::vector<int8_t> out;
  for (APInt v : stored.getValues<APInt>())
    out.push_back(static_cast<int8_t>(v.getSExtValue()));
  return out;
}

static std::optional<Matched> match(linalg::MatmulOp op) {
  auto aType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  // The maps first: a broadcast (rank-1) activation has no dimension 1.
  if (!aType || !outType ||
      op.getIndexingMapsArray() !=
          linalg::MatmulOp::getDefaultIndexingMaps(op.getContext()) ||
      !aType.getElementType().isF32() || !outType.getElementType().isF32() ||
      aType.isDynamicDim(1))
    return std::nullopt;
  auto dq = op.getInputs()[1].getDefiningOp<qnt::DequantizeOp>();
  if (!dq)
    return std::nullopt;
  qnt::ParamsAttr params = dq.getParams();
  auto storage = params.getStorageKind();
  // Float codes that are integers in i8 once multiplied by a power of two
  // (f4E2M1FN: 2, f6E2M3FN: 8; MXFP4 and MXFP6 weights) run on the i8
  // kernel with their scales divided by it: the same values.
  std::optional<int64_t> codeFactor = numerics::getInt8CodeFactor(storage);
  unsigned bits = storage == numerics::StorageKind::I4                 ? 4
                  : storage == numerics::StorageKind::I2               ? 2
                  : storage == numerics::StorageKind::I8 || codeFactor ? 8
                                                                       : 0;
  numerics::Granularity granularity = params.getGranularity();
  // Per tensor, per output channel (axis 1) or per block along K (axis 0).
  if (!bits ||
      params.hasMinValues() ||
      !(granularity.isPerTensor() ||
        (granularity.isPerChannel() && granularity.axis == 1) ||
        (granularity.isPerBlock() && granularity.axis == 0)))
    return std::nullopt;
  DenseElementsAttr stored;
  if (dq.getPackedFlat() || !matchPattern(dq.getInput(), m_Constant(&stored)))
    return std::nullopt;
  auto wType = cast<RankedTensorType>(dq.getResult().getType());
  Matched m;
  m.op = op;
  m.k = wType.getDimSize(0);
  m.n = wType.getDimSize(1);
  m.bits = bits;
  std::optional<std::vector<int8_t>> q;
  if (codeFactor) {
    if (dq.getPacked())
      return std::nullopt;
    q.emplace();
    std::vector<int8_t> codes = numerics::getInt8CodeTable(storage);
    for (APFloat v : stored.getValues<APFloat>())
      q->push_back(codes[v.bitcastToAPInt().getZExtValue()]);
  } else {
    q = unpack(stored,
               RankedTensorType::get(wType.getShape(),
                                     IntegerType::get(op.getContext(), bits)),
               dq.getPacked());
  }
  if (!q || static_cast<int64_t>(q->size()) != m.k * m.n)
    return std::nullopt;
  m.q = std::move(*q);
  m.group = granularity.isPerBlock() ? granularity.blockSize : m.k;
  int64_t groups = numerics::getNumBlocks(m.k, m.group);
  ArrayRef<int64_t> zps = params.getZeroPoints().asArrayRef();
  m.hasZeroPoints = llvm::any_of(zps, [](int64_t z) { return z != 0; });
  ArrayRef<int64_t> shape = wType.getShape();
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t col = 0; col < m.n; ++col) {
      int64_t index[2] = {g * m.group, col};
      size_t p = numerics::getParamIndex(shape, index, granularity);
      m.scales.push_back(params.getScales()[p] /
                         static_cast<float>(codeFactor.value_or(1)));
      m.zeroPoints.push_back(zps.empty() ? 0.0f : float(zps[p]));
    }
  return m;
}

/// The weight-only kernels of one rewrite; column groups across threads
/// when `parallel`.
struct WeightOnlyKernels {
  bool parallel = false;
  /// With `parallel`, the threads the column groups are shared among (one
  /// panel each); 1: unknown, the kernel streams.
  int64_t threads = 1;
  /// With `parallel`, the multiply-adds below which a matmul runs on one
  /// thread (-1: kMinParallelDotsF32).
  int64_t minParallelDots = -1;

  void rewrite(RewriterBase &rewriter, Matched &mm) {
    linalg::MatmulOp op = mm.op;
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx), i8 = IntegerType::get(ctx, 8);
    int64_t k = mm.k, n = mm.n;
    // A unit is what one 16-byte load holds: 16 columns (i8), 32 (i4) or
    // 64 (i2).
    int64_t perUnit = 8 / mm.bits; // column blocks per unit
    int64_t unitCols = kLanes * perUnit;
    int64_t nUnits = (n + unitCols - 1) / unitCols;
    int64_t nBlocks = nUnits * perUnit;
    int64_t blockBytes = kLanes;
    std::vector<int8_t> packed(nUnits * k * blockBytes, 0);
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col) {
        int8_t v = mm.q[row * n + col];
        int64_t unit = col / unitCols, j = col % unitCols;
        int64_t base = (unit * k + row) * blockBytes;
        if (mm.bits == 8) {
          packed[base + j] = v;
        } else {
          uint8_t field = static_cast<uint8_t>(v) & ((1u << mm.bits) - 1);
          uint8_t &byte = reinterpret_cast<uint8_t &>(packed[base + j % kLanes]);
          byte |= static_cast<uint8_t>(field << (mm.bits * (j / kLanes)));
        }
      }
    // [groups][column block][16]: 0 beyond N.
    int64_t groups = numerics::getNumBlocks(k, mm.group);
    std::vector<float> scales(groups * nBlocks * kLanes, 0.0f),
        zeroPoints(groups * nBlocks * kLanes, 0.0f);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t col = 0; col < n; ++col) {
        scales[g * nBlocks * kLanes + col] = mm.scales[g * n + col];
        zeroPoints[g * nBlocks * kLanes + col] = mm.zeroPoints[g * n + col];
      }

    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    OpBuilder &ob = rewriter;
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<Value> dynSizes;
    if (outType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(ob, loc, op.getInputs()[0], 0));
    // The packed weights and the scales are constants (bufferization makes
    // them globals); the layer's init is added to the scaled sums; the
    // result is a fresh tensor.
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(
        DenseElementsAttr::get(RankedTensorType::get({nUnits, k, blockBytes}, i8),
                               llvm::ArrayRef<int8_t>(packed)));
    auto paramsType = RankedTensorType::get({groups, nBlocks, kLanes}, f32);
    Value sc = kernel.addConstant(
        DenseElementsAttr::get(paramsType, llvm::ArrayRef<float>(scales)));
    Value zp = mm.hasZeroPoints
                   ? kernel.addConstant(DenseElementsAttr::get(
                         paramsType, llvm::ArrayRef<float>(zeroPoints)))
                   : Value();
    Value a = kernel.addStridedInput(op.getInputs()[0]);
    // A zero fill (or any uniform init) is a constant in the kernel instead
    // of a buffer that would be filled on every call to be read once.
    AccumulatorInit init(kernel, loc, op.getOutputs()[0]);
    Value out = kernel.addFreshOutput(outType, dynSizes);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value m = memref::DimOp::create(b, loc, a, 0);
    auto vec = VectorType::get({kLanes}, f32);
    Value zeroVec = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec, b.getF32FloatAttr(0.0f)));
    // Every block of every unit lies inside N (else loads and stores mask).
    bool fullBlocks = n % unitCols == 0;

    // The weights of unit `unit` at row `kk`, as f32 (not yet scaled): one
    // vector per column block of the unit.
    auto loadWeights = [&](OpBuilder &lb, Value unit, Value kk) {
      auto v16 = VectorType::get({kLanes}, i8);
      Value raw = vector::LoadOp::create(lb, loc, v16, w, ValueRange{unit, kk, c0});
      SmallVector<Value> blocks;
      if (mm.bits == 8) {
        blocks.push_back(arith::SIToFPOp::create(lb, loc, vec, raw));
        return blocks;
      }
      // Fields are unpacked after one sign extension to i32 (x86 has no
      // byte shifts): field i is (x << (32 - b (i + 1))) >> (32 - b),
      // arithmetic; the top field needs only the right shift.
      auto v16i32 = VectorType::get({kLanes}, lb.getI32Type());
      Value wide = arith::ExtSIOp::create(lb, loc, v16i32, raw);
      auto shift = [&](int32_t v) {
        return arith::ConstantOp::create(
            lb, loc, DenseElementsAttr::get(v16i32, lb.getI32IntegerAttr(v)));
      };
      int32_t b = mm.bits;
      for (int64_t i = 0; i < perUnit; ++i) {
        Value field =
            i + 1 == perUnit
                ? arith::ShRSIOp::create(lb, loc, wide, shift(b * i)).getResult()
                : arith::ShRSIOp::create(
                      lb, loc,
                      arith::ShLIOp::create(lb, loc, wide, shift(32 - b * (i + 1))),
                      shift(32 - b))
                      .getResult();
        blocks.push_back(arith::SIToFPOp::create(lb, loc, vec, field));
      }
      return blocks;
    };

    // rows x `units` units (units * perUnit column blocks) of accumulators.
    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value unit0,
                        int64_t units) {
      int64_t cols = units * perUnit; // column blocks
      SmallVector<Value> rowIdx, unitIdx, blkIdx, colIdx;
      for (int64_t r = 0; r < rows; ++r)
        rowIdx.push_back(offsetIndex(tb, loc, row0, r));
      for (int64_t u = 0; u < units; ++u)
        unitIdx.push_back(offsetIndex(tb, loc, unit0, u));
      Value firstBlock = arith::MulIOp::create(
          tb, loc, unit0, arith::ConstantIndexOp::create(tb, loc, perUnit));
      for (int64_t c = 0; c < cols; ++c) {
        blkIdx.push_back(offsetIndex(tb, loc, firstBlock, c));
        colIdx.push_back(arith::MulIOp::create(
            tb, loc, blkIdx[c], arith::ConstantIndexOp::create(tb, loc, kLanes)));
      }
      SmallVector<Value> start(rows * cols, zeroVec);
      // sum_{k in [k0, k1)} a_k (q_k - z) for the tile, z the block's zero
      // points (`zvs`, one vector per column block; empty: none).
      auto blockSums = [&](OpBuilder &gb, Value k0, Value k1,
                           ArrayRef<Value> zvs) {
        return scf::ForOp::create(
            gb, loc, k0, k1, c1, start,
            [&](OpBuilder &lb, Location, Value kk, ValueRange accs) {
              SmallVector<Value> wv;
              for (int64_t u = 0; u < units; ++u)
                wv.append(loadWeights(lb, unitIdx[u], kk));
              for (auto [c, z] : llvm::enumerate(zvs))
                wv[c] = arith::SubFOp::create(lb, loc, wv[c], z);
              SmallVector<SmallVector<Value>> aIdx;
              for (int64_t r = 0; r < rows; ++r)
                aIdx.push_back({rowIdx[r], kk});
              scf::YieldOp::create(lb, loc,
                                   accumulateRows(lb, loc, a, aIdx, wv, accs));
            });
      };
      auto loadParams = [&](OpBuilder &pb, Value from, Value g) {
        SmallVector<Value> v;
        for (int64_t c = 0; c < cols; ++c)
          v.push_back(
              vector::LoadOp::create(pb, loc, vec, from, ValueRange{g, blkIdx[c], c0}));
        return v;
      };
      // Per column block and row: the scaled sums over K.
      SmallVector<Value> totals;
      if (groups == 1) {
        SmallVector<Value> zvs;
        if (zp)
          zvs = loadParams(tb, zp, c0);
        auto loop = blockSums(tb, c0, arith::ConstantIndexOp::create(tb, loc, k),
                              zvs);
        SmallVector<Value> svs = loadParams(tb, sc, c0);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            totals.push_back(
                arith::MulFOp::create(tb, loc, loop.getResult(r * cols + c), svs[c]));
      } else {
        Value groupRows = arith::ConstantIndexOp::create(tb, loc, mm.group);
        Value kEnd = arith::ConstantIndexOp::create(tb, loc, k);
        auto outer = scf::ForOp::create(
            tb, loc, c0, arith::ConstantIndexOp::create(tb, loc, groups), c1,
            start, [&](OpBuilder &gb, Location, Value g, ValueRange sums) {
              Value k0 = arith::MulIOp::create(gb, loc, g, groupRows);
              Value k1 = arith::MinSIOp::create(
                  gb, loc, arith::AddIOp::create(gb, loc, k0, groupRows), kEnd);
              SmallVector<Value> zvs;
              if (zp)
                zvs = loadParams(gb, zp, g);
              auto inner = blockSums(gb, k0, k1, zvs);
              SmallVector<Value> svs = loadParams(gb, sc, g);
              SmallVector<Value> next;
              for (int64_t r = 0; r < rows; ++r)
                for (int64_t c = 0; c < cols; ++c)
                  next.push_back(vector::FMAOp::create(
                      gb, loc, inner.getResult(r * cols + c), svs[c],
                      sums[r * cols + c]));
              scf::YieldOp::create(gb, loc, next);
            });
        totals.assign(outer.getResults().begin(), outer.getResults().end());
      }
      for (int64_t c = 0; c < cols; ++c) {
        for (int64_t r = 0; r < rows; ++r) {
          Value base = init.read(tb, loc, vec, ValueRange{rowIdx[r], colIdx[c]},
                                 fullBlocks);
          Value scaled = totals[r * cols + c];
          Value sum = arith::AddFOp::create(tb, loc, base, scaled);
          vector::TransferWriteOp::create(tb, loc, sum, out,
                                          ValueRange{rowIdx[r], colIdx[c]},
                                          ArrayRef<bool>{fullBlocks});
        }
      }
    };

    // Per block, the running sums double the accumulators: half as many
    // column blocks per tile keep them all in registers.
    int64_t unitTile = std::max<int64_t>(1, kColTile / perUnit / (groups > 1 ? 2 : 1));

    // Many rows: per column tile, the weights are dequantized once into an
    // f32 panel [K][columns] (s (q - z), the reference's values), which every
    // row tile then reads as the fp32 kernel reads its packed weights: the
    // unpacking and scaling are paid once per column tile instead of once
    // per row tile.
    // One panel on the stack, reused by every column tile, or one per
    // thread (emitPanelTiles).
    // A long K in chunks, the panel holding one (KChunks: 128 x 11008 x
    // 1024 with a 2.75 MiB panel per column group ran at 0.42x fp32).
    int64_t maxUnits = std::max<int64_t>(1, kColTile / perUnit);
    KChunks chunks = getKChunks(k, maxUnits * perUnit * kLanes * 4);
    int64_t panelUnitTile = getPanelUnits(chunks.size, perUnit * kLanes,
                                          maxUnits, parallel, threads);
    bool usePanel = panelUnitTile > 0;
    int64_t panelCols = panelUnitTile * perUnit * kLanes;
    if (usePanel)
      allocateChunkPartials(b, loc, chunks, m, nUnits * perUnit * kLanes);
    else
      chunks = KChunks();
    auto fillPanel = [&](OpBuilder &cb, Value panel, Value unit0,
                         int64_t units) {
      int64_t cols = units * perUnit;
      SmallVector<Value> unitIdx, blkIdx;
      for (int64_t u = 0; u < units; ++u)
        unitIdx.push_back(offsetIndex(cb, loc, unit0, u));
      Value firstBlock = arith::MulIOp::create(
          cb, loc, unit0, arith::ConstantIndexOp::create(cb, loc, perUnit));
      for (int64_t c = 0; c < cols; ++c)
        blkIdx.push_back(offsetIndex(cb, loc, firstBlock, c));
      Value groupRows = arith::ConstantIndexOp::create(cb, loc, mm.group);
      // Not a structured binding: the loop body's lambda captures them.
      Value begin, end;
      std::tie(begin, end) = chunks.bounds(cb, loc, k);
      scf::ForOp::create(
          cb, loc, begin, end, c1, ValueRange{},
          [&](OpBuilder &lb, Location, Value kk, ValueRange) {
            Value row = arith::SubIOp::create(lb, loc, kk, begin);
            SmallVector<Value> wv;
            for (int64_t u = 0; u < units; ++u)
              wv.append(loadWeights(lb, unitIdx[u], kk));
            Value g = groups == 1 ? c0
                                  : arith::DivUIOp::create(lb, loc, kk, groupRows)
                                        .getResult();
            for (int64_t c = 0; c < cols; ++c) {
              Value v = wv[c];
              if (zp)
                v = arith::SubFOp::create(
                    lb, loc, v,
                    vector::LoadOp::create(lb, loc, vec, zp,
                                           ValueRange{g, blkIdx[c], c0}));
              v = arith::MulFOp::create(
                  lb, loc, v,
                  vector::LoadOp::create(lb, loc, vec, sc,
                                         ValueRange{g, blkIdx[c], c0}));
              vector::StoreOp::create(
                  lb, loc, v, panel,
                  ValueRange{row, arith::ConstantIndexOp::create(lb, loc,
                                                                 c * kLanes)});
            }
            scf::YieldOp::create(lb, loc);
          });
    };
    auto panelTile = [&](OpBuilder &tb, Value panel, Value row0, int64_t rows,
                         Value unit0, int64_t units) {
      int64_t cols = units * perUnit;
      SmallVector<Value> rowIdx, colIdx, panelCol;
      for (int64_t r = 0; r < rows; ++r)
        rowIdx.push_back(offsetIndex(tb, loc, row0, r));
      Value firstBlock = arith::MulIOp::create(
          tb, loc, unit0, arith::ConstantIndexOp::create(tb, loc, perUnit));
      for (int64_t c = 0; c < cols; ++c) {
        colIdx.push_back(arith::MulIOp::create(
            tb, loc, offsetIndex(tb, loc, firstBlock, c),
            arith::ConstantIndexOp::create(tb, loc, kLanes)));
        panelCol.push_back(arith::ConstantIndexOp::create(tb, loc, c * kLanes));
      }
      SmallVector<SmallVector<Value, 2>> positions;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          positions.push_back({rowIdx[r], colIdx[c]});
      SmallVector<Value> start =
          chunks.start(tb, loc, vec, positions, [&](OpBuilder &) {
            return SmallVector<Value>(rows * cols, zeroVec);
          });
      Value begin, end;
      std::tie(begin, end) = chunks.bounds(tb, loc, k);
      auto loop = scf::ForOp::create(
          tb, loc, begin, end, c1, start,
          [&](OpBuilder &lb, Location, Value kk, ValueRange accs) {
            Value row = arith::SubIOp::create(lb, loc, kk, begin);
            SmallVector<Value> wv;
            for (int64_t c = 0; c < cols; ++c)
              wv.push_back(vector::LoadOp::create(
                  lb, loc, vec, panel, ValueRange{row, panelCol[c]}));
            SmallVector<SmallVector<Value>> aIdx;
            for (int64_t r = 0; r < rows; ++r)
              aIdx.push_back({rowIdx[r], kk});
            scf::YieldOp::create(lb, loc,
                                 accumulateRows(lb, loc, a, aIdx, wv, accs));
          });
      chunks.finish(tb, loc, loop.getResults(), positions,
                    [&](OpBuilder &fb, ValueRange sums) {
                      for (auto [v, at] : llvm::zip_equal(sums, positions)) {
                        Value base = init.read(fb, loc, vec, at, fullBlocks);
                        Value sum = arith::AddFOp::create(fb, loc, base, v);
                        vector::TransferWriteOp::create(
                            fb, loc, sum, out, at, ArrayRef<bool>{fullBlocks});
                      }
                    });
    };
    // Small matmuls (a few rows) run without threads.
    int64_t serialBelowRows =
        rowsForThreads(k * n, minParallelDots, kMinParallelDotsF32);
    if (!usePanel)
      emitColumnMajorTiles(b, loc, m, nUnits, unitTile, parallel, emitTile,
                           nullptr, 0, serialBelowRows);
    else
      emitPanelTiles(b, loc, m, nUnits, panelUnitTile, k, panelCols, parallel,
                     threads, fillPanel, panelTile, unitTile, emitTile,
                     serialBelowRows, &chunks);
    Operation *dq = op.getInputs()[1].getDefiningOp();
    rewriter.replaceOp(op, kernel.finish());
    if (dq && dq->use_empty())
      rewriter.eraseOp(dq);
  }
};

struct WeightOnlyMatmulPattern : OpRewritePattern<linalg::MatmulOp> {
  WeightOnlyMatmulPattern(MLIRContext *ctx, bool parallel, int64_t threads,
                          int64_t minParallelDots)
      : OpRewritePattern(ctx), kernels{parallel, threads, minParallelDots} {}
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<Matched> m = match(op);
    if (!m)
      return rewriter.notifyMatchFailure(
          op, "not an f32 matmul on dequantized constant i8/i4 weights");
    WeightOnlyKernels(kernels).rewrite(rewriter, *m);
    return success();
  }
  WeightOnlyKernels kernels;
};

struct QntWeightOnlyMatmulPass
    : quantopt::impl::QntWeightOnlyMatmulBase<QntWeightOnlyMatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntWeightOnlyMatmulPatterns(patterns, parallel, threads,
                                        minParallelDots);
    if (failed(applyKernelPatterns(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntWeightOnlyMatmulPatterns(RewritePatternSet &patterns,
                                                   bool parallel,
                                                   int64_t threads,
                                                   int64_t minParallelDots) {
  patterns.add<WeightOnlyMatmulPattern>(patterns.getContext(), parallel,
                                        threads, minParallelDots);
}
