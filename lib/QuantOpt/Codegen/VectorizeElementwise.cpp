//===- VectorizeElementwise.cpp - SIMD loops for element-wise generics ----===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-vectorize-elementwise gives the element-wise linalg.generics that no
// kernel fused (the quantization of an activation, dequantization, bias and
// activation functions on their own) and the min/max range reductions of
// qnt.dynamic_quantize loops over vectors (docs/Codegen.md):
//
// - element-wise: the body runs op for op on vectors (the body vectorizer of
//   the fused epilogues), over the elements in one dimension when every
//   input is read through the identity map or is uniform, else over the
//   last dimension; full vectors, then one masked tail;
// - reductions over the innermost dimensions whose every result is
//   `K(acc, e)` or `select(c, K(acc, e), acc)` with K a minimum or maximum
//   (or an integer addition, which wraps: the activation row sums of
//   asymmetric weights; or, with reassociate-float-sums, a float addition)
//   and `e`, `c` computed from the input alone, into results indexed by the
//   parallel loops (and zeros for keepdims dimensions of size 1): one
//   vector of partial results per result, the tail as one masked vector,
//   combined with vector.reduction at the end. Minimum and maximum are
//   exact, so the result is the reference's value; one exception: when the
//   extreme is a zero and both +0 and -0 occur, the sign of the zero can
//   differ (the reference's expanded minimumf/maximumf keeps the later of
//   two equal values, vector.reduction orders -0 < +0). Float sums round
//   in another order than the reference's (the bound is in
//   docs/Codegen.md).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "Epilogue.h"
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/SmallBitVector.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTVECTORIZEELEMENTWISE
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {

Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The lanes of vectors along a static dimension of `size`: `lanes`, or the
/// size rounded down to a power of two when it is shorter, so that rows
/// need no masks; none below 4.
std::optional<int64_t> getLanesAlong(int64_t size, int64_t lanes) {
  while (lanes > size && lanes > 4)
    lanes /= 2;
  if (lanes > size)
    return std::nullopt;
  return lanes;
}

/// for (i = lo; i < hi; i += step) body(i)
void forLoop(OpBuilder &b, Location loc, Value lo, Value hi, Value step,
             function_ref<void(OpBuilder &, Value)> body) {
  scf::ForOp::create(b, loc, lo, hi, step, ValueRange{},
                     [&](OpBuilder &nb, Location, Value i, ValueRange) {
                       body(nb, i);
                       scf::YieldOp::create(nb, loc);
                     });
}

/// The same loop, or, when `parallel`, an scf.parallel (its iterations
/// shared among the threads by the OpenMP conversion).
void forLoop(OpBuilder &b, Location loc, Value lo, Value hi, Value step,
             bool parallel, function_ref<void(OpBuilder &, Value)> body) {
  if (!parallel)
    return forLoop(b, loc, lo, hi, step, body);
  scf::ParallelOp::create(
      b, loc, ValueRange{lo}, ValueRange{hi}, ValueRange{step},
      [&](OpBuilder &nb, Location, ValueRange ivs) { body(nb, ivs[0]); });
}

/// A loop over [lo, hi) that threads the tensor `dest` through its
/// iterations: body(i, current) returns the updated tensor.
Value forLoopOn(OpBuilder &b, Location loc, Value lo, Value hi, Value step,
                Value dest,
                function_ref<Value(OpBuilder &, Value, Value)> body) {
  return scf::ForOp::create(
             b, loc, lo, hi, step, ValueRange{dest},
             [&](OpBuilder &nb, Location, Value i, ValueRange args) {
               scf::YieldOp::create(nb, loc, body(nb, i, args[0]));
             })
      .getResult(0);
}

/// The element-wise rewrite; false when `op` does not fit. The vectors are
/// written into a tensor threaded through the loops (destination-passing),
/// so that bufferization can write in place: into an input that dies here
/// (as it does for the generic itself) or else into the generic's init.
bool vectorizeElementwise(RewriterBase &rewriter, linalg::GenericOp op,
                          int64_t lanes, int64_t threads) {
  std::optional<FusedEpilogue> body = FusedEpilogue::standalone(op);
  if (!body)
    return false;
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  OpBuilder &b = rewriter;
  bool flat = body->isFlat();
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = outType.getRank();
  // Along a short static last dimension, shorter vectors.
  if (!flat && !outType.isDynamicDim(rank - 1)) {
    std::optional<int64_t> along =
        getLanesAlong(outType.getDimSize(rank - 1), lanes);
    if (!along)
      return false;
    lanes = *along;
  }
  Value init = op.getDpsInitOperand(0)->get();
  // Writing into an input is safe when nothing else the loops read can
  // alias it: every other input is a constant or uniform.
  Value dest = init;
  Value input; // the input written in place, if any
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in->get().getType() != outType || !in->get().hasOneUse() ||
        !op.getMatchingIndexingMap(in).isIdentity())
      continue;
    bool othersConstant = llvm::all_of(
        op.getDpsInputOperands(), [&](OpOperand *other) {
          Value v = other->get();
          return other == in || v.getDefiningOp<arith::ConstantOp>() ||
                 v.getDefiningOp<linalg::FillOp>() ||
                 cast<RankedTensorType>(v.getType()).getRank() == 0;
        });
    if (othersConstant) {
      dest = input = in->get();
      break;
    }
  }
  body->prepare(b, loc, lanes, flat);
  SmallVector<Value> dims;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back(getDimSize(b, loc, init, d));
  Value c0 = cst(b, loc, 0), c1 = cst(b, loc, 1), step = cst(b, loc, lanes);
  // The innermost loop over [0, size): full vectors, then one masked tail.
  // The chain reads its inputs at `outer` + (base + j); the vectors are
  // written into `t` at `writeOuter` + j.
  auto vectorLoop = [&](OpBuilder &nb, Value t, Value size,
                        ArrayRef<Value> outer, Value base,
                        ArrayRef<Value> writeOuter) {
    Value full = arith::MulIOp::create(
        nb, loc, arith::DivUIOp::create(nb, loc, size, step), step);
    auto store = [&](bool inBounds) {
      return [&, inBounds](OpBuilder &lb, Value j, Value current) -> Value {
        SmallVector<Value> idx(outer.begin(), outer.end());
        idx.push_back(base ? arith::AddIOp::create(lb, loc, base, j).getResult()
                           : j);
        SmallVector<Value> at(writeOuter.begin(), writeOuter.end());
        at.push_back(j);
        FusedEpilogue::InPlaceRead inPlace{input, current, at};
        Value v = body->apply(lb, loc, nullptr, idx, inBounds,
                              input ? &inPlace : nullptr);
        return vector::TransferWriteOp::create(lb, loc, v, current, at,
                                               ArrayRef<bool>{inBounds})
            .getResult();
      };
    };
    t = forLoopOn(nb, loc, c0, full, step, t, store(true));
    return forLoopOn(nb, loc, full, size, step, t, store(false));
  };
  // All dimensions (flat) or all but the last (rows) as one.
  auto collapse = [&](Value t, int64_t count,
                      SmallVector<OpFoldResult> &shape) {
    shape.clear();
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(outType.isDynamicDim(d)
                          ? OpFoldResult(dims[d])
                          : OpFoldResult(b.getIndexAttr(outType.getDimSize(d))));
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t d = 0; d < count; ++d)
      groups[0].push_back(d);
    for (int64_t d = count; d < rank; ++d)
      groups.push_back({d});
    return std::make_pair(
        tensor::CollapseShapeOp::create(b, loc, t, groups).getResult(), groups);
  };
  Value result;
  bool parallel =
      threads > 1 && (flat || rank > 1) && hasParallelWork(outType.getShape());
  if (parallel) {
    // Shares across threads (scf.forall, an scf.parallel after
    // bufferization): the elements in one dimension (flat, shares of whole
    // vectors), else the rows of the last dimension. Each share writes its
    // slice of the destination.
    SmallVector<OpFoldResult> shape;
    auto [view, groups] = collapse(dest, flat ? rank : rank - 1, shape);
    Value count = c1;
    for (int64_t d = 0; d < (flat ? rank : rank - 1); ++d)
      count = arith::MulIOp::create(b, loc, count, dims[d]);
    int64_t granule = flat ? lanes : 1;
    // With a dynamic size, fewer than kMinParallelElements elements at run
    // time make one share (which qnt-single-share then runs without a
    // fork): a one-row input's quantization is not worth a thread.
    OpFoldResult shares = b.getIndexAttr(threads);
    Value shareCount = cst(b, loc, threads);
    if (!outType.hasStaticShape()) {
      Value elements =
          flat ? count : arith::MulIOp::create(b, loc, count, dims.back());
      shareCount = arith::SelectOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, elements,
                                cst(b, loc, kMinParallelElements)),
          shareCount, c1);
      shares = shareCount;
    }
    // share = ceil(count / (shares * granule)) * granule
    Value share = arith::MulIOp::create(
        b, loc,
        arith::CeilDivUIOp::create(
            b, loc, count,
            arith::MulIOp::create(b, loc, shareCount, cst(b, loc, granule))),
        cst(b, loc, granule));
    auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{shares},
                                        ValueRange{view}, std::nullopt);
    {
      OpBuilder::InsertionGuard g(b);
      OpBuilder &fb = b;
      fb.setInsertionPoint(forall.getTerminator());
      ValueRange args = forall.getBody()->getArguments();
      Value first = arith::MinUIOp::create(
          fb, loc, arith::MulIOp::create(fb, loc, args[0], share), count);
      Value size = arith::MinUIOp::create(
          fb, loc, share, arith::SubIOp::create(fb, loc, count, first));
      SmallVector<OpFoldResult> offsets{first}, sizes{size},
          strides{fb.getIndexAttr(1)};
      if (!flat) {
        offsets.push_back(fb.getIndexAttr(0));
        sizes.push_back(shape.back());
        strides.push_back(fb.getIndexAttr(1));
      }
      Value slice = tensor::ExtractSliceOp::create(fb, loc, args[1], offsets,
                                                   sizes, strides);
      Value written;
      if (flat) {
        written = vectorLoop(fb, slice, size, {}, first, {});
      } else {
        written = forLoopOn(
            fb, loc, c0, size, c1, slice,
            [&](OpBuilder &rb, Value r, Value current) {
              // The row's indices in the outer dimensions.
              Value row = arith::AddIOp::create(rb, loc, first, r);
              SmallVector<Value> outer(rank - 1);
              for (int64_t d = rank - 2; d >= 0; --d) {
                outer[d] = d == 0
                               ? row
                               : arith::RemUIOp::create(rb, loc, row, dims[d])
                                     .getResult();
                if (d > 0)
                  row = arith::DivUIOp::create(rb, loc, row, dims[d]);
              }
              return vectorLoop(rb, current, dims.back(), outer, nullptr, {r});
            });
      }
      fb.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(fb, loc, written, args[1], offsets,
                                            sizes, strides);
    }
    result = tensor::ExpandShapeOp::create(b, loc, outType, forall.getResult(0),
                                           groups, shape);
  } else if (flat && rank > 1) {
    Value total = c1;
    for (int64_t d = 0; d < rank; ++d)
      total = arith::MulIOp::create(b, loc, total, dims[d]);
    SmallVector<OpFoldResult> shape;
    auto [flatDest, groups] = collapse(dest, rank, shape);
    Value written = vectorLoop(b, flatDest, total, {}, nullptr, {});
    result =
        tensor::ExpandShapeOp::create(b, loc, outType, written, groups, shape);
  } else {
    // Loops over the outer dimensions, vectors along the last one.
    std::function<Value(OpBuilder &, SmallVector<Value>, Value)> nest =
        [&](OpBuilder &nb, SmallVector<Value> outer, Value t) -> Value {
      if (static_cast<int64_t>(outer.size()) == rank - 1)
        return vectorLoop(nb, t, dims.back(), outer, nullptr, outer);
      return forLoopOn(nb, loc, c0, dims[outer.size()], c1, t,
                       [&](OpBuilder &lb, Value i, Value current) {
                         SmallVector<Value> next = outer;
                         next.push_back(i);
                         return nest(lb, next, current);
                       });
    };
    result = nest(b, {}, dest);
  }
  rewriter.replaceOp(op, result);
  return true;
}

/// The combining kind of a minimum/maximum op, if it is one.
std::optional<vector::CombiningKind> getMinMaxKind(Operation *op,
                                                   bool reassociateFloatSums) {
  if (isa<arith::MinimumFOp>(op))
    return vector::CombiningKind::MINIMUMF;
  if (isa<arith::MaximumFOp>(op))
    return vector::CombiningKind::MAXIMUMF;
  if (isa<arith::MinSIOp>(op))
    return vector::CombiningKind::MINSI;
  if (isa<arith::MaxSIOp>(op))
    return vector::CombiningKind::MAXSI;
  if (isa<arith::MinUIOp>(op))
    return vector::CombiningKind::MINUI;
  if (isa<arith::MaxUIOp>(op))
    return vector::CombiningKind::MAXUI;
  // Integer addition wraps: associative and commutative, so exact too.
  if (isa<arith::AddIOp>(op))
    return vector::CombiningKind::ADD;
  // Float addition only when the caller allows the sums to be reassociated.
  if (isa<arith::AddFOp>(op) && reassociateFloatSums)
    return vector::CombiningKind::ADD;
  return std::nullopt;
}

/// Whether `v` is computed from the body's input argument alone.
bool dependsOnInputOnly(Value v, Block &body, unsigned numInputs) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() != &body || arg.getArgNumber() < numInputs;
  Operation *def = v.getDefiningOp();
  if (def->getBlock() != &body)
    return true; // from outside
  return llvm::all_of(def->getOperands(), [&](Value o) {
    return dependsOnInputOnly(o, body, numInputs);
  });
}

/// Whether `op` may be one of the vectorized reductions: inputs and inits,
/// not a kernel's integer contraction, a body that maps onto vectors.
bool isReductionCandidate(linalg::GenericOp op) {
  return op.getNumDpsInputs() > 0 && op.getNumDpsInits() > 0 &&
         !isIntegerContraction(op) &&
         isVectorizableBody(op.getRegion().front());
}

/// The min/max range reduction rewrite; false when `op` does not fit.
bool vectorizeMinMax(RewriterBase &rewriter, linalg::GenericOp op,
                     int64_t lanes, bool reassociateFloatSums,
                     int64_t threads) {
  if (!isReductionCandidate(op))
    return false;
  Block &body = op.getRegion().front();
  // One input is read; others may only give the loops their shape (their
  // block arguments unused, as in the row sums of asymmetric weights).
  unsigned numInputs = op.getNumDpsInputs();
  for (unsigned i = 1; i < numInputs; ++i)
    if (!body.getArgument(i).use_empty())
      return false;
  auto iterators = op.getIteratorTypesArray();
  int64_t rank = op.getNumLoops();
  int64_t p = 0; // leading parallel loops
  while (p < rank && iterators[p] == utils::IteratorType::parallel)
    ++p;
  if (p == rank)
    return false;
  for (int64_t i = p; i < rank; ++i)
    if (iterators[i] != utils::IteratorType::reduction)
      return false;
  OpOperand *input = op.getDpsInputOperand(0);
  if (!op.getMatchingIndexingMap(input).isIdentity())
    return false;
  // Each result is indexed by the parallel loops, optionally followed by
  // zeros for dimensions of size 1 (a keepdims reduction's [..., 1]).
  auto isRowMap = [&](OpOperand *init) {
    AffineMap map = op.getMatchingIndexingMap(init);
    auto type = cast<RankedTensorType>(init->get().getType());
    if (map.getNumResults() < p || (map.getNumResults() > p && p == 0))
      return false;
    for (auto [d, e] : llvm::enumerate(map.getResults())) {
      if (static_cast<int64_t>(d) < p) {
        if (e != getAffineDimExpr(d, op.getContext()))
          return false;
      } else if (e != getAffineConstantExpr(0, op.getContext()) ||
                 type.getDimSize(d) != 1) {
        return false;
      }
    }
    return true;
  };
  auto inType = cast<RankedTensorType>(input->get().getType());
  if (!isStorableElementType(inType.getElementType()))
    return false;
  // Every result: K(acc, e) or select(c, K(acc, e), acc).
  SmallVector<vector::CombiningKind> kinds;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  for (OpOperand &initOperand : op.getDpsInitsMutable()) {
    OpOperand *init = &initOperand;
    if (!isRowMap(init) ||
        !isStorableElementType(getElementTypeOrSelf(init->get().getType())))
      return false;
    BlockArgument acc = op.getMatchingBlockArgument(init);
    Value y = yield.getOperand(init->getOperandNumber() - numInputs);
    Operation *minmax = y.getDefiningOp();
    if (auto select = y.getDefiningOp<arith::SelectOp>()) {
      if (select.getFalseValue() != acc ||
          !dependsOnInputOnly(select.getCondition(), body, numInputs))
        return false;
      minmax = select.getTrueValue().getDefiningOp();
    }
    std::optional<vector::CombiningKind> kind =
        minmax ? getMinMaxKind(minmax, reassociateFloatSums) : std::nullopt;
    if (!kind)
      return false;
    Value other = minmax->getOperand(0) == acc ? minmax->getOperand(1)
                                                : minmax->getOperand(0);
    if ((minmax->getOperand(0) != acc && minmax->getOperand(1) != acc) ||
        !dependsOnInputOnly(other, body, numInputs))
      return false;
    kinds.push_back(*kind);
  }

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  KernelBuilder kernel(rewriter, loc);
  OpBuilder &b = kernel.getBody();
  // The input as [P][R] (P = 1 without parallel loops), the results (fresh
  // tensors) as [P].
  Value x = input->get();
  Value xBuffer = kernel.addInput(x, KernelBuilder::identity(inType));
  SmallVector<Value> initsFlat, outsFlat;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    initsFlat.push_back(flatBuffer(kernel, loc, init.get()));
    auto type = cast<RankedTensorType>(init.get().getType());
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dyn.push_back(getDimSize(rewriter, loc, init.get(), d));
    Value out = kernel.addFreshOutput(type, dyn);
    outsFlat.push_back(collapseDims(b, loc, out, 0, type.getRank()));
  }
  Value c0 = cst(b, loc, 0), c1 = cst(b, loc, 1), step = cst(b, loc, lanes);
  Value rows = c1, size = c1;
  for (int64_t d = 0; d < rank; ++d) {
    Value dim = memref::DimOp::create(b, loc, xBuffer, d);
    if (d < p)
      rows = arith::MulIOp::create(b, loc, rows, dim);
    else
      size = arith::MulIOp::create(b, loc, size, dim);
  }
  Value xFlat = collapseDims(b, loc, xBuffer, p, rank - p);
  if (p > 0)
    xFlat = collapseDims(b, loc, xFlat, 0, p);
  Type element = inType.getElementType();
  auto vecType = VectorType::get({lanes}, element);
  Value full = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, size, step), step);
  unsigned numResults = op.getNumDpsInits();
  // With threads, the rows are shared among them (each writes its own
  // results).
  bool parallel = threads > 1 && p > 0 && hasParallelWork(inType.getShape());
  forLoop(b, loc, c0, rows, c1, parallel, [&](OpBuilder &rb, Value row) {
    auto at = [&](Value j) {
      return p > 0 ? SmallVector<Value>{row, j} : SmallVector<Value>{j};
    };
    auto rowIdx = [&]() {
      return p > 0 ? SmallVector<Value>{row} : SmallVector<Value>{};
    };
    // Minima and maxima start every lane at the init; sums start at the
    // identity (0; -0.0 for floats, so that a sum of negative zeros stays
    // -0 as in the reference) and add the init once at the end.
    SmallVector<Value> initVals, accVecs;
    for (unsigned i = 0; i < numResults; ++i) {
      initVals.push_back(memref::LoadOp::create(rb, loc, initsFlat[i], rowIdx()));
      Type scalar = initVals.back().getType();
      auto type = VectorType::get({lanes}, scalar);
      Value start;
      if (kinds[i] != vector::CombiningKind::ADD)
        start = vector::BroadcastOp::create(rb, loc, type, initVals.back());
      else if (auto f = dyn_cast<FloatType>(scalar))
        start = arith::ConstantOp::create(
            rb, loc,
            DenseElementsAttr::get(
                type, APFloat::getZero(f.getFloatSemantics(), /*Negative=*/true)));
      else
        start = arith::ConstantOp::create(rb, loc, rb.getZeroAttr(type));
      accVecs.push_back(start);
    }
    auto vloop = scf::ForOp::create(
        rb, loc, c0, full, step, accVecs,
        [&](OpBuilder &lb, Location, Value j, ValueRange accs) {
          SmallVector<Value> args(numInputs, nullptr);
          args[0] = vector::LoadOp::create(lb, loc, vecType, xFlat, at(j));
          args.append(accs.begin(), accs.end());
          scf::YieldOp::create(lb, loc,
                               vectorizeBody(lb, loc, body, args, lanes));
        });
    // The tail as one masked vector: the body runs on every lane (padding
    // lanes read 0), and the lanes past the end keep their partial result.
    Value remaining = arith::SubIOp::create(rb, loc, size, full);
    auto maskType = VectorType::get({lanes}, rb.getI1Type());
    Value mask = vector::CreateMaskOp::create(rb, loc, maskType,
                                              ValueRange{remaining});
    SmallVector<Value> args(numInputs, nullptr);
    args[0] = vector::TransferReadOp::create(
        rb, loc, vecType, xFlat, at(full),
        arith::ConstantOp::create(rb, loc, rb.getZeroAttr(element)),
        ArrayRef<bool>{false});
    args.append(vloop.getResults().begin(), vloop.getResults().end());
    SmallVector<Value> withTail = vectorizeBody(rb, loc, body, args, lanes);
    for (unsigned i = 0; i < numResults; ++i) {
      Value partial = arith::SelectOp::create(rb, loc, mask, withTail[i],
                                              vloop.getResult(i));
      bool isFloatSum = kinds[i] == vector::CombiningKind::ADD &&
                        isa<FloatType>(initVals[i].getType());
      // A float sum's lanes combine with the init as a tree (reassoc): an
      // order fixed when compiling, so every call gives the same bits.
      Value r = isFloatSum ? vector::ReductionOp::create(
                                 rb, loc, kinds[i], partial, initVals[i],
                                 arith::FastMathFlags::reassoc)
                                 .getResult()
                           : vector::ReductionOp::create(rb, loc, kinds[i],
                                                         partial)
                                 .getResult();
      if (!isFloatSum && kinds[i] == vector::CombiningKind::ADD)
        r = arith::AddIOp::create(rb, loc, initVals[i], r);
      memref::StoreOp::create(rb, loc, r, outsFlat[i], rowIdx());
    }
  });
  rewriter.replaceOp(op, kernel.finish());
  return true;
}

/// The rewrite of reductions along outer dimensions whose innermost loop is
/// parallel (the global average pooling of an NHWC tensor: sums over H and
/// W, per channel): vectors along the innermost dimension, each lane one
/// result, accumulated over the reduction loops in their order. Every result
/// is computed in the reference's order, so any body (float sums included)
/// gives the reference's bits. False when `op` does not fit.
bool vectorizeOuterReduction(RewriterBase &rewriter, linalg::GenericOp op,
                             int64_t lanes, int64_t threads) {
  if (!isReductionCandidate(op))
    return false;
  Block &body = op.getRegion().front();
  auto iterators = op.getIteratorTypesArray();
  int64_t rank = op.getNumLoops();
  if (rank < 2 || iterators.back() != utils::IteratorType::parallel ||
      llvm::none_of(iterators, [](utils::IteratorType t) {
        return t == utils::IteratorType::reduction;
      }))
    return false;
  // Inputs: read through the identity map (the innermost loop contiguous).
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(in->get().getType());
    if (!type || !op.getMatchingIndexingMap(in).isIdentity() ||
        !isStorableElementType(type.getElementType()))
      return false;
  }
  auto inType = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  if (inType.isDynamicDim(rank - 1))
    return false;
  int64_t size = inType.getDimSize(rank - 1);
  std::optional<int64_t> along = getLanesAlong(size, lanes);
  if (!along)
    return false;
  lanes = *along;
  // Results: indexed by every parallel loop once and zeros for dimensions
  // of size 1, the innermost loop at the last dimension that is not such a
  // zero, so that its elements are contiguous. (A parallel loop a result
  // does not index would accumulate across it in the reference's loops;
  // the column blocks here start from the init for each of its values.)
  SmallVector<int64_t> lastAt; // per init: the result position of d_last
  for (OpOperand &init : op.getDpsInitsMutable()) {
    auto type = cast<RankedTensorType>(init.get().getType());
    if (!isStorableElementType(type.getElementType()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&init);
    int64_t at = -1;
    llvm::SmallBitVector indexed(rank);
    for (auto [j, e] : llvm::enumerate(map.getResults())) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        if (iterators[d.getPosition()] != utils::IteratorType::parallel ||
            indexed.test(d.getPosition()))
          return false;
        indexed.set(d.getPosition());
        if (static_cast<int64_t>(d.getPosition()) == rank - 1)
          at = j;
        continue;
      }
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (!c || c.getValue() != 0 || type.getDimSize(j) != 1)
        return false;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (iterators[d] == utils::IteratorType::parallel && !indexed.test(d))
        return false;
    if (at < 0)
      return false;
    for (int64_t j = at + 1; j < type.getRank(); ++j)
      if (!isa<AffineConstantExpr>(map.getResult(j)))
        return false;
    lastAt.push_back(at);
  }

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  KernelBuilder kernel(rewriter, loc);
  OpBuilder &b = kernel.getBody();
  SmallVector<Value> ins, initBufs, outs;
  for (OpOperand *in : op.getDpsInputOperands())
    ins.push_back(kernel.addInput(
        in->get(),
        KernelBuilder::identity(cast<RankedTensorType>(in->get().getType()))));
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    auto type = cast<RankedTensorType>(init.get().getType());
    int64_t tail = type.getRank() - lastAt[i];
    initBufs.push_back(collapseDims(
        b, loc, kernel.addInput(init.get(), KernelBuilder::identity(type)),
        lastAt[i], tail));
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dyn.push_back(getDimSize(rewriter, loc, init.get(), d));
    outs.push_back(collapseDims(b, loc, kernel.addFreshOutput(type, dyn),
                                lastAt[i], tail));
  }
  Value c0 = cst(b, loc, 0), c1 = cst(b, loc, 1);
  SmallVector<Value> dims;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back(memref::DimOp::create(b, loc, ins[0], d));
  SmallVector<int64_t> parallelDims, reductionDims;
  for (int64_t d = 0; d + 1 < rank; ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallelDims
                                                   : reductionDims)
        .push_back(d);
  unsigned numInputs = op.getNumDpsInputs();
  unsigned numResults = op.getNumDpsInits();
  Value step = cst(b, loc, lanes);
  Value full = cst(b, loc, size / lanes * lanes);
  // The indices of init `i` at loop values `iv` (the innermost at `col`),
  // in the collapsed buffer.
  auto resultIdx = [&](OpBuilder &nb, unsigned i, ArrayRef<Value> iv,
                       Value col) {
    AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(i));
    SmallVector<Value> idx;
    for (int64_t j = 0; j < lastAt[i]; ++j) {
      AffineExpr e = map.getResult(j);
      idx.push_back(isa<AffineDimExpr>(e)
                        ? iv[cast<AffineDimExpr>(e).getPosition()]
                        : Value(c0));
    }
    idx.push_back(col);
    return idx;
  };
  // One column block: accumulators from the inits, the reduction loops in
  // order, the results stored.
  auto column = [&](OpBuilder &cb, SmallVector<Value> iv, Value col,
                    bool inBounds) {
    SmallVector<Value> accs;
    for (unsigned i = 0; i < numResults; ++i) {
      auto vecType = VectorType::get(
          {lanes}, getElementTypeOrSelf(op.getDpsInits()[i].getType()));
      Value pad = arith::ConstantOp::create(
          cb, loc, cb.getZeroAttr(vecType.getElementType()));
      accs.push_back(vector::TransferReadOp::create(
          cb, loc, vecType, initBufs[i], resultIdx(cb, i, iv, col), pad,
          ArrayRef<bool>{inBounds}));
    }
    std::function<SmallVector<Value>(OpBuilder &, size_t, SmallVector<Value>)>
        reduce = [&](OpBuilder &rb, size_t level,
                     SmallVector<Value> current) -> SmallVector<Value> {
      if (level == reductionDims.size()) {
        SmallVector<Value> idx(iv.begin(), iv.end());
        idx.back() = col;
        SmallVector<Value> args;
        for (unsigned k = 0; k < numInputs; ++k) {
          auto vecType = VectorType::get(
              {lanes}, getElementTypeOrSelf(op.getDpsInputs()[k].getType()));
          Value pad = arith::ConstantOp::create(
              rb, loc, rb.getZeroAttr(vecType.getElementType()));
          args.push_back(vector::TransferReadOp::create(
              rb, loc, vecType, ins[k], idx, pad, ArrayRef<bool>{inBounds}));
        }
        args.append(current.begin(), current.end());
        return vectorizeBody(rb, loc, body, args, lanes);
      }
      int64_t d = reductionDims[level];
      auto loop = scf::ForOp::create(
          rb, loc, c0, dims[d], c1, current,
          [&](OpBuilder &lb, Location, Value i, ValueRange a) {
            iv[d] = i;
            scf::YieldOp::create(
                lb, loc, reduce(lb, level + 1, SmallVector<Value>(a)));
          });
      return SmallVector<Value>(loop.getResults());
    };
    SmallVector<Value> sums = reduce(cb, 0, accs);
    for (unsigned i = 0; i < numResults; ++i)
      vector::TransferWriteOp::create(cb, loc, sums[i], outs[i],
                                      resultIdx(cb, i, iv, col),
                                      ArrayRef<bool>{inBounds});
  };
  // The parallel loops outside, then the column blocks (full, then one
  // masked tail when the size is not a multiple of the lanes). With
  // threads, the outermost parallel loop is shared among them (the column
  // blocks when there is none).
  bool parallel = threads > 1 && hasParallelWork(inType.getShape());
  std::function<void(OpBuilder &, size_t, SmallVector<Value>)> nest =
      [&](OpBuilder &nb, size_t level, SmallVector<Value> iv) {
        if (level == parallelDims.size()) {
          forLoop(nb, loc, c0, full, step, parallel && level == 0,
                  [&](OpBuilder &lb, Value col) { column(lb, iv, col, true); });
          if (size % lanes != 0)
            column(nb, iv, full, false);
          return;
        }
        forLoop(nb, loc, c0, dims[parallelDims[level]], c1,
                parallel && level == 0, [&](OpBuilder &lb, Value i) {
                  SmallVector<Value> next = iv;
                  next[parallelDims[level]] = i;
                  nest(lb, level + 1, next);
                });
      };
  nest(b, 0, SmallVector<Value>(rank, c0));
  rewriter.replaceOp(op, kernel.finish());
  return true;
}

/// The rewrite of NHWC pooling (maximum, minimum, sum; the window is not
/// padded: a tensor.pad before it does that): per output pixel, vectors
/// along the channels (full ones, then one masked tail), each accumulated
/// from the init over the window in the op's order (kh, then kw) by the
/// op's own body, so that every result is the reference's bits. With
/// threads, the (image, output row) pairs are shared among them.
bool vectorizePooling(RewriterBase &rewriter, linalg::LinalgOp op,
                      int64_t lanes, int64_t threads) {
  if (!isa<linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcMaxUnsignedOp,
           linalg::PoolingNhwcMinOp, linalg::PoolingNhwcMinUnsignedOp,
           linalg::PoolingNhwcSumOp>(op.getOperation()) ||
      !op.hasPureTensorSemantics())
    return false;
  Block &body = op->getRegion(0).front();
  if (!isVectorizableBody(body))
    return false;
  Value in = op.getDpsInputOperand(0)->get();
  Value window = op.getDpsInputOperand(1)->get();
  Value init = op.getDpsInitOperand(0)->get();
  auto inType = cast<RankedTensorType>(in.getType());
  auto windowType = cast<ShapedType>(window.getType());
  auto outType = cast<RankedTensorType>(init.getType());
  if (!windowType.hasStaticShape() ||
      !isStorableElementType(inType.getElementType()) ||
      !isStorableElementType(outType.getElementType()))
    return false;
  auto strides = op->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dilations = op->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!strides || !dilations)
    return false;
  SmallVector<int64_t> stride(strides.getValues<int64_t>());
  SmallVector<int64_t> dilation(dilations.getValues<int64_t>());
  if (!outType.isDynamicDim(3)) {
    std::optional<int64_t> along = getLanesAlong(outType.getDimSize(3), lanes);
    if (!along)
      return false;
    lanes = *along;
  }

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  KernelBuilder kernel(rewriter, loc);
  OpBuilder &b = kernel.getBody();
  Value x = kernel.addInput(in, KernelBuilder::unitInnerStride(inType));
  AccumulatorInit initial(kernel, loc, init);
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < outType.getRank(); ++d)
    if (outType.isDynamicDim(d))
      dyn.push_back(getDimSize(rewriter, loc, init, d));
  Value out = kernel.addFreshOutput(outType, dyn);
  Value c0 = cst(b, loc, 0), c1 = cst(b, loc, 1), step = cst(b, loc, lanes);
  SmallVector<Value> dims;
  for (int64_t d = 0; d < 4; ++d)
    dims.push_back(memref::DimOp::create(b, loc, out, d));
  Value full = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, dims[3], step), step);
  Type inElement = inType.getElementType();
  Type outElement = outType.getElementType();
  auto inVec = VectorType::get({lanes}, inElement);
  auto outVec = VectorType::get({lanes}, outElement);
  int64_t kh = windowType.getDimSize(0), kw = windowType.getDimSize(1);
  auto scaled = [&](OpBuilder &nb, Value v, int64_t f) -> Value {
    return f == 1 ? v : arith::MulIOp::create(nb, loc, v, cst(nb, loc, f));
  };
  // One vector of channels [c, c + lanes) at output pixel (n, oh, ow).
  auto column = [&](OpBuilder &cb, Value n, Value oh, Value ow, Value c,
                    bool inBounds) {
    Value acc = initial.read(cb, loc, outVec, {n, oh, ow, c}, inBounds);
    Value ih0 = scaled(cb, oh, stride[0]), iw0 = scaled(cb, ow, stride[1]);
    Value pad = arith::ConstantOp::create(cb, loc, cb.getZeroAttr(inElement));
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        Value ih = offsetIndex(cb, loc, ih0, i * dilation[0]);
        Value iw = offsetIndex(cb, loc, iw0, j * dilation[1]);
        Value v = vector::TransferReadOp::create(cb, loc, inVec, x,
                                                 ValueRange{n, ih, iw, c}, pad,
                                                 ArrayRef<bool>{inBounds});
        acc = vectorizeBody(cb, loc, body, {v, nullptr, acc}, lanes).front();
      }
    vector::TransferWriteOp::create(cb, loc, acc, out, ValueRange{n, oh, ow, c},
                                    ArrayRef<bool>{inBounds});
  };
  auto pixels = [&](OpBuilder &rb, Value n, Value oh) {
    forLoop(rb, loc, c0, dims[2], c1, [&](OpBuilder &wb, Value ow) {
      forLoop(wb, loc, c0, full, step,
              [&](OpBuilder &lb, Value c) { column(lb, n, oh, ow, c, true); });
      if (outType.isDynamicDim(3) || outType.getDimSize(3) % lanes != 0)
        forLoop(wb, loc, full, dims[3], step, [&](OpBuilder &lb, Value c) {
          column(lb, n, oh, ow, c, false);
        });
    });
  };
  if (threads > 1 && hasParallelWork(inType.getShape())) {
    scf::ParallelOp::create(b, loc, ValueRange{c0, c0},
                            ValueRange{dims[0], dims[1]}, ValueRange{c1, c1},
                            [&](OpBuilder &pb, Location, ValueRange ivs) {
                              pixels(pb, ivs[0], ivs[1]);
                            });
  } else {
    forLoop(b, loc, c0, dims[0], c1, [&](OpBuilder &nb, Value n) {
      forLoop(nb, loc, c0, dims[1], c1,
              [&](OpBuilder &hb, Value oh) { pixels(hb, n, oh); });
    });
  }
  rewriter.replaceOp(op, kernel.finish());
  return true;
}

/// NHWC pooling as vector loops.
struct VectorizePoolingOp : OpInterfaceRewritePattern<linalg::LinalgOp> {
  VectorizePoolingOp(MLIRContext *ctx, int64_t lanes, int64_t threads)
      : OpInterfaceRewritePattern(ctx), lanes(lanes), threads(threads) {}
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!vectorizePooling(rewriter, op, lanes, threads))
      return rewriter.notifyMatchFailure(op, "not an NHWC pooling that fits");
    return success();
  }
  int64_t lanes;
  int64_t threads;
};

/// An element-wise generic or a min/max range reduction as vector loops.
struct VectorizeElementwiseGeneric : OpRewritePattern<linalg::GenericOp> {
  VectorizeElementwiseGeneric(MLIRContext *ctx, int64_t lanes,
                              bool reassociateFloatSums, int64_t threads)
      : OpRewritePattern(ctx), lanes(lanes),
        reassociateFloatSums(reassociateFloatSums), threads(threads) {}
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (isIntegerContraction(op))
      return rewriter.notifyMatchFailure(op, "a contraction (the kernels')");
    if (vectorizeElementwise(rewriter, op, lanes, threads) ||
        vectorizeMinMax(rewriter, op, lanes, reassociateFloatSums, threads) ||
        vectorizeOuterReduction(rewriter, op, lanes, threads))
      return success();
    return rewriter.notifyMatchFailure(op, "neither element-wise nor min/max");
  }
  int64_t lanes;
  bool reassociateFloatSums;
  int64_t threads;
};

struct QntVectorizeElementwisePass
    : quantopt::impl::QntVectorizeElementwiseBase<QntVectorizeElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(checkLanes(getOperation(), getArgument(), lanes)))
      return signalPassFailure();
    if (failed(checkThreads(getOperation(), getArgument(), threads)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateQntVectorizeElementwisePatterns(patterns, lanes,
                                            reassociateFloatSums, threads);
    if (failed(applyKernelPatterns(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void quantopt::populateQntVectorizeElementwisePatterns(
    RewritePatternSet &patterns, int64_t lanes, bool reassociateFloatSums,
    int64_t threads) {
  patterns.add<VectorizeElementwiseGeneric>(patterns.getContext(), lanes,
                                            reassociateFloatSums, threads);
  patterns.add<VectorizePoolingOp>(patterns.getContext(), lanes, threads);
}
