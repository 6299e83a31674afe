//===- TransposePropagation.cpp - Transposes moved to where they are cheap ===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The patterns qnt-convert-to-nhwc uses to move the transposes it puts
// around each converted layer, so that a network pays for them once
// (populateQntTransposePropagationPatterns):
//
// - down through element-wise linalg.generic ops (the generic iterates in
//   the layout of its transposed input; broadcast operands such as a
//   per-channel bias are read through permuted maps; a gather written with
//   linalg.index and tensor.extract, such as a nearest-neighbour resize,
//   renames its indices), qnt.quantize/dequantize, zero padding, fills and
//   empties, and tensor.insert_slice into a tensor that is free to
//   transpose (a concatenation, a transposed convolution's zero-stuffed
//   input);
// - a transpose of a transpose folds (to nothing when they cancel);
// - a flatten of a transposed tensor into a matmul with constant weights
//   permutes the weights' rows at compile time instead;
// - up from a padded or spread function argument, so the input is
//   transposed before it is padded.
// And, afterwards, a transpose that moves only unit dimensions becomes a
// view (populateQntUnitDimTransposePatterns).
//
// Upstream's data-layout propagation (linalg::populateDataLayoutPropagation-
// Patterns) moves tensor.pack/unpack, not transposes, and its
// TransposeConv2D converts between the NHWC filter layouts only; hence these
// patterns.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Layout.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace quantopt;

namespace {

/// transpose(transpose(x, p), q) -> transpose(x, p∘q), or x.
struct FoldTransposes : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner || !op.hasPureTensorSemantics())
      return failure();
    // Result dim i = inner result dim q[i] = source dim p[q[i]].
    ArrayRef<int64_t> p = inner.getPermutation(), q = op.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t i : q)
      composed.push_back(p[i]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size()))) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    rewriter.replaceOp(
        op, transposeValue(rewriter, op.getLoc(), inner.getInput(), composed));
    return success();
  }
};

/// transpose(fill(v, t)) -> fill(v, empty), transpose(empty) -> empty.
struct TransposeOfFillOrEmpty : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Value in = op.getInput();
    auto fill = in.getDefiningOp<linalg::FillOp>();
    if (!fill && !in.getDefiningOp<tensor::EmptyOp>())
      return failure();
    if (!op.hasPureTensorSemantics())
      return failure();
    Value empty = emptyPermuted(rewriter, op.getLoc(), in, op.getPermutation());
    if (fill)
      empty = linalg::FillOp::create(rewriter, fill.getLoc(),
                                     fill.getInputs()[0], empty)
                  .getResult(0);
    rewriter.replaceOp(op, empty);
    return success();
  }
};

/// An operand with unit dimensions read at index 0 through `map`, without
/// them: a constant reshaped at compile time, or the source of a
/// tensor.expand_shape that only added them (so that a per-channel bias
/// spelled `expand_shape(b) : 8 -> 8x1x1` or as an 8x1x1 constant reads as
/// the 1-D constant it is, along the channel loop).
std::pair<Value, AffineMap> dropUnitDims(OpBuilder &b, Location loc, Value v,
                                         AffineMap map) {
  MLIRContext *ctx = map.getContext();
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type)
    return {v, map};
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> shape;
    for (auto [d, e] : llvm::enumerate(map.getResults()))
      if (type.getDimSize(d) != 1 || e != zero) {
        kept.push_back(e);
        shape.push_back(type.getDimSize(d));
      }
    if (kept.size() == map.getNumResults() || kept.empty())
      return {v, map};
    Value reshaped = arith::ConstantOp::create(
        b, loc,
        attr.reshape(RankedTensorType::get(shape, type.getElementType())));
    return {reshaped,
            AffineMap::get(map.getNumDims(), map.getNumSymbols(), kept, ctx)};
  }
  auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand) {
    // Any other tensor: collapsed (a reshape, no copy) onto the dimensions
    // read through loops, each unit dimension joining its neighbour's group.
    SmallVector<AffineExpr> kept;
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (auto [d, e] : llvm::enumerate(map.getResults())) {
      bool unit = type.getDimSize(d) == 1 && e == zero;
      if (!unit) {
        kept.push_back(e);
        groups.push_back(pending); // leading unit dimensions, if any
        pending.clear();
        groups.back().push_back(d);
        continue;
      }
      if (groups.empty())
        pending.push_back(d);
      else
        groups.back().push_back(d);
    }
    if (kept.size() == map.getNumResults() || kept.empty())
      return {v, map};
    Value collapsed = tensor::CollapseShapeOp::create(b, loc, v, groups);
    return {collapsed,
            AffineMap::get(map.getNumDims(), map.getNumSymbols(), kept, ctx)};
  }
  SmallVector<AffineExpr> kept;
  for (ReassociationIndices group : expand.getReassociationIndices()) {
    std::optional<int64_t> keep;
    for (int64_t d : group)
      if (type.getDimSize(d) != 1) {
        if (keep)
          return {v, map};
        keep = d;
      }
    for (int64_t d : group) {
      if (keep ? d == *keep : d == group.front())
        kept.push_back(map.getResult(d));
      else if (map.getResult(d) != zero)
        return {v, map};
    }
  }
  return {expand.getSrc(),
          AffineMap::get(map.getNumDims(), map.getNumSymbols(), kept, ctx)};
}

/// A generic with one result and an input read whole (identity map) from
/// transpose(y, p): the generic iterates in y's layout instead, reading y
/// directly and its other operands through the permuted maps. Every other
/// input read whole must come from a transpose with the same permutation
/// (no transpose is added on an input).
/// - An element-wise generic (parallel loops, the result written through
///   the identity map) -> transpose(generic'(y, ...), p): the transpose
///   moves on to the generic's users.
/// - Any other (a reduction, such as a global average pooling to
///   [N][C][1][1]) keeps its result as it is, written through its permuted
///   map: the transpose is gone.
/// An element-wise generic may also compute with its loop indices and read
/// tensors from above with tensor.extract (a nearest-neighbour resize, as
/// ONNX's Resize imports): linalg.index i becomes linalg.index p[i], and
/// an extract from transpose(y, p) reads y at the permuted indices, so such
/// a tensor counts as a transposed input. Extracts from other tensors keep
/// their indices, which the renamed linalg.index ops still compute.
struct SinkTransposeThroughGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumLoops() == 0)
      return failure();
    unsigned rank = op.getNumLoops();
    OpOperand *initOperand = op.getDpsInitOperand(0);
    bool elementwise = op.getNumParallelLoops() == rank &&
                       op.getMatchingIndexingMap(initOperand).isIdentity();
    Block &body = op.getRegion().front();
    bool indexed = !body.getOps<linalg::IndexOp>().empty();
    if (indexed && !elementwise)
      return failure();
    // The transposed tensors from above that an indexed body reads with
    // tensor.extract (without loop indices, an extract reads one element
    // wherever the loops go: that does not make the generic worth moving).
    SmallVector<tensor::ExtractOp> extracts;
    for (auto extract : body.getOps<tensor::ExtractOp>()) {
      auto t = extract.getTensor().getDefiningOp<linalg::TransposeOp>();
      if (indexed && t && t.getPermutation().size() == rank &&
          !op->isAncestor(t))
        extracts.push_back(extract);
    }
    std::optional<SmallVector<int64_t>> perm;
    for (tensor::ExtractOp extract : extracts) {
      auto t = extract.getTensor().getDefiningOp<linalg::TransposeOp>();
      if (perm && !llvm::equal(*perm, t.getPermutation()))
        return rewriter.notifyMatchFailure(op, "extracts transposed unlike");
      perm = llvm::to_vector(t.getPermutation());
    }
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (!type || type.getRank() != rank ||
          !op.getMatchingIndexingMap(in).isIdentity())
        continue;
      auto t = in->get().getDefiningOp<linalg::TransposeOp>();
      if (!t)
        return rewriter.notifyMatchFailure(op, "an input read whole is not "
                                               "transposed");
      if (perm && !llvm::equal(*perm, t.getPermutation()))
        return rewriter.notifyMatchFailure(op, "inputs transposed unlike");
      perm = llvm::to_vector(t.getPermutation());
    }
    if (!perm)
      return failure();
    MLIRContext *ctx = op.getContext();
    // Old loop i is new loop perm[i].
    SmallVector<AffineExpr> rename;
    for (int64_t p : *perm)
      rename.push_back(getAffineDimExpr(p, ctx));
    auto renamed = [&](AffineMap map) {
      return map.replaceDimsAndSymbols(rename, {}, rank, 0);
    };
    Location loc = op.getLoc();
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(in);
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (type && type.getRank() == rank && map.isIdentity()) {
        inputs.push_back(
            in->get().getDefiningOp<linalg::TransposeOp>().getInput());
        maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
        continue;
      }
      auto [value, simplified] = dropUnitDims(rewriter, loc, in->get(), map);
      inputs.push_back(value);
      maps.push_back(renamed(simplified));
    }
    Value init = initOperand->get();
    SmallVector<utils::IteratorType> iterators(rank);
    for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray()))
      iterators[(*perm)[i]] = it;
    if (elementwise) {
      if (op.getMatchingBlockArgument(initOperand).use_empty())
        init =
            emptyPermuted(rewriter, loc, init, invertPermutationVector(*perm));
      else
        init =
            transposeValue(rewriter, loc, init, invertPermutationVector(*perm));
      maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    } else {
      maps.push_back(renamed(op.getMatchingIndexingMap(initOperand)));
    }
    auto generic =
        linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()},
                                  inputs, ValueRange{init}, maps, iterators);
    rewriter.cloneRegionBefore(op.getRegion(), generic.getRegion(),
                               generic.getRegion().begin());
    generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    Block &newBody = generic.getRegion().front();
    for (auto index :
         llvm::make_early_inc_range(newBody.getOps<linalg::IndexOp>())) {
      rewriter.setInsertionPoint(index);
      rewriter.replaceOpWithNewOp<linalg::IndexOp>(index,
                                                   (*perm)[index.getDim()]);
    }
    for (auto extract :
         llvm::make_early_inc_range(newBody.getOps<tensor::ExtractOp>())) {
      auto t = extract.getTensor().getDefiningOp<linalg::TransposeOp>();
      if (!t || !llvm::equal(t.getPermutation(), *perm))
        continue;
      // Index i of the transposed tensor is index p[i] of its input.
      SmallVector<Value> indices(rank);
      for (auto [i, index] : llvm::enumerate(extract.getIndices()))
        indices[(*perm)[i]] = index;
      rewriter.setInsertionPoint(extract);
      rewriter.replaceOpWithNewOp<tensor::ExtractOp>(extract, t.getInput(),
                                                     indices);
    }
    rewriter.setInsertionPointAfter(generic);
    if (elementwise)
      rewriter.replaceOp(
          op, transposeValue(rewriter, loc, generic->getResult(0), *perm));
    else
      rewriter.replaceOp(op, generic->getResults());
    return success();
  }
};

/// Whether `v` is a function argument, or computed from one by zero
/// padding (a tensor.pad or an insertion into a fill), transposes and
/// qnt.quantize/qnt.dequantize alone (a model's input, as a QDQ model
/// quantizes it, a transposed convolution spreads it or an NHWC model
/// transposes it): transposes there rise to the argument rather than sink,
/// so that the input is transposed once, first, where it is smallest.
bool isInputChain(Value v) {
  while (true) {
    if (isa<BlockArgument>(v))
      return true;
    Operation *op = v.getDefiningOp();
    if (auto pad = dyn_cast_or_null<tensor::PadOp>(op)) {
      if (!pad.getConstantPaddingValue())
        return false;
      v = pad.getSource();
    } else if (auto insert = dyn_cast_or_null<tensor::InsertSliceOp>(op)) {
      if (!isInsertIntoFill(insert))
        return false;
      v = insert.getSource();
    } else if (auto t = dyn_cast_or_null<linalg::TransposeOp>(op)) {
      if (!t.hasPureTensorSemantics())
        return false;
      v = t.getInput();
    } else if (isa_and_nonnull<qnt::QuantizeOp, qnt::DequantizeOp>(op)) {
      v = op->getOperand(0);
    } else {
      return false;
    }
  }
}

} // namespace

namespace {

/// `op` (a qnt.quantize or dequantize, not packed) cloned onto `input`,
/// with `params` and the element type of its result on input's shape.
Value cloneQntOp(PatternRewriter &rewriter, Operation *op, Value input,
                 qnt::ParamsAttr params) {
  Operation *clone = rewriter.clone(*op);
  clone->setOperand(0, input);
  clone->setAttr("params", params);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  clone->getResult(0).setType(cast<RankedTensorType>(input.getType())
                                  .clone(resultType.getElementType()));
  return clone->getResult(0);
}

bool isPacked(Operation *op) {
  auto dq = dyn_cast<qnt::DequantizeOp>(op);
  return dq && dq.hasPacking();
}

/// qnt.quantize/dequantize(transpose(y, p)) -> transpose(op'(y), p), the
/// per-channel axis moved with the data; not on a model's input chain.
template <typename OpT> struct SinkTransposeThroughQnt : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    auto t = op->getOperand(0).template getDefiningOp<linalg::TransposeOp>();
    if (!t || isPacked(op) || isInputChain(t.getInput()))
      return failure();
    ArrayRef<int64_t> perm = t.getPermutation();
    qnt::ParamsAttr params = permuteParams(op.getParams(), perm);
    if (!params)
      return failure();
    Value moved = cloneQntOp(rewriter, op, t.getInput(), params);
    rewriter.replaceOp(op, transposeValue(rewriter, op.getLoc(), moved, perm));
    return success();
  }
};

/// transpose(op(x), p) -> op'(transpose(x, p)) for a qnt.quantize or
/// dequantize on a model's input chain.
struct HoistTransposeAboveQnt : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Operation *producer = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<qnt::QuantizeOp, qnt::DequantizeOp>(producer) ||
        isPacked(producer) || !producer->hasOneUse() ||
        !isInputChain(producer->getOperand(0)) || !op.hasPureTensorSemantics())
      return failure();
    ArrayRef<int64_t> perm = op.getPermutation();
    auto params = cast<qnt::ParamsAttr>(producer->getAttr("params"));
    qnt::ParamsAttr moved =
        permuteParams(params, invertPermutationVector(perm));
    if (!moved)
      return failure();
    rewriter.setInsertionPointAfter(producer);
    Value x =
        transposeValue(rewriter, op.getLoc(), producer->getOperand(0), perm);
    rewriter.replaceOp(op, cloneQntOp(rewriter, producer, x, moved));
    return success();
  }
};

/// Permutes the low/high padding of `pad` by `perm`.
SmallVector<OpFoldResult> permuted(ArrayRef<OpFoldResult> v,
                                   ArrayRef<int64_t> perm) {
  SmallVector<OpFoldResult> out;
  for (int64_t p : perm)
    out.push_back(v[p]);
  return out;
}

/// The users of `producer` other than `op`, when all of them are
/// tensor.dim ops with a constant index (they read its sizes only);
/// std::nullopt otherwise.
std::optional<SmallVector<tensor::DimOp>> getSizeReaders(Operation *producer,
                                                         Operation *op) {
  SmallVector<tensor::DimOp> dims;
  for (Operation *user : producer->getUsers()) {
    if (user == op)
      continue;
    auto dim = dyn_cast<tensor::DimOp>(user);
    if (!dim || !dim.getConstantIndex())
      return std::nullopt;
    dims.push_back(dim);
  }
  return dims;
}

/// pad(transpose(y, p), c) -> transpose(pad'(y, c), p), unless y is a
/// function argument (whose transpose HoistTransposeAbovePaddedArgument put
/// there).
struct SinkTransposeThroughPad : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp op,
                                PatternRewriter &rewriter) const override {
    auto t = op.getSource().getDefiningOp<linalg::TransposeOp>();
    Value padValue = op.getConstantPaddingValue();
    if (!t || !padValue || isInputChain(t.getInput()))
      return failure();
    SmallVector<int64_t> inverse = invertPermutationVector(t.getPermutation());
    // The result type as declared, permuted (an inferred one could be less
    // static than the declared one).
    auto padType = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<int64_t> shape;
    for (int64_t d : inverse)
      shape.push_back(padType.getDimSize(d));
    auto padded = tensor::PadOp::create(
        rewriter, op.getLoc(), padType.clone(shape), t.getInput(),
        permuted(op.getMixedLowPad(), inverse),
        permuted(op.getMixedHighPad(), inverse), padValue, op.getNofold());
    rewriter.replaceOp(op,
                       transposeValue(rewriter, op.getLoc(), padded.getResult(),
                                      t.getPermutation()));
    return success();
  }
};

/// insert_slice(transpose(y, p) into d) -> transpose(insert_slice(y into
/// d'), p), with the offsets, sizes and strides permuted, when d costs
/// nothing to permute: a transpose with the same permutation (the previous
/// slice of a concatenation, once moved), an empty tensor or a fill (a
/// concatenation's or a zero-stuffed transposed convolution's destination).
/// Rank-reducing insertions stay, and so do insertions of a model's input
/// into a fill (whose transpose HoistTransposeAboveInsertedArgument put
/// there).
struct SinkTransposeThroughInsertSlice
    : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp op,
                                PatternRewriter &rewriter) const override {
    auto t = op.getSource().getDefiningOp<linalg::TransposeOp>();
    if (!t || !t.hasPureTensorSemantics() ||
        op.getSourceType().getRank() != op.getDestType().getRank() ||
        (isInsertIntoFill(op) && isInputChain(t.getInput())))
      return failure();
    // Upstream's FoldInsertPadIntoFill (a linalg.fill canonicalization, LLVM
    // 22) folds a padding into a strided insert_slice into a fill of the
    // padding value with the offset moved by the low padding, not by the
    // low padding times the stride: a wrong result. Do not bring a padding
    // next to a strided insertion.
    if (!op.hasUnitStride() && t.getInput().getDefiningOp<tensor::PadOp>())
      return rewriter.notifyMatchFailure(op, "a padding into a strided "
                                             "insertion");
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse = invertPermutationVector(perm);
    Value dest = op.getDest();
    Operation *producer = dest.getDefiningOp();
    auto destT = dyn_cast_or_null<linalg::TransposeOp>(producer);
    if (destT && llvm::equal(destT.getPermutation(), perm))
      dest = destT.getInput();
    else if (isa_and_nonnull<tensor::EmptyOp, linalg::FillOp>(producer))
      dest = transposeValue(rewriter, op.getLoc(), dest, inverse); // folds away
    else
      return rewriter.notifyMatchFailure(op, "destination not transposable "
                                             "for free");
    auto inserted =
        tensor::InsertSliceOp::create(rewriter, op.getLoc(), t.getInput(), dest,
                                      permuted(op.getMixedOffsets(), inverse),
                                      permuted(op.getMixedSizes(), inverse),
                                      permuted(op.getMixedStrides(), inverse));
    rewriter.replaceOp(
        op, transposeValue(rewriter, op.getLoc(), inserted.getResult(), perm));
    return success();
  }
};

/// transpose(pad(arg, c), p) -> pad'(transpose(arg, p), c) for a block
/// argument (a model's input): the input is transposed once, before it is
/// padded, and the pad meets the layer in the layer's layout.
struct HoistTransposeAbovePaddedArgument
    : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto pad = op.getInput().getDefiningOp<tensor::PadOp>();
    Value padValue = pad ? pad.getConstantPaddingValue() : Value();
    if (!pad || !padValue || !isInputChain(pad.getSource()) ||
        !op.hasPureTensorSemantics())
      return failure();
    // Other than `op`, only the sizes of the padded tensor may be used.
    std::optional<SmallVector<tensor::DimOp>> dims = getSizeReaders(pad, op);
    if (!dims)
      return failure();
    ArrayRef<int64_t> perm = op.getPermutation();
    // Where the old pad was, so that the new one dominates its users.
    rewriter.setInsertionPointAfter(pad);
    Value x = transposeValue(rewriter, op.getLoc(), pad.getSource(), perm);
    auto padded = tensor::PadOp::create(
        rewriter, pad.getLoc(), op->getResult(0).getType(), x,
        permuted(pad.getMixedLowPad(), perm),
        permuted(pad.getMixedHighPad(), perm), padValue, pad.getNofold());
    SmallVector<int64_t> inverse = invertPermutationVector(perm);
    for (tensor::DimOp dim : *dims) {
      rewriter.setInsertionPoint(dim);
      rewriter.replaceOpWithNewOp<tensor::DimOp>(
          dim, padded.getResult(), inverse[*dim.getConstantIndex()]);
    }
    rewriter.replaceOp(op, padded.getResult());
    return success();
  }
};

/// transpose(insert_slice(x into fill(c)), p) -> insert_slice(transpose(x,
/// p) into fill(c)'), offsets, sizes and strides permuted, for x on a
/// model's input chain: a model that starts with a transposed convolution
/// (or pads by an insertion) transposes its input, not the spread or padded
/// tensor, and the layer then sees the spread in its own layout.
struct HoistTransposeAboveInsertedArgument
    : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto insert = op.getInput().getDefiningOp<tensor::InsertSliceOp>();
    if (!insert || !isInsertIntoFill(insert) ||
        !isInputChain(insert.getSource()) || !op.hasPureTensorSemantics())
      return failure();
    // Other than `op`, only the sizes of the filled tensor may be used (the
    // layout conversion's tensor.dim for the transpose's init): they read
    // the fill, which has them.
    std::optional<SmallVector<tensor::DimOp>> dims = getSizeReaders(insert, op);
    if (!dims)
      return failure();
    for (tensor::DimOp dim : *dims)
      rewriter.modifyOpInPlace(
          dim, [&] { dim.getSourceMutable().assign(insert.getDest()); });
    ArrayRef<int64_t> perm = op.getPermutation();
    auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
    Location loc = op.getLoc();
    Value x = transposeValue(rewriter, loc, insert.getSource(), perm);
    Value filled = linalg::FillOp::create(rewriter, fill.getLoc(),
                                          fill.getInputs()[0], op.getInit())
                       .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, x, filled, permuted(insert.getMixedOffsets(), perm),
        permuted(insert.getMixedSizes(), perm),
        permuted(insert.getMixedStrides(), perm));
    return success();
  }
};

/// matmul(collapse(transpose(y, p)), W) with the batch dimension kept
/// (p[0] = 0, reassociation [[0], [1, ..]]) and constant W (or a
/// qnt.dequantize of one, per tensor or per column) ->
/// matmul(collapse(y), W'), W's rows permuted at compile time to y's order:
/// the flatten of an NCHW model's features reads the NHWC tensor as it is.
struct PermuteFlattenedWeights : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() ||
        op.getIndexingMapsArray() !=
            linalg::MatmulOp::getDefaultIndexingMaps(op.getContext()))
      return failure();
    auto collapse = op.getInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
    // Constant weights, or a qnt.dequantize of constant weights (a QDQ
    // model's) per tensor or per output column.
    DenseElementsAttr weights;
    auto dequantize = op.getInputs()[1].getDefiningOp<qnt::DequantizeOp>();
    if (dequantize &&
        (dequantize.hasPacking() || dequantize.getParams().getBlockSize() > 0 ||
         dequantize.getParams().getAxis() == 0 ||
         !matchPattern(dequantize.getInput(), m_Constant(&weights))))
      return failure();
    if (!collapse || !collapse->hasOneUse() ||
        (!dequantize && !matchPattern(op.getInputs()[1], m_Constant(&weights))))
      return failure();
    auto t = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
    auto groups = collapse.getReassociationIndices();
    if (!t || groups.size() != 2 || groups[0].size() != 1 ||
        t.getPermutation()[0] != 0)
      return failure();
    auto yType = cast<RankedTensorType>(t.getInput().getType());
    if (!llvm::all_of(yType.getShape().drop_front(),
                      [](int64_t s) { return !ShapedType::isDynamic(s); }))
      return failure();
    ArrayRef<int64_t> perm = t.getPermutation();
    // Feature dims of y (1..r-1) and of the transposed tensor.
    SmallVector<int64_t> yFeat(yType.getShape().drop_front());
    SmallVector<int64_t> tFeat;
    for (int64_t p : perm.drop_front())
      tFeat.push_back(yType.getDimSize(p));
    SmallVector<int64_t> tStrides = computeStrides(tFeat);
    SmallVector<int64_t> yStrides = computeStrides(yFeat);
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t n = wType.getDimSize(1);
    // New row r (y order) is old row (transposed order) of the same element.
    auto oldRow = [&](int64_t r) {
      int64_t old = 0;
      for (size_t i = 1; i < perm.size(); ++i) {
        int64_t yDim = perm[i] - 1;
        int64_t index = (r / yStrides[yDim]) % yFeat[yDim];
        old += index * tStrides[i - 1];
      }
      return old;
    };
    DenseElementsAttr permutedW = gatherConstant(
        weights, wType, [&](int64_t i) { return oldRow(i / n) * n + i % n; });
    Location loc = op.getLoc();
    Value flat = tensor::CollapseShapeOp::create(rewriter, collapse.getLoc(),
                                                 t.getInput(), groups);
    Value w = arith::ConstantOp::create(rewriter, loc, permutedW);
    if (dequantize)
      w = cloneQntOp(rewriter, dequantize, w, dequantize.getParams());
    rewriter.modifyOpInPlace(op, [&] {
      op->setOperand(0, flat);
      op->setOperand(1, w);
    });
    return success();
  }
};

/// A transpose that only moves unit dimensions (a squeeze-and-excitation
/// vector [N][C][1][1] to [N][1][1][C]) moves no data: it becomes a
/// collapse_shape to the other dimensions and an expand_shape to the
/// result's shape, which bufferize to views of the same buffer.
struct TransposeOfUnitDims : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    auto srcType = cast<RankedTensorType>(op.getInput().getType());
    auto dstType = cast<RankedTensorType>(op->getResult(0).getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    // The dimensions other than static 1s (dynamic ones count), in the
    // result's order: a view when they keep the source's order.
    SmallVector<int64_t> kept;
    for (int64_t d : perm)
      if (srcType.getDimSize(d) != 1)
        kept.push_back(d);
    if (kept.empty() || !llvm::is_sorted(kept) ||
        llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return failure();
    // One group per kept dimension, with the unit dimensions around it
    // (leading ones join the first group).
    auto groups = [](RankedTensorType type) {
      SmallVector<ReassociationIndices> result;
      ReassociationIndices leading;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        if (type.getDimSize(d) != 1 || result.empty()) {
          if (type.getDimSize(d) == 1) {
            leading.push_back(d);
            continue;
          }
          ReassociationIndices group = leading;
          leading.clear();
          group.push_back(d);
          result.push_back(group);
          continue;
        }
        result.back().push_back(d);
      }
      return result;
    };
    Location loc = op.getLoc();
    Value collapsed = tensor::CollapseShapeOp::create(
        rewriter, loc, op.getInput(), groups(srcType));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, dstType, collapsed,
                                                       groups(dstType));
    return success();
  }
};

} // namespace

void quantopt::populateQntUnitDimTransposePatterns(
    RewritePatternSet &patterns) {
  patterns.add<TransposeOfUnitDims>(patterns.getContext());
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns,
                                                       patterns.getContext());
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns,
                                                     patterns.getContext());
}

void quantopt::populateQntTransposePropagationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      FoldTransposes, TransposeOfFillOrEmpty, SinkTransposeThroughGeneric,
      SinkTransposeThroughPad, SinkTransposeThroughInsertSlice,
      HoistTransposeAbovePaddedArgument, HoistTransposeAboveInsertedArgument,
      PermuteFlattenedWeights, SinkTransposeThroughQnt<qnt::QuantizeOp>,
      SinkTransposeThroughQnt<qnt::DequantizeOp>, HoistTransposeAboveQnt>(
      patterns.getContext());
}
