//===- BlockMatmul.cpp - Group-wise int4/int8 x int8 matmuls on VNNI ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-block-matmul gives `qnt.contract`'s block form (per-block weights, as
// llama.cpp's Q4_0 x Q8_0 and ONNX Runtime's MatMulNBits with int8
// activations) a VNNI kernel (docs/Codegen.md). It matches the typed op, so
// it runs before convert-qnt-to-linalg.
//
// vpdpbusd multiplies unsigned bytes with signed ones. Here the *weights*
// are the unsigned operand: they are stored as u = q_w + c_w in [0, 255]
// (c_w = 8 for i4, 128 for i8, 0 for u4 and u8), packed in vpdpbusd's order
// as qnt-vnni-matmul packs them (4-bit values as nibbles, unpacked with two
// masks, one shift and one concatenation; MXFP6 E2M3 codes as bytes of the
// integers f * value the op reads, c_w = 128; MXFP4 / NVFP4 codes as nibbles
// that qnt_x86.lookup_bytes turns into 2 * value + 12, c_w = 12), and the
// activations
// are the signed operand: x' = q_x (i8) or q_x - 128 (u8, xor 0x80),
// broadcast four bytes at a time. Per block g of B rows of K (B % 4 == 0, so
// that no group of four straddles two blocks) and output column n:
//
//   dot_g  = sum_{k in g} u[k][n] x'_k                   (vpdpbusd, fresh
//                                                          accumulators)
//   isum_g = dot_g - t[g][n] R_g - e_x W_g[n]
//          = sum_{k in g} (q_x - z_x)(q_w - z_w[g][n])   (exactly, in i32)
//
// with t = c_w + z_w (a constant per block, or c_w alone without zero
// points), R_g = sum_{k in g} x'_k (per row and block, computed once per
// call into a buffer), e_x = z_x (i8) or z_x - 128 (u8) and W_g[n] =
// sum_{k in g} (q_w - z_w) (compile-time sums; the term is left out when
// z_x is known to be 0: symmetric i8 activations). Then, as the op states,
//
//   y = fma(float(isum_g), s_x[g] * s_w[g][n], y)
//
// over the blocks in order, the running sums in registers: the reference
// lowering's bits. Tiles are rows x column blocks of 16 lanes.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "KernelLoops.h"
#include "VnniMatch.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTBLOCKMATMUL
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

namespace {

/// Column blocks per register tile: rows x cols i32 accumulators and as
/// many f32 running sums stay in registers, with a weight vector per
/// column. With tiles of kRowTile rows, 2 columns (8 + 8 + 2 registers);
/// below kRowTile rows (decode), 4 (at most 3 x 4 x 2 + 4), which keeps
/// more weight streams in flight.
constexpr int64_t kBlockColTile = 2;
constexpr int64_t kBlockColTileFewRows = 4;
/// How far ahead decode tiles prefetch each weight stream. A core keeps
/// enough lines in flight to reach DRAM's bandwidth only when the four
/// streams are prefetched 2-3 KB ahead each (W4A8 g128, 1 x 16384 x 8192,
/// one thread, compiled ahead of time and timed interleaved with a cache
/// eviction before each call: 0.76-0.87 of the time 512 bytes ahead took,
/// 4 KB 0.87-0.93). Interleaving the tile's four streams into one
/// sequential stream was 1.3-1.4x slower: a single stream reads at about
/// half the bandwidth of four on this project's machines.
constexpr int64_t kPrefetchBytes = 2048;
/// From this many rows on, 4-bit weights are unpacked once per column
/// group into a panel the row tiles share.
constexpr int64_t kPanelRows = 16;

/// What the kernel takes from a block-form qnt.contract.
struct Matched {
  qnt::ContractOp op;
  int64_t k, n, block, groups;
  bool nibbles;       // 4-bit weights
  /// Packed MXFP4 (f4E2M1FN) codes: the nibbles are codes, and the byte
  /// vpdpbusd reads for code c is codeBytes[c] = f * value(c) + c_w.
  std::optional<std::array<int8_t, 16>> codeBytes;
  bool unsignedInput; // u8 activations (x' = q_x xor 0x80)
  /// The stored weights u = q_w + c_w (the codes for packed MXFP4), [K][N].
  std::vector<uint8_t> stored;
  int64_t cw;
  bool weightZeroPoints;
  /// t[g][n] = c_w + z_w and W_g[n] = sum_{k in g} (q_w - z_w), [G][N];
  /// scales s_w[g][n].
  std::vector<int32_t> t, colSums;
  std::vector<float> scales;
  /// The input's zero point is known to be 0 with i8 storage (e_x = 0).
  bool noInputCorrection;
};

/// Whether the zero points `zx` of a dynamic input are 0: produced by a
/// symmetric (MX, NVFP4) qnt.dynamic_quantize to signed storage, or a zero
/// constant, possibly through the reshapes and slices of an im2col (a
/// convolution's block form: windows inserted into an empty tensor).
static bool isZeroPoint0(Value zx) {
  if (auto collapse = zx.getDefiningOp<tensor::CollapseShapeOp>())
    return isZeroPoint0(collapse.getSrc());
  if (auto extract = zx.getDefiningOp<tensor::ExtractSliceOp>())
    return isZeroPoint0(extract.getSource());
  if (auto insert = zx.getDefiningOp<tensor::InsertSliceOp>())
    return isZeroPoint0(insert.getSource()) &&
           (insert.getDest().getDefiningOp<tensor::EmptyOp>() ||
            isZeroPoint0(insert.getDest()));
  if (auto dq = zx.getDefiningOp<qnt::DynamicQuantizeOp>()) {
    std::optional<num::StorageKind> kind = qnt::getStorageKindOf(dq.getStorage());
    return zx == dq.getZeroPoints() &&
           dq.getScheme() != qnt::DynamicScheme::asymmetric && kind &&
           num::isSignedStorage(*kind);
  }
  return matchPattern(zx, m_Zero());
}

/// Why `op` gets no kernel, or the match.
static FailureOr<Matched> match(qnt::ContractOp op, std::string &why) {
  int64_t block = op.getWeightBlockSize();
  if (block <= 0) {
    why = "not per-block weights";
    return failure();
  }
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto xType = cast<RankedTensorType>(op.getInput().getType());
  if (op.getInputMap() != AffineMap::get(3, 0, {m, k}, ctx) ||
      op.getWeightMap() != AffineMap::get(3, 0, {k, n}, ctx) ||
      op.getResultMap() != AffineMap::get(3, 0, {m, n}, ctx) ||
      xType.isDynamicDim(1)) {
    why = "only 2-D matmuls (input [M][K] with a static K, weight [K][N]) "
          "are taken";
    return failure();
  }
  if (block % 4) {
    why = "the block size is not a multiple of 4";
    return failure();
  }
  DenseElementsAttr weights;
  if (!matchPattern(op.getWeight(), m_Constant(&weights))) {
    why = "the weight is not a constant";
    return failure();
  }
  num::StorageKind wKind = op.getWeightStorageKind(),
                   xKind = op.getInputStorageKind();
  // MX float codes (f4E2M1FN, f6E2M3FN) are the signed integers
  // f * value(code), stored as bytes.
  bool floatCodes = num::isFloatStorage(wKind);
  bool wSigned = floatCodes || num::isSignedStorage(wKind);
  unsigned bits =
      floatCodes ? 8 : weights.getElementType().getIntOrFloatBitWidth();
  if ((bits != 4 && bits != 8) ||
      (xKind != num::StorageKind::I8 && xKind != num::StorageKind::U8)) {
    why = "only 4- and 8-bit weights with i8 or u8 activations are taken";
    return failure();
  }
  if (op.getInputParamsAttr() &&
      op.getInputParamsAttr().getScales().size() != 1) {
    why = "static input parameters are not per tensor";
    return failure();
  }
  Matched mm;
  mm.op = op;
  mm.block = block;
  // MXFP4 codes stay packed, two per byte; a 16-entry table
  // (qnt_x86.lookup_bytes) gives their integers plus c_w = 12, in [0, 24].
  bool fp4 = wKind == num::StorageKind::F4E2M1FN;
  mm.nibbles = bits == 4 || fp4;
  mm.unsignedInput = xKind == num::StorageKind::U8;
  auto wType = cast<RankedTensorType>(weights.getType());
  mm.k = wType.getDimSize(0);
  mm.n = wType.getDimSize(1);
  mm.groups = num::getNumBlocks(mm.k, block);
  mm.cw = fp4 ? 12 : wSigned ? (1 << (bits - 1)) : 0;
  // The integers of float codes, once per code (not per element).
  std::vector<int8_t> codeInts;
  if (floatCodes)
    codeInts = num::getInt8CodeTable(wKind);
  if (fp4) {
    mm.codeBytes.emplace();
    for (unsigned code = 0; code < 16; ++code)
      (*mm.codeBytes)[code] = static_cast<int8_t>(codeInts[code] + mm.cw);
  }
  qnt::ParamsAttr wp = op.getWeightParamsAttr();
  ArrayRef<int64_t> zps = wp.getZeroPoints().asArrayRef();
  mm.weightZeroPoints = llvm::any_of(zps, [](int64_t z) { return z != 0; });
  // The parameters are [G][N] (the weight's shape with K counted in
  // blocks, row-major).
  SmallVector<float> scales = op.getWeightIntegerScales();
  mm.scales.assign(scales.begin(), scales.end());
  std::vector<int64_t> zw(mm.groups * mm.n, 0);
  for (auto [i, z] : llvm::enumerate(zps))
    zw[i] = z;
  mm.t.resize(mm.groups * mm.n);
  for (int64_t i = 0; i < mm.groups * mm.n; ++i)
    mm.t[i] = static_cast<int32_t>(mm.cw + zw[i]);
  mm.colSums.assign(mm.groups * mm.n, 0);
  mm.stored.reserve(mm.k * mm.n);
  int64_t flat = 0;
  auto visit = [&](const APInt &v) {
    int64_t q = floatCodes ? codeInts[v.getZExtValue()]
                : wSigned  ? v.getSExtValue()
                           : static_cast<int64_t>(v.getZExtValue());
    int64_t row = flat / mm.n, col = flat % mm.n;
    int64_t p = (row / block) * mm.n + col;
    mm.stored.push_back(mm.codeBytes ? static_cast<uint8_t>(v.getZExtValue())
                                     : static_cast<uint8_t>(q + mm.cw));
    mm.colSums[p] += static_cast<int32_t>(q - zw[p]);
    ++flat;
  };
  if (floatCodes)
    for (APFloat v : weights.getValues<APFloat>())
      visit(v.bitcastToAPInt());
  else
    for (APInt v : weights.getValues<APInt>())
      visit(v);
  mm.noInputCorrection =
      !mm.unsignedInput &&
      (op.isDynamic() ? isZeroPoint0(op.getInputZeroPoints())
                      : op.getInputParamsAttr().getZeroPoint(0) == 0);
  return mm;
}

/// Whether `v` is a positive normal IEEE half-precision value: one that
/// the f16 scales of --qnt-quantize weight-scale=f16 leave as it is.
static bool isPositiveNormalHalf(float v) {
  return v > 0.0f && num::roundScaleToHalf(v) == v;
}

/// The 16 bits of `v`, a half-precision value.
static int16_t toHalfBits(float v) {
  APFloat h(v);
  bool losesInfo = false;
  (void)h.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
  return static_cast<int16_t>(h.bitcastToAPInt().getZExtValue());
}

/// `values` ([G][N]) as [ceil(N/L)][G][L], zero beyond N: the parameters of
/// a column block are contiguous over the blocks of K.
template <typename T>
static std::vector<T> byColumnBlock(ArrayRef<T> values, int64_t groups,
                                    int64_t n, int64_t lanes) {
  int64_t nb = (n + lanes - 1) / lanes;
  std::vector<T> out(nb * groups * lanes, T(0));
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t col = 0; col < n; ++col)
      out[((col / lanes) * groups + g) * lanes + col % lanes] =
          values[g * n + col];
  return out;
}

struct BlockKernels {
  int64_t kLanes = 16;
  bool parallel = false;
  /// With `parallel`, the threads the column groups are shared among (one
  /// panel of unpacked weights each); 1: unknown, no panels with threads.
  int64_t threads = 1;

  void rewrite(RewriterBase &rewriter, const Matched &mm) {
    qnt::ContractOp op = mm.op;
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = Float32Type::get(ctx), i8 = IntegerType::get(ctx, 8),
         i32 = IntegerType::get(ctx, 32);
    int64_t k = mm.k, n = mm.n, groups = mm.groups, block = mm.block;
    int64_t nBlocks = (n + kLanes - 1) / kLanes, k4 = (k + 3) / 4;
    int64_t kFull = k / 4, perBlock = block / 4;
    // Groups of four per kPrefetchBytes of one column block's weights.
    int64_t prefetchGroups = std::max<int64_t>(
        1, kPrefetchBytes / (kLanes * (mm.nibbles ? 2 : 4)));
    // Whole blocks (B rows of K each; a last, shorter block follows when
    // B does not divide K).
    int64_t wholeGroups = k / block;
    bool fullCols = n % kLanes == 0;

    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    OpBuilder &ob = rewriter;
    auto outType = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<Value> dynSizes;
    if (outType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(ob, loc, op.getInput(), 0));
    KernelBuilder kernel(ob, loc);
    OpBuilder &b = kernel.getBody();
    Value w = kernel.addConstant(
        packVnniOrder(ctx, mm.stored, k, n, kLanes, mm.nibbles, 0));
    auto paramType = [&](Type element) {
      return RankedTensorType::get({nBlocks, groups, kLanes}, element);
    };
    // Scales that are all positive normal f16 values (llama.cpp's and
    // MatMulNBits' fp16 block scales, `--qnt-quantize weight-scale=f16`)
    // are stored as their 16 bits: 2 bytes per block and 16 columns
    // fewer to stream at decode (W4A8 g32: 4.5 bits per weight instead of
    // 5). The kernel widens them exactly with integer operations
    // (f32 bits = (h << 13) + ((127 - 15) << 23) for a normal h), which
    // every x86 level has (vcvtph2ps needs F16C; the portable path and
    // `quant-compile --cpu=x86-64` do not).
    std::vector<float> swValues =
        byColumnBlock<float>(mm.scales, groups, n, kLanes);
    bool f16Scales = llvm::all_of(mm.scales, isPositiveNormalHalf);
    Value sw;
    if (f16Scales) {
      std::vector<int16_t> halves;
      halves.reserve(swValues.size());
      // Padding past N: +0 as 0x0000 (widens to 2^-15; its lanes are
      // never stored).
      for (float v : swValues)
        halves.push_back(toHalfBits(v));
      sw = kernel.addConstant(DenseElementsAttr::get(
          paramType(IntegerType::get(ctx, 16)), ArrayRef<int16_t>(halves)));
    } else {
      sw = kernel.addConstant(
          DenseElementsAttr::get(paramType(f32), ArrayRef<float>(swValues)));
    }
    Value tTable;
    if (mm.weightZeroPoints) {
      std::vector<int32_t> t =
          byColumnBlock<int32_t>(mm.t, groups, n, kLanes);
      std::vector<int8_t> bytes(t.begin(), t.end()); // in [0, 255]
      tTable = kernel.addConstant(
          DenseElementsAttr::get(paramType(i8), ArrayRef<int8_t>(bytes)));
    }
    Value wSums;
    if (!mm.noInputCorrection)
      wSums = kernel.addConstant(DenseElementsAttr::get(
          paramType(i32), ArrayRef<int32_t>(byColumnBlock<int32_t>(
                              mm.colSums, groups, n, kLanes))));
    Value x = kernel.addStridedInput(op.getInput());
    Value sx, zx;
    unsigned paramRank = 0;
    if (op.isDynamic()) {
      auto sType = cast<RankedTensorType>(op.getInputScales().getType());
      paramRank = sType.getRank();
      auto addParam = [&](Value v) {
        auto type = cast<RankedTensorType>(v.getType());
        return paramRank ? kernel.addStridedInput(v)
                         : kernel.addInput(v, KernelBuilder::identity(type));
      };
      sx = addParam(op.getInputScales());
      if (!mm.noInputCorrection)
        zx = addParam(op.getInputZeroPoints());
    }
    Value out = kernel.addFreshOutput(outType, dynSizes);

    auto cIdx = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantIndexOp::create(cb, loc, v).getResult();
    };
    auto cI32 = [&](OpBuilder &cb, int64_t v) {
      return arith::ConstantOp::create(
                 cb, loc, cb.getI32IntegerAttr(static_cast<int32_t>(v)))
          .getResult();
    };
    Value c0 = cIdx(b, 0), c1 = cIdx(b, 1);
    Value m = memref::DimOp::create(b, loc, x, 0);
    auto acc = VectorType::get({kLanes}, i32);
    auto fvec = VectorType::get({kLanes}, f32);
    auto bytes = VectorType::get({kLanes * 4}, i8);
    Value zeroAcc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(acc, b.getI32IntegerAttr(0)));
    Value zeroF = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(fvec, b.getF32FloatAttr(0.0f)));
    // Activation padding past K: a byte that is 0 as x' (0x80 before the
    // xor of u8 activations); the padded weights are 0 too.
    Value padByte = arith::ConstantOp::create(
        b, loc, b.getI8IntegerAttr(mm.unsignedInput ? -128 : 0));

    // R[row][g] = sum_{k in g} x'_k, once per call (the deallocation
    // pipeline frees the buffer).
    Value rowSums = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, groups}, i32),
        ValueRange{m});
    {
      auto blockBytes = VectorType::get({block}, i8);
      auto blockWide = VectorType::get({block}, i32);
      scf::ForOp::create(
          b, loc, c0, m, c1, ValueRange{},
          [&](OpBuilder &rb, Location, Value row, ValueRange) {
            scf::ForOp::create(
                rb, loc, c0, cIdx(rb, groups), c1, ValueRange{},
                [&](OpBuilder &gb, Location, Value g, ValueRange) {
                  Value k0 = arith::MulIOp::create(gb, loc, g, cIdx(gb, block));
                  Value v = vector::TransferReadOp::create(
                      gb, loc, blockBytes, x, ValueRange{row, k0}, padByte,
                      ArrayRef<bool>{k % block == 0});
                  if (mm.unsignedInput)
                    v = arith::XOrIOp::create(
                        gb, loc, v,
                        arith::ConstantOp::create(
                            gb, loc,
                            DenseElementsAttr::get(blockBytes,
                                                   gb.getI8IntegerAttr(-128))));
                  Value wide = arith::ExtSIOp::create(gb, loc, blockWide, v);
                  Value sum = vector::ReductionOp::create(
                      gb, loc, vector::CombiningKind::ADD, wide);
                  memref::StoreOp::create(gb, loc, sum, rowSums,
                                          ValueRange{row, g});
                  scf::YieldOp::create(gb, loc);
                });
            scf::YieldOp::create(rb, loc);
          });
    }

    // Many rows (prefill) with 4-bit weights: per column group, the nibbles
    // are unpacked once into a panel of bytes [groups of four][cols * 4L],
    // which every row tile reads (set while the panel path is built).
    Value panel;
    // The 4L weight bytes u of column c of the tile (column block `blk`) and
    // a group of four: 4-bit ones are 2L bytes, low nibbles then high
    // nibbles, or the panel's bytes.
    auto loadWeights = [&](OpBuilder &lb, int64_t c, Value blk,
                           Value kGroup) -> Value {
      if (panel)
        return vector::LoadOp::create(lb, loc, bytes, panel,
                                      ValueRange{kGroup, cIdx(lb, c * kLanes * 4)});
      if (!mm.nibbles)
        return vector::LoadOp::create(lb, loc, bytes, w,
                                      ValueRange{blk, kGroup, c0});
      Value raw = vector::LoadOp::create(
          lb, loc, VectorType::get({kLanes * 2}, i8), w,
          ValueRange{blk, kGroup, c0});
      Value nibbles = unpackNibbles(lb, loc, raw, kLanes);
      if (mm.codeBytes)
        return qnt_x86::LookupBytesOp::create(lb, loc, nibbles,
                                              ArrayRef<int8_t>(*mm.codeBytes));
      return nibbles;
    };
    // x'[row, kk .. kk + 3] broadcast to every lane; `masked` reads past K
    // as padding.
    auto broadcastX = [&](OpBuilder &nb, Value row, Value kk, bool masked) {
      return broadcastFourBytes(nb, loc, x, ValueRange{row, kk}, masked,
                                padByte, mm.unsignedInput, kLanes);
    };
    // An input parameter of `row` and block `g` (per tensor, per row or per
    // block).
    auto inputParam = [&](OpBuilder &pb, Value from, Value row, Value g) {
      SmallVector<Value> idx;
      if (paramRank >= 1)
        idx.push_back(row);
      if (paramRank == 2)
        idx.push_back(g);
      return memref::LoadOp::create(pb, loc, from, idx).getResult();
    };

    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value blk0,
                        int64_t cols) {
      SmallVector<Value> rowIdx, blkIdx;
      for (int64_t r = 0; r < rows; ++r)
        rowIdx.push_back(offsetIndex(tb, loc, row0, r));
      for (int64_t c = 0; c < cols; ++c)
        blkIdx.push_back(offsetIndex(tb, loc, blk0, c));
      // One group of four of K: rows x cols dots.
      auto step = [&](OpBuilder &sb, Value kGroup, ValueRange accs,
                      bool masked) {
        Value kk = arith::MulIOp::create(sb, loc, kGroup, cIdx(sb, 4));
        SmallVector<Value> wv;
        for (int64_t c = 0; c < cols; ++c)
          wv.push_back(loadWeights(sb, c, blkIdx[c], kGroup));
        // Decode (fewer than kRowTile rows) streams the weights from
        // memory: each column's stream is prefetched kPrefetchBytes ahead
        // (above). The group index is clamped to the last one.
        if (rows < kRowTile && !panel) {
          Value ahead = arith::MinSIOp::create(
              sb, loc,
              arith::AddIOp::create(sb, loc, kGroup,
                                    cIdx(sb, prefetchGroups)),
              cIdx(sb, k4 - 1));
          for (int64_t c = 0; c < cols; ++c)
            memref::PrefetchOp::create(sb, loc, w,
                                       ValueRange{blkIdx[c], ahead, c0},
                                       /*isWrite=*/false,
                                       /*localityHint=*/3,
                                       /*isDataCache=*/true);
        }
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          Value xv = broadcastX(sb, rowIdx[r], kk, masked);
          for (int64_t c = 0; c < cols; ++c)
            next.push_back(qnt_x86::DotU8I8Op::create(
                               sb, loc, accs[r * cols + c], wv[c], xv)
                               .getResult());
        }
        return next;
      };
      // The accumulators of block g start at -c_w R_g without weight zero
      // points (the t term, one broadcast per row), else at 0.
      auto start = [&](OpBuilder &sb, Value g) {
        if (tTable)
          return SmallVector<Value>(rows * cols, zeroAcc);
        SmallVector<Value> init;
        for (int64_t r = 0; r < rows; ++r) {
          Value rs = memref::LoadOp::create(sb, loc, rowSums,
                                            ValueRange{rowIdx[r], g});
          Value tR = vector::BroadcastOp::create(
              sb, loc, acc,
              arith::MulIOp::create(sb, loc, rs, cI32(sb, -mm.cw)));
          init.append(cols, tR);
        }
        return init;
      };
      // The dots of groups of four [from, to) of block g from fresh
      // accumulators.
      auto dots = [&](OpBuilder &db, Value g, Value from, Value to) {
        auto loop = scf::ForOp::create(
            db, loc, from, to, c1, start(db, g),
            [&](OpBuilder &lb, Location, Value kGroup, ValueRange accs) {
              scf::YieldOp::create(lb, loc, step(lb, kGroup, accs, false));
            });
        return SmallVector<Value>(loop.getResults());
      };
      // The f32 scales of f16 bits h at `at`: (h << 13) + ((127 - 15) << 23).
      auto loadHalfScales = [&](OpBuilder &ub, ValueRange at) -> Value {
        Value h = arith::ExtUIOp::create(
            ub, loc, acc,
            vector::LoadOp::create(
                ub, loc, VectorType::get({kLanes}, IntegerType::get(ctx, 16)),
                sw, at));
        auto splat = [&](int32_t v) {
          return arith::ConstantOp::create(
              ub, loc, DenseElementsAttr::get(acc, ub.getI32IntegerAttr(v)));
        };
        Value bits = arith::AddIOp::create(
            ub, loc, arith::ShLIOp::create(ub, loc, h, splat(13)),
            splat((127 - 15) << 23));
        return arith::BitcastOp::create(ub, loc, fvec, bits);
      };
      // y = fma(float(isum_g), s_x * s_w, y) for block g.
      auto update = [&](OpBuilder &ub, Value g, ArrayRef<Value> dot,
                        ValueRange ys) {
        SmallVector<Value> swv, tv, wsv;
        // Decode: the scale streams are prefetched as far ahead as the
        // weights' (whole blocks, clamped to the last; W4A8 g32 decode,
        // 1 x 16384 x 8192: 0.94-0.96 of the time without).
        if (rows < kRowTile && !panel) {
          Value ahead = arith::MinSIOp::create(
              ub, loc,
              arith::AddIOp::create(
                  ub, loc, g,
                  cIdx(ub, std::max<int64_t>(1, prefetchGroups / perBlock))),
              cIdx(ub, groups - 1));
          for (int64_t c = 0; c < cols; ++c)
            memref::PrefetchOp::create(ub, loc, sw,
                                       ValueRange{blkIdx[c], ahead, c0},
                                       /*isWrite=*/false, /*localityHint=*/3,
                                       /*isDataCache=*/true);
        }
        for (int64_t c = 0; c < cols; ++c) {
          SmallVector<Value, 3> at{blkIdx[c], g, c0};
          swv.push_back(
              f16Scales
                  ? loadHalfScales(ub, at)
                  : vector::LoadOp::create(ub, loc, fvec, sw, at).getResult());
          if (tTable)
            tv.push_back(arith::ExtUIOp::create(
                ub, loc, acc,
                vector::LoadOp::create(ub, loc, VectorType::get({kLanes}, i8),
                                       tTable, at)));
          if (wSums)
            wsv.push_back(vector::LoadOp::create(ub, loc, acc, wSums, at));
        }
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          // With weight zero points, t R_g per column (else in the start).
          Value rsv;
          if (tTable)
            rsv = vector::BroadcastOp::create(
                ub, loc, acc,
                memref::LoadOp::create(ub, loc, rowSums,
                                       ValueRange{rowIdx[r], g}));
          Value sxv;
          if (sx)
            sxv = inputParam(ub, sx, rowIdx[r], g);
          else
            sxv = arith::ConstantOp::create(
                ub, loc,
                ub.getF32FloatAttr(op.getInputParamsAttr().getScales()[0]));
          sxv = vector::BroadcastOp::create(ub, loc, fvec, sxv);
          Value ex;
          if (wSums) {
            Value z = zx ? inputParam(ub, zx, rowIdx[r], g)
                         : cI32(ub, op.getInputParamsAttr().getZeroPoint(0));
            if (mm.unsignedInput)
              z = arith::SubIOp::create(ub, loc, z, cI32(ub, 128));
            ex = vector::BroadcastOp::create(ub, loc, acc, z);
          }
          for (int64_t c = 0; c < cols; ++c) {
            Value isum = dot[r * cols + c];
            if (tTable)
              isum = arith::SubIOp::create(
                  ub, loc, isum, arith::MulIOp::create(ub, loc, tv[c], rsv));
            if (wSums)
              isum = arith::SubIOp::create(
                  ub, loc, isum, arith::MulIOp::create(ub, loc, ex, wsv[c]));
            Value f = arith::SIToFPOp::create(ub, loc, fvec, isum);
            Value scale = arith::MulFOp::create(ub, loc, sxv, swv[c]);
            next.push_back(
                vector::FMAOp::create(ub, loc, f, scale, ys[r * cols + c]));
          }
        }
        return next;
      };
      SmallVector<Value> ys(rows * cols, zeroF);
      if (wholeGroups > 0) {
        // A constant trip count per block, which LLVM unrolls.
        auto blocks = scf::ForOp::create(
            tb, loc, c0, cIdx(tb, wholeGroups), c1, ys,
            [&](OpBuilder &gb, Location, Value g, ValueRange in) {
              Value from = arith::MulIOp::create(gb, loc, g, cIdx(gb, perBlock));
              Value to = arith::AddIOp::create(gb, loc, from, cIdx(gb, perBlock));
              scf::YieldOp::create(gb, loc, update(gb, g, dots(gb, g, from, to), in));
            });
        ys.assign(blocks.getResults().begin(), blocks.getResults().end());
      }
      if (wholeGroups < groups) {
        // The last, shorter block, ending in a masked group of four when
        // 4 does not divide K.
        Value g = cIdx(tb, groups - 1);
        SmallVector<Value> d =
            dots(tb, g, cIdx(tb, (groups - 1) * perBlock), cIdx(tb, kFull));
        if (k4 > kFull)
          d = step(tb, cIdx(tb, kFull), d, true);
        ys = update(tb, g, d, ys);
      }
      for (int64_t c = 0; c < cols; ++c) {
        Value col = arith::MulIOp::create(tb, loc, blkIdx[c], cIdx(tb, kLanes));
        for (int64_t r = 0; r < rows; ++r)
          vector::TransferWriteOp::create(tb, loc, ys[r * cols + c], out,
                                          ValueRange{rowIdx[r], col},
                                          ArrayRef<bool>{fullCols});
      }
    };
    Value fewRows = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          m, cIdx(b, kRowTile));
    scf::IfOp::create(
        b, loc, fewRows,
        [&](OpBuilder &tb, Location) {
          emitColumnMajorTiles(tb, loc, m, nBlocks, kBlockColTileFewRows,
                               parallel, emitTile);
          scf::YieldOp::create(tb, loc);
        },
        [&](OpBuilder &eb, Location) {
          if (!mm.nibbles || (parallel && threads <= 1)) {
            emitColumnMajorTiles(eb, loc, m, nBlocks, kBlockColTile, parallel,
                                 emitTile);
          } else {
            // From kPanelRows rows on, the panel path (one panel per
            // worker, allocated once per call; the deallocation pipeline
            // frees it); below, the tiles unpack the nibbles themselves.
            Value many = arith::CmpIOp::create(
                eb, loc, arith::CmpIPredicate::sge, m, cIdx(eb, kPanelRows));
            scf::IfOp::create(
                eb, loc, many,
                [&](OpBuilder &pb, Location) {
                  int64_t workers = parallel ? threads : 1;
                  int64_t width = kBlockColTile * kLanes * 4;
                  Value panels = memref::AllocOp::create(
                      pb, loc, MemRefType::get({workers, k4, width}, i8),
                      pb.getI64IntegerAttr(64));
                  auto fill = [&](OpBuilder &cb, Value worker, Value unit0,
                                  int64_t units,
                                  llvm::function_ref<void(OpBuilder &)> rows) {
                    panel = memref::SubViewOp::create(
                        cb, loc,
                        MemRefType::get({k4, width}, i8,
                                        StridedLayoutAttr::get(
                                            ctx, ShapedType::kDynamic,
                                            {width, 1})),
                        panels,
                        ArrayRef<OpFoldResult>{worker, cb.getIndexAttr(0),
                                               cb.getIndexAttr(0)},
                        ArrayRef<OpFoldResult>{cb.getIndexAttr(1),
                                               cb.getIndexAttr(k4),
                                               cb.getIndexAttr(width)},
                        ArrayRef<OpFoldResult>{cb.getIndexAttr(1),
                                               cb.getIndexAttr(1),
                                               cb.getIndexAttr(1)});
                    Value full = panel;
                    panel = Value(); // the fill reads the nibbles
                    scf::ForOp::create(
                        cb, loc, c0, cIdx(cb, k4), c1, ValueRange{},
                        [&](OpBuilder &lb, Location, Value kGroup, ValueRange) {
                          for (int64_t c = 0; c < units; ++c)
                            vector::StoreOp::create(
                                lb, loc,
                                loadWeights(lb, c, offsetIndex(lb, loc, unit0, c),
                                            kGroup),
                                full,
                                ValueRange{kGroup, cIdx(lb, c * kLanes * 4)});
                          scf::YieldOp::create(lb, loc);
                        });
                    panel = full;
                    rows(cb);
                    panel = Value();
                  };
                  emitColumnMajorTiles(pb, loc, m, nBlocks, kBlockColTile,
                                       parallel, emitTile, fill,
                                       parallel ? threads : 0);
                  scf::YieldOp::create(pb, loc);
                },
                [&](OpBuilder &sb, Location) {
                  emitColumnMajorTiles(sb, loc, m, nBlocks, kBlockColTile,
                                       parallel, emitTile);
                  scf::YieldOp::create(sb, loc);
                });
          }
          scf::YieldOp::create(eb, loc);
        });
    rewriter.replaceOp(op, kernel.finish());
  }
};

struct BlockContract : OpRewritePattern<qnt::ContractOp> {
  BlockContract(MLIRContext *ctx, BlockKernels kernels)
      : OpRewritePattern(ctx), kernels(kernels) {}
  LogicalResult matchAndRewrite(qnt::ContractOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<Matched> matched = match(op, why);
    if (failed(matched))
      return rewriter.notifyMatchFailure(op, why);
    BlockKernels(kernels).rewrite(rewriter, *matched);
    return success();
  }
  BlockKernels kernels;
};

struct QntBlockMatmulPass
    : quantopt::impl::QntBlockMatmulBase<QntBlockMatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    Operation *root = getOperation();
    if (failed(checkLanes(root, getArgument(), lanes)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateQntBlockMatmulPatterns(patterns, lanes, parallel, threads);
    if (failed(applyKernelPatterns(root, std::move(patterns))))
      return signalPassFailure();
    root->walk([&](qnt::ContractOp op) {
      std::string why;
      if (op.getWeightBlockSize() <= 0 || succeeded(match(op, why)))
        return;
      std::string name = findLocationName(op.getLoc());
      emitRemark(op.getLoc())
          << "qnt-block-matmul: "
          << (name.empty() ? std::string("a group-wise layer")
                           : "layer '" + name + "'")
          << " keeps the reference loops: " << why;
    });
  }
};
} // namespace

void quantopt::populateQntBlockMatmulPatterns(RewritePatternSet &patterns,
                                              int64_t lanes, bool parallel,
                                              int64_t threads) {
  patterns.add<BlockContract>(patterns.getContext(),
                              BlockKernels{lanes, parallel, threads});
}
