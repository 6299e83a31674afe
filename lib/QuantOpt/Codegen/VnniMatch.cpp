//===- VnniMatch.cpp - What the VNNI kernels take ------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "VnniMatch.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Layout.h"
#include "Epilogue.h"
#include "KernelLoops.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include <array>

using namespace mlir;
using namespace quantopt;

/// Whether `v` is the block argument `arg` widened with `ExtOp`.
template <typename ExtOp> static bool isWidened(Value v, BlockArgument arg) {
  auto ext = v.getDefiningOp<ExtOp>();
  return ext && ext.getIn() == arg;
}

/// Whether `e` is `d_out * s + d_win * d` for some small s, d >= 1.
static std::optional<std::pair<int64_t, int64_t>>
matchWindow(AffineExpr e, unsigned out, unsigned win) {
  MLIRContext *ctx = e.getContext();
  for (int64_t s = 1; s <= 8; ++s)
    for (int64_t d = 1; d <= 8; ++d)
      if (e == getAffineDimExpr(out, ctx) * s + getAffineDimExpr(win, ctx) * d)
        return std::make_pair(s, d);
  return std::nullopt;
}

/// The window of a convolution: the activation's rows at result positions
/// `hRes`, `hRes + 1` are `oh*sh + kh*dh` and `ow*sw + kw*dw` of loops
/// (ohLoop, khLoop) and (ohLoop + 1, khLoop + 1), and the first four loops
/// are parallel, the others reductions. Returns (sh, dh, sw, dw).
static std::optional<std::array<int64_t, 4>>
matchConvWindow(AffineMap xMap, ArrayRef<utils::IteratorType> iterators,
                unsigned hRes, unsigned ohLoop, unsigned khLoop) {
  for (auto [i, it] : llvm::enumerate(iterators))
    if (it != (i < 4 ? utils::IteratorType::parallel
                     : utils::IteratorType::reduction))
      return std::nullopt;
  if (xMap.getNumResults() != 4)
    return std::nullopt;
  auto hw = matchWindow(xMap.getResult(hRes), ohLoop, khLoop);
  auto ww = matchWindow(xMap.getResult(hRes + 1), ohLoop + 1, khLoop + 1);
  if (!hw || !ww)
    return std::nullopt;
  return std::array<int64_t, 4>{hw->first, hw->second, ww->first, ww->second};
}

/// A conv_2d_nchw_fchw contraction (constant weights, zero init) becomes the
/// NHWC/HWCF contraction between two transposes: the activation to NHWC,
/// the weights to HWCF at compile time, the i32 result back to NCHW. Returns
/// the NHWC contraction, or null when `op` is not such a contraction.
linalg::GenericOp quantopt::convertNchwToNhwc(RewriterBase &rewriter,
                                              linalg::GenericOp op) {
  if (op.getNumLoops() != 7 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return nullptr;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto maps = op.getIndexingMapsArray();
  // Loops (n, f, oh, ow, c, kh, kw): x[n, c, oh*sh + kh*dh, ow*sw + kw*dw],
  // w[f, c, kh, kw], out[n, f, oh, ow].
  auto iterators = op.getIteratorTypesArray();
  if (maps[1] != AffineMap::get(7, 0, {d(1), d(4), d(5), d(6)}, ctx) ||
      maps[2] != AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx) ||
      !matchConvWindow(maps[0], iterators, 2, 2, 5) ||
      maps[0].getResult(0) != d(0) || maps[0].getResult(1) != d(4))
    return nullptr;
  DenseElementsAttr weights;
  if (!matchPattern(op.getDpsInputOperand(1)->get(), m_Constant(&weights)) ||
      !weights.getElementType().isInteger(8))
    return nullptr;
  Attribute zero;
  Value init = op.getDpsInitOperand(0)->get();
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_Constant(&zero)) ||
      !isa<IntegerAttr>(zero) || !cast<IntegerAttr>(zero).getValue().isZero())
    return nullptr;

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  RewriterBase &b = rewriter;
  Location loc = op.getLoc();
  Value x = op.getDpsInputOperand(0)->get();
  SmallVector<int64_t> toNhwc{0, 2, 3, 1};
  Value xNhwc =
      linalg::TransposeOp::create(b, loc, x, emptyPermuted(b, loc, x, toNhwc), toNhwc)
          ->getResult(0);
  // [F][C][KH][KW] -> [KH][KW][C][F].
  Value wHwcf = arith::ConstantOp::create(
      b, loc, permuteConstant(weights, ArrayRef<int64_t>{2, 3, 1, 0}));
  Value outNhwc = emptyPermuted(b, loc, init, toNhwc);
  outNhwc = linalg::FillOp::create(b, loc, fill.getInputs()[0], outNhwc)
                .getResult(0);
  // Old loops (n, f, oh, ow, c, kh, kw) -> new (n, oh, ow, f, kh, kw, c).
  SmallVector<AffineExpr> rename{d(0), d(3), d(1), d(2), d(6), d(4), d(5)};
  AffineExpr ih = maps[0].getResult(2).replaceDims(rename);
  AffineExpr iw = maps[0].getResult(3).replaceDims(rename);
  SmallVector<AffineMap> newMaps{
      AffineMap::get(7, 0, {d(0), ih, iw, d(6)}, ctx),
      AffineMap::get(7, 0, {d(4), d(5), d(6), d(3)}, ctx),
      AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  auto nhwc = linalg::GenericOp::create(
      b, loc, TypeRange{outNhwc.getType()}, ValueRange{xNhwc, wHwcf},
      ValueRange{outNhwc}, newMaps, iterators);
  IRMapping mapping;
  op.getRegion().cloneInto(&nhwc.getRegion(), mapping);
  nhwc->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  Value back = linalg::TransposeOp::create(b, loc, nhwc->getResult(0), init,
                                           SmallVector<int64_t>{0, 3, 1, 2})
                   ->getResult(0);
  rewriter.replaceOp(op, back);
  return nhwc;
}

FailureOr<MatchedMatmul> quantopt::matchVnniContraction(linalg::GenericOp op) {
  if (!isIntegerContraction(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 3 || op.getNumLoops() == 5 || op.getNumLoops() > 7)
    return failure();
  MLIRContext *ctx = op.getContext();
  auto maps = op.getIndexingMapsArray();
  auto iterators = op.getIteratorTypesArray();
  MatchedMatmul matched;
  if (op.getNumLoops() == 4) {
    // A batched matmul of one batch (tosa.matmul of 2-D operands):
    // (b, m, n, k): a[b, m, k], w[b, k, n], out[b, m, n], b of size 1.
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    auto aType = dyn_cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
    auto wType = dyn_cast<RankedTensorType>(op.getDpsInputOperand(1)->get().getType());
    if (!aType || !wType || aType.getRank() != 3 || wType.getRank() != 3 ||
        aType.getDimSize(0) != 1 || wType.getDimSize(0) != 1 ||
        maps[0] != AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx) ||
        maps[1] != AffineMap::get(4, 0, {d(0), d(3), d(2)}, ctx) ||
        maps[2] != AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx))
      return failure();
    for (unsigned i = 0; i < 4; ++i)
      if (iterators[i] != (i < 3 ? utils::IteratorType::parallel
                                 : utils::IteratorType::reduction))
        return failure();
    matched.batch1 = true;
  } else if (op.getNumLoops() == 3) {
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) ||
        maps[1] != AffineMap::get(3, 0, {k, n}, ctx) ||
        maps[2] != AffineMap::get(3, 0, {m, n}, ctx))
      return failure();
    if (iterators[0] != utils::IteratorType::parallel ||
        iterators[1] != utils::IteratorType::parallel ||
        iterators[2] != utils::IteratorType::reduction)
      return failure();
  } else if (op.getNumLoops() == 6) {
    // (n, oh, ow, c, kh, kw): x[n, oh*sh + kh*dh, ow*sw + kw*dw, c],
    // w[kh, kw, c], out[n, oh, ow, c].
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    auto window = matchConvWindow(maps[0], iterators, 1, 1, 4);
    if (maps[1] != AffineMap::get(6, 0, {d(4), d(5), d(3)}, ctx) ||
        maps[2] != AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx) ||
        !window || maps[0].getResult(0) != d(0) || maps[0].getResult(3) != d(3))
      return failure();
    matched.conv = matched.depthwise = true;
    std::tie(matched.sh, matched.dh, matched.sw, matched.dw) =
        std::make_tuple((*window)[0], (*window)[1], (*window)[2], (*window)[3]);
  } else {
    // (n, oh, ow, f, kh, kw, c): x[n, oh*sh + kh*dh, ow*sw + kw*dw, c],
    // w[kh, kw, c, f] (or w[f, kh, kw, c], conv_2d_nhwc_fhwc from TOSA),
    // out[n, oh, ow, f].
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    matched.fhwc = maps[1] == AffineMap::get(7, 0, {d(3), d(4), d(5), d(6)}, ctx);
    if ((maps[1] != AffineMap::get(7, 0, {d(4), d(5), d(6), d(3)}, ctx) &&
         !matched.fhwc) ||
        maps[2] != AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx))
      return failure();
    auto window = matchConvWindow(maps[0], iterators, 1, 1, 4);
    if (!window || maps[0].getResult(0) != d(0) || maps[0].getResult(3) != d(6))
      return failure();
    matched.conv = true;
    std::tie(matched.sh, matched.dh, matched.sw, matched.dw) =
        std::make_tuple((*window)[0], (*window)[1], (*window)[2], (*window)[3]);
  }
  // The body: acc + extui(a) * extsi(w), in i32.
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add)
    return failure();
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulIOp>();
  if (!mul || (add.getLhs() != acc && add.getRhs() != acc))
    return failure();
  BlockArgument aArg = body.getArgument(0), wArg = body.getArgument(1);
  auto widenedA = [&](Value v) {
    if (isWidened<arith::ExtUIOp>(v, aArg))
      return true;
    if (isWidened<arith::ExtSIOp>(v, aArg)) {
      matched.signedA = true;
      return true;
    }
    return false;
  };
  auto widenedW = [&](Value v) {
    if (isWidened<arith::ExtSIOp>(v, wArg))
      return true;
    if (isWidened<arith::ExtUIOp>(v, wArg)) {
      matched.unsignedW = true;
      return true;
    }
    return false;
  };
  if (!((widenedA(mul.getLhs()) && widenedW(mul.getRhs())) ||
        (widenedA(mul.getRhs()) && widenedW(mul.getLhs()))))
    return failure();
  auto aType = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if (!aType.getElementType().isInteger(8) ||
      !outType.getElementType().isInteger(32) ||
      aType.isDynamicDim(aType.getRank() - 1))
    return failure();
  // The init must be zeros: the kernel writes every output element.
  Attribute zero;
  auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_Constant(&zero)) ||
      !isa<IntegerAttr>(zero) || !cast<IntegerAttr>(zero).getValue().isZero())
    return failure();
  matched.a = op.getDpsInputOperand(0)->get();
  if (!matchPattern(op.getDpsInputOperand(1)->get(),
                    m_Constant(&matched.weights)))
    return failure();
  // i4 weights (W4A8) for matmuls: packed two per byte, unpacked in
  // registers.
  matched.int4 = matched.weights.getElementType().isInteger(4);
  if (!matched.weights.getElementType().isInteger(8) &&
      !(matched.int4 && !matched.conv))
    return failure();
  if (matched.unsignedW && (matched.conv || matched.int4))
    return failure();
  auto wType = cast<RankedTensorType>(matched.weights.getType());
  if (matched.depthwise) {
    matched.kh = wType.getDimSize(0);
    matched.kw = wType.getDimSize(1);
    matched.c = wType.getDimSize(2);
    matched.k = matched.kh * matched.kw;
    matched.n = matched.c;
  } else if (matched.conv && matched.fhwc) {
    int64_t f = wType.getDimSize(0), kh = wType.getDimSize(1),
            kw = wType.getDimSize(2), c = wType.getDimSize(3);
    SmallVector<APInt> values(matched.weights.getValues<APInt>());
    SmallVector<APInt> hwcf(values.size());
    for (int64_t i = 0; i < f; ++i)
      for (int64_t j = 0; j < kh * kw * c; ++j)
        hwcf[j * f + i] = values[i * kh * kw * c + j];
    matched.weights = DenseElementsAttr::get(
        RankedTensorType::get({kh, kw, c, f}, wType.getElementType()), hwcf);
    matched.kh = kh;
    matched.kw = kw;
    matched.c = c;
    matched.k = kh * kw * c;
    matched.n = f;
  } else if (matched.conv) {
    matched.kh = wType.getDimSize(0);
    matched.kw = wType.getDimSize(1);
    matched.c = wType.getDimSize(2);
    matched.k = matched.kh * matched.kw * matched.c;
    matched.n = wType.getDimSize(3);
  } else {
    matched.k = wType.getDimSize(wType.getRank() - 2);
    matched.n = wType.getDimSize(wType.getRank() - 1);
    if (matched.batch1)
      matched.weights = matched.weights.reshape(
          RankedTensorType::get({matched.k, matched.n}, wType.getElementType()));
  }
  return matched;
}

DenseElementsAttr quantopt::packVnniOrder(MLIRContext *ctx,
                                          ArrayRef<uint8_t> stored, int64_t k,
                                          int64_t n, int64_t kLanes,
                                          bool nibbles, uint8_t pad) {
  int64_t nb = (n + kLanes - 1) / kLanes, k4 = (k + 3) / 4;
  std::vector<uint8_t> packed(nb * k4 * kLanes * 4, pad);
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      packed[(((col / kLanes) * k4 + row / 4) * kLanes + col % kLanes) * 4 +
             row % 4] = stored[row * n + col];
  auto i8 = IntegerType::get(ctx, 8);
  if (nibbles) {
    int64_t unit = kLanes * 4, half = unit / 2;
    std::vector<int8_t> bytes(nb * k4 * half);
    for (int64_t g = 0; g < nb * k4; ++g)
      for (int64_t i = 0; i < half; ++i)
        bytes[g * half + i] = static_cast<int8_t>(
            (packed[g * unit + i] & 0xF) | (packed[g * unit + half + i] << 4));
    return DenseElementsAttr::get(RankedTensorType::get({nb, k4, half}, i8),
                                  llvm::ArrayRef<int8_t>(bytes));
  }
  std::vector<int8_t> bytes(packed.begin(), packed.end());
  return DenseElementsAttr::get(RankedTensorType::get({nb, k4, kLanes * 4}, i8),
                                llvm::ArrayRef<int8_t>(bytes));
}

/// i4 values are stored as nibbles v + 8 (zero-padding as 8), so that the
/// kernel unpacks them with two masks, one shift, one concatenation and one
/// subtraction.
DenseElementsAttr quantopt::packWeights(DenseElementsAttr weights, int64_t k,
                                        int64_t n, int64_t kLanes, bool int4,
                                        bool unsignedW) {
  std::vector<uint8_t> stored;
  for (APInt v : weights.getValues<APInt>()) {
    int64_t value = unsignedW ? static_cast<int64_t>(v.getZExtValue()) - 128
                              : v.getSExtValue();
    stored.push_back(static_cast<uint8_t>(int4 ? value + 8 : value));
  }
  return packVnniOrder(weights.getContext(), stored, k, n, kLanes, int4,
                       int4 ? 8 : 0);
}

std::vector<int32_t> quantopt::getShiftCompensation(DenseElementsAttr weights,
                                                    bool unsignedW,
                                                    int64_t size) {
  SmallVector<int64_t> values;
  for (APInt v : weights.getValues<APInt>())
    values.push_back(unsignedW ? static_cast<int64_t>(v.getZExtValue()) - 128
                               : v.getSExtValue());
  int64_t n = cast<RankedTensorType>(weights.getType()).getShape().back();
  int64_t rows = static_cast<int64_t>(values.size()) / n;
  std::vector<int64_t> sums =
      numerics::sumOverAxes(values, {rows, n}, /*keptAxes=*/{1});
  std::vector<int32_t> compensation(size, 0);
  for (int64_t j = 0; j < n; ++j)
    compensation[j] = static_cast<int32_t>(-128 * sums[j]);
  return compensation;
}

Value quantopt::broadcastFourBytes(OpBuilder &b, Location loc, Value buffer,
                                   ValueRange indices, bool masked, Value pad,
                                   bool flipSign, int64_t lanes) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto four = VectorType::get({4}, i8);
  Value v = masked ? vector::TransferReadOp::create(b, loc, four, buffer,
                                                    indices, pad,
                                                    ArrayRef<bool>{false})
                         .getResult()
                   : vector::LoadOp::create(b, loc, four, buffer, indices)
                         .getResult();
  Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), v);
  Value scalar = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
  if (flipSign)
    scalar = arith::XOrIOp::create(
        b, loc, scalar,
        arith::ConstantOp::create(
            b, loc, b.getI32IntegerAttr(static_cast<int32_t>(0x80808080u))));
  Value splat = vector::BroadcastOp::create(
      b, loc, VectorType::get({lanes}, i32), scalar);
  return vector::BitCastOp::create(b, loc, VectorType::get({lanes * 4}, i8),
                                   splat);
}

Value quantopt::unpackNibbles(OpBuilder &b, Location loc, Value raw,
                              int64_t lanes) {
  auto half = cast<VectorType>(raw.getType());
  auto splat = [&](int8_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(half, b.getI8IntegerAttr(v)));
  };
  Value mask = splat(0x0F);
  Value low = arith::AndIOp::create(b, loc, raw, mask);
  Value high = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, raw, splat(4)), mask);
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < lanes * 4; ++i)
    concat.push_back(i);
  return vector::ShuffleOp::create(b, loc, low, high, concat);
}
