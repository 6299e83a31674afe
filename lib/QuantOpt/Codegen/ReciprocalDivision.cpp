//===- ReciprocalDivision.cpp - Exact division before rounding ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-reciprocal-division: quantization divides (q = round(x / s), ONNX's
// QuantizeLinear), and a 16-lane vdivps costs about ten cycles of
// throughput on this project's machines: in a dynamic-int8 64x1024x128
// matmul, the division of the activations by their scale took a third of
// the time. When the quotient only feeds a rounding to an integer (to
// nearest even, or half away from zero), with a divisor uniform across the
// vector, this pass multiplies by the reciprocal instead and keeps the
// division for the vectors where that could change the rounded integer,
// so the results are those of the division, bit for bit:
//
//   r = RN(1 / s) (once) and t = RN(x * r), used only when |s| <= 2^126,
//   so that r is normal (and no flush-to-zero mode can zero it). Then
//   t = (x / s)(1 + d) with |d| <= 2^-23 + 2^-48 (r and t each rounded
//   once, relative error <= 2^-24 each), and RN(x / s) = (x / s)(1 + d'),
//   |d'| <= 2^-24, while both are normal: |t - RN(x / s)| <= 2^-21 |t|, and
//   the two round to different integers only if a half-integer h lies
//   between them (or on one), |t - h| <= 2^-21 |t|. Where t or x / s is
//   below 2^-126 both are far below 1/2 and round to zero of one sign.
//   The vector takes t (and roundeven(t), for the roundeven users) when
//   every lane is farther than 2^-20 |t| from its nearest half-integer,
//   0.5 - |t - roundeven(t)|: t - roundeven(t) is exact; 0.5 minus it may
//   round when it is below 1/4, but the distance is then above 1/4, past
//   the margin while |t| < 2^18, and for larger |t| every term is a
//   multiple of ulp(t) >= 2^-5, exact.
//   Otherwise it divides: lanes near a tie, |t| >= 2^19 (the margin
//   reaches 1/2), NaN and infinity (the comparison is false for them), and
//   a divisor that is 0, NaN or above 2^126.
//
// The branch keeps vdivps off the common path (LLVM does not speculate a
// vector division). The pattern is populateQntReciprocalDivisionPatterns.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTRECIPROCALDIVISION
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

/// The scalar every lane of `v` holds: the source of a vector.broadcast of
/// a scalar, or a splat constant's value; null otherwise.
Value getUniformScalar(PatternRewriter &b, Location loc, Value v) {
  if (auto bc = v.getDefiningOp<vector::BroadcastOp>())
    if (!isa<VectorType>(bc.getSource().getType()))
      return bc.getSource();
  DenseFPElementsAttr splat;
  if (matchPattern(v, m_Constant(&splat)) && splat.isSplat())
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(splat.getElementType(), splat.getSplatValue<APFloat>()));
  return Value();
}

struct DivisionBeforeRounding : OpRewritePattern<arith::DivFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::DivFOp op,
                                PatternRewriter &b) const override {
    auto type = dyn_cast<VectorType>(op.getType());
    if (!type || !type.getElementType().isF32() || type.isScalable() ||
        type.getRank() != 1)
      return b.notifyMatchFailure(op, "not a 1-D f32 vector division");
    // Rounded, or tested for NaN (the quantization's NaN select): where the
    // vector takes t, no lane of t or of x / s is NaN.
    auto roundsOrTests = [](Operation *user) {
      if (isa<math::RoundEvenOp, math::RoundOp>(user))
        return true;
      auto cmp = dyn_cast<arith::CmpFOp>(user);
      return cmp && cmp.getLhs() == cmp.getRhs() &&
             (cmp.getPredicate() == arith::CmpFPredicate::UNO ||
              cmp.getPredicate() == arith::CmpFPredicate::ORD);
    };
    if (op->use_empty() || !llvm::all_of(op->getUsers(), roundsOrTests))
      return b.notifyMatchFailure(op, "the quotient is not only rounded");
    // Already guarded (the division on the slow path).
    if (isa<scf::IfOp>(op->getParentOp()))
      return b.notifyMatchFailure(op, "a guarded division");
    Location loc = op.getLoc();
    Value s = getUniformScalar(b, loc, op.getRhs());
    if (!s)
      return b.notifyMatchFailure(op, "the divisor is not uniform");
    Type f32 = b.getF32Type();
    auto cst = [&](float v) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(v)));
    };
    Value x = op.getLhs();
    Value r = arith::DivFOp::create(
        b, loc, arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0)), s);
    Value t = arith::MulFOp::create(
        b, loc, x, vector::BroadcastOp::create(b, loc, type, r));
    Value n = math::RoundEvenOp::create(b, loc, t);
    // 0.5 - |t - n| is the distance to the nearest half-integer (|t - n| <=
    // 1/2: no absolute value needed; NaN stays NaN and fails the test).
    Value fromTie = arith::SubFOp::create(
        b, loc, cst(0.5f),
        math::AbsFOp::create(b, loc, arith::SubFOp::create(b, loc, t, n)));
    Value margin = arith::MulFOp::create(
        b, loc, math::AbsFOp::create(b, loc, t), cst(0x1p-20f));
    Value far = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                      fromTie, margin);
    // |s| <= 2^126: r is normal (false for NaN).
    Value normalInverse = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLE, math::AbsFOp::create(b, loc, s),
        arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0x1p126)));
    Value allFar = arith::AndIOp::create(
        b, loc,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::AND, far),
        normalInverse);
    // The quotient, and its rounding to nearest even (n, which the fast
    // path has already computed, for the roundeven users).
    auto guarded = scf::IfOp::create(
        b, loc, allFar,
        [&](OpBuilder &tb, Location) {
          scf::YieldOp::create(tb, loc, ValueRange{t, n});
        },
        [&](OpBuilder &eb, Location) {
          Value q = arith::DivFOp::create(eb, loc, x, op.getRhs(),
                                          op.getFastmathAttr());
          scf::YieldOp::create(
              eb, loc, ValueRange{q, math::RoundEvenOp::create(eb, loc, q)});
        });
    for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
      if (isa<math::RoundEvenOp>(user))
        b.replaceOp(user, guarded.getResult(1));
    b.replaceOp(op, guarded.getResult(0));
    return success();
  }
};

struct QntReciprocalDivisionPass
    : quantopt::impl::QntReciprocalDivisionBase<QntReciprocalDivisionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntReciprocalDivisionPatterns(patterns);
    // Greedy: the rewrite also replaces the quotient's roundeven users.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void quantopt::populateQntReciprocalDivisionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DivisionBeforeRounding>(patterns.getContext());
}
