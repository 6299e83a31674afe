//===- PropagateNonFinite.cpp - NaN results for non-finite inputs ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-propagate-non-finite: the float results of a public function become
// NaN where its float arguments hold NaN or an infinity, per row of
// dimension 0 (batch=rows) or for the whole call (batch=all). Quantization
// saturates non-finite values (NaN to the zero point), so without this a
// quantized model answers a NaN input with finite, plausible results where
// the float model returns NaN (issue 15; docs/Numerics.md).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTPROPAGATENONFINITE
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {

bool isFloatTensor(Type t) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  return ranked && isa<FloatType>(ranked.getElementType());
}

/// Dimension 0 of `v`, as an index value.
Value getBatchSize(OpBuilder &b, Location loc, Value v) {
  return tensor::DimOp::create(b, loc, v, 0);
}

/// A fresh tensor of `type` with the dynamic sizes of `like` (rows: only
/// dimension 0 is kept from `like`).
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                Value like) {
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dyn.push_back(tensor::DimOp::create(b, loc, like, d));
  return tensor::EmptyOp::create(b, loc, type, dyn);
}

/// 1 (i8) per row of dimension 0 (`rows`) or for the whole tensor where `x`
/// holds a value with |x| >= inf or NaN, else 0: a maximum reduction, which
/// the vectorizer of --qnt-codegen takes.
Value getNonFiniteFlags(OpBuilder &b, Location loc, Value x, bool rows) {
  auto type = cast<RankedTensorType>(x.getType());
  auto fType = cast<FloatType>(type.getElementType());
  int64_t rank = type.getRank();
  Type i8 = b.getI8Type();
  auto flagType = rows ? RankedTensorType::get({type.getDimSize(0)}, i8)
                       : RankedTensorType::get({}, i8);
  Value init = emptyLike(b, loc, flagType, x);
  Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 0));
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> kept;
  if (rows)
    kept.push_back(getAffineDimExpr(0, ctx));
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, kept, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  if (rows)
    iterators[0] = utils::IteratorType::parallel;
  Value inf = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(fType, APFloat::getInf(fType.getFloatSemantics())));
  return linalg::GenericOp::create(
             b, loc, flagType, ValueRange{x}, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value abs = math::AbsFOp::create(nb, nl, args[0]);
               // uge: unordered (NaN) or >= inf.
               Value bad = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::UGE, abs, inf);
               Value e = arith::ExtUIOp::create(nb, nl, i8, bad);
               linalg::YieldOp::create(
                   nb, nl, ValueRange{arith::MaxUIOp::create(nb, nl, args[1], e)});
             })
      .getResult(0);
}

/// `r` with NaN where `flags` (per row of dimension 0, or rank 0) is set.
Value selectNaN(OpBuilder &b, Location loc, Value r, Value flags) {
  auto type = cast<RankedTensorType>(r.getType());
  auto fType = cast<FloatType>(type.getElementType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  bool rows = cast<RankedTensorType>(flags.getType()).getRank() == 1;
  SmallVector<AffineExpr> kept;
  if (rows)
    kept.push_back(getAffineDimExpr(0, ctx));
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, kept, ctx),
                              AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value nan = arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(fType, APFloat::getQNaN(fType.getFloatSemantics())));
  Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{r, flags},
             ValueRange{emptyLike(b, loc, type, r)}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value set = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::ne, args[1], zero);
               linalg::YieldOp::create(
                   nb, nl,
                   ValueRange{arith::SelectOp::create(nb, nl, set, nan, args[0])});
             })
      .getResult(0);
}

/// The element-wise maximum of two flag tensors of one type.
Value combineFlags(OpBuilder &b, Location loc, Value a, Value c) {
  auto type = cast<RankedTensorType>(a.getType());
  int64_t rank = type.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{a, c}, ValueRange{emptyLike(b, loc, type, a)},
             SmallVector<AffineMap>(3, id),
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   ValueRange{arith::MaxUIOp::create(nb, nl, args[0], args[1])});
             })
      .getResult(0);
}

struct QntPropagateNonFinitePass
    : quantopt::impl::QntPropagateNonFiniteBase<QntPropagateNonFinitePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (batch != "rows" && batch != "all") {
      fn.emitError() << "qnt-propagate-non-finite: unknown batch='" << batch
                     << "' (expected rows or all)";
      return signalPassFailure();
    }
    if (fn.isPrivate() || fn.isExternal())
      return;
    SmallVector<Value> args;
    for (BlockArgument a : fn.getArguments())
      if (isFloatTensor(a.getType()))
        args.push_back(a);
    SmallVector<func::ReturnOp> returns;
    fn.walk([&](func::ReturnOp r) { returns.push_back(r); });
    bool anyFloatResult = llvm::any_of(fn.getResultTypes(), isFloatTensor);
    if (args.empty() || !anyFloatResult)
      return;

    // Rows need one dimension 0 for every float argument and result.
    bool rows = batch == "rows";
    if (rows) {
      SmallVector<Type> types;
      for (Value a : args)
        types.push_back(a.getType());
      for (Type t : fn.getResultTypes())
        if (isFloatTensor(t))
          types.push_back(t);
      std::optional<int64_t> size;
      for (Type t : types) {
        auto ranked = cast<RankedTensorType>(t);
        if (ranked.getRank() == 0 ||
            (size && *size != ranked.getDimSize(0))) {
          rows = false;
          break;
        }
        size = ranked.getDimSize(0);
      }
      if (!rows)
        fn.emitRemark() << "qnt-propagate-non-finite: the float arguments and "
                           "results of @"
                        << fn.getSymName()
                        << " do not share a dimension 0; every float result "
                           "of a call is NaN when any float argument is not "
                           "all finite";
    }

    Location loc = fn.getLoc();
    OpBuilder b(fn.getBody());
    Value flags;
    for (Value a : args) {
      Value f = getNonFiniteFlags(b, loc, a, rows);
      flags = flags ? combineFlags(b, loc, flags, f) : f;
    }
    for (func::ReturnOp ret : returns) {
      b.setInsertionPoint(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value r = operand.get();
        if (!isFloatTensor(r.getType()))
          continue;
        if (rows && cast<RankedTensorType>(r.getType()).isDynamicDim(0)) {
          Value same = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, getBatchSize(b, loc, r),
              getBatchSize(b, loc, flags));
          cf::AssertOp::create(
              b, loc, same,
              "qnt-propagate-non-finite: a result's dimension 0 differs from "
              "the arguments' (use batch=all)");
        }
        operand.set(selectNaN(b, loc, r, flags));
      }
    }
  }
};

} // namespace
