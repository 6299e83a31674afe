//===- SingleShare.cpp - One-iteration parallel loops without a fork ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-single-share: every scf.parallel becomes an OpenMP parallel region,
// and an OpenMP fork and join costs about 1.5-2 us on the machines here
// (measured: a region around one 1x1024x64 int8 matmul took it from 1.1 to
// 3 us), even when the loop has one iteration, so that every thread but
// one waits. With dynamic sizes the trip count is known only at run time:
// a one-row input (M = 1) gives the kernels one (column group, row share)
// pair, a row reduction one row, and a small element-wise op one share.
// The pass, before convert-scf-to-openmp, wraps each top-level scf.parallel
// whose static trip counts do not guarantee two iterations in
// `scf.if (trips == 1)`: then the body runs inline on the calling thread
// with the lower bounds as its indices; else the loop as it was (a loop
// with one iteration statically is replaced by its body). Loops with
// reductions, and bodies that allocate on the stack, are left alone.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTSINGLESHARE
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

LogicalResult quantopt::guardSingleShare(RewriterBase &b, scf::ParallelOp op) {
  if (op.getNumReductions() != 0)
    return failure();
  // The iterations the static dimensions guarantee (a dynamic one: none).
  int64_t known = 1;
  bool dynamic = false;
  for (auto [lb, ub, step] :
       llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
    APInt l, u, s;
    if (matchPattern(lb, m_ConstantInt(&l)) &&
        matchPattern(ub, m_ConstantInt(&u)) &&
        matchPattern(step, m_ConstantInt(&s)) && s.getSExtValue() > 0)
      known *=
          u.getSExtValue() <= l.getSExtValue()
              ? 0
              : llvm::divideCeil(uint64_t(u.getSExtValue() - l.getSExtValue()),
                                 uint64_t(s.getSExtValue()));
    else
      dynamic = true;
  }
  if (known >= 2 || known == 0)
    return failure();
  // Inline, an allocation would outlive the iteration (the OpenMP
  // conversion gives a parallel body its own allocation scope); the kernels
  // allocate outside their parallel loops.
  if (op.getBody()
          ->walk([](memref::AllocaOp) { return WalkResult::interrupt(); })
          .wasInterrupted())
    return failure();
  OpBuilder::InsertionGuard insertion(b);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  if (!dynamic) { // one iteration, known statically: the body alone
    IRMapping map;
    map.map(op.getInductionVars(), op.getLowerBound());
    for (Operation &inner : op.getBody()->without_terminator())
      b.clone(inner, map);
    b.eraseOp(op);
    return success();
  }
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value trips = arith::ConstantIndexOp::create(b, loc, known);
  for (auto [lb, ub, step] :
       llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
    if (matchPattern(lb, m_Constant()) && matchPattern(ub, m_Constant()) &&
        matchPattern(step, m_Constant()))
      continue; // counted in `known`
    Value count = arith::CeilDivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, ub, lb), step);
    // An empty dimension (ub <= lb) has no iterations.
    count = arith::SelectOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, ub, lb), c0,
        count);
    trips = arith::MulIOp::create(b, loc, trips, count);
  }
  Value one = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, trips,
                                    arith::ConstantIndexOp::create(b, loc, 1));
  auto guard = scf::IfOp::create(b, loc, TypeRange{}, one,
                                 /*withElseRegion=*/true);
  // Then: the body, its indices the lower bounds.
  b.setInsertionPoint(guard.thenBlock()->getTerminator());
  IRMapping map;
  map.map(op.getInductionVars(), op.getLowerBound());
  for (Operation &inner : op.getBody()->without_terminator())
    b.clone(inner, map);
  // Else: the loop.
  b.moveOpBefore(op, guard.elseBlock()->getTerminator());
  return success();
}

namespace {

struct QntSingleSharePass
    : quantopt::impl::QntSingleShareBase<QntSingleSharePass> {
  void runOnOperation() override {
    // The outermost loops, collected first: a guarded loop moves into the
    // scf.if it gets, and must not be guarded again.
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        loops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp op : loops)
      (void)quantopt::guardSingleShare(rewriter, op);
  }
};

} // namespace
