//===- PolynomialMath.cpp - How math functions are lowered ---------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-polynomial-math: upstream MLIR's polynomial approximations of the f32
// math functions (exp, tanh, erf, log, ...), restricted to the ops the user
// names. The approximations themselves are upstream's
// (mlir/lib/Dialect/Math/Transforms/PolynomialApproximation.cpp); this pass
// only chooses which ops take them, so that the libm lowering's one scalar
// call per element (math-to-libm scalarizes vector math) is not what a
// GELU or a softmax costs. And qnt-libm-expm1-log1p: libm's expm1 and
// log1p where LLVM's lowering would compute exp(x) - 1 and log(1 + x).
// And qnt-expand-math: the math ops no upstream conversion lowers.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTPOLYNOMIALMATH
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// The ops upstream approximates (PolynomialApproximation.cpp).
constexpr llvm::StringLiteral kKnownOps[] = {
    "acos", "asin", "atan", "atan2", "cbrt", "cos",  "erf",  "erfc",
    "exp",  "expm1", "log", "log1p", "log2", "rsqrt", "sin", "tanh"};
/// The ops approximated when the pass is given none.
constexpr llvm::StringLiteral kDefaultOps[] = {"exp",  "expm1", "log", "log1p",
                                               "log2", "tanh",  "erf"};

struct QntPolynomialMathPass
    : quantopt::impl::QntPolynomialMathBase<QntPolynomialMathPass> {
  using Base::Base;
  void runOnOperation() override {
    llvm::StringSet<> names;
    if (ops.empty())
      for (llvm::StringRef op : kDefaultOps)
        names.insert(op);
    for (const std::string &op : ops) {
      if (!llvm::is_contained(kKnownOps, llvm::StringRef(op))) {
        getOperation().emitError()
            << "qnt-polynomial-math: no polynomial approximation of '" << op
            << "' (upstream has " << llvm::join(std::begin(kKnownOps), std::end(kKnownOps), ", ") << ")";
        return signalPassFailure();
      }
      names.insert(op);
    }
    RewritePatternSet patterns(&getContext());
    // Upstream asks by operation name ("math.tanh").
    quantopt::populateQntPolynomialMathPatterns(patterns, [&](StringRef name) {
      return name.consume_front("math.") && names.contains(name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntPolynomialMathPatterns(
    RewritePatternSet &patterns, llvm::function_ref<bool(StringRef)> approximate) {
  populateMathPolynomialApproximationPatterns(patterns, approximate);
}

//===----------------------------------------------------------------------===//
// qnt-libm-expm1-log1p
//===----------------------------------------------------------------------===//

namespace quantopt {
#define GEN_PASS_DEF_QNTLIBMEXPM1LOG1P
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

namespace {
/// Upstream's math-to-libm patterns, with only expm1 and log1p illegal: the
/// other math ops keep their LLVM lowering (intrinsics where there are).
struct QntLibmExpm1Log1pPass
    : quantopt::impl::QntLibmExpm1Log1pBase<QntLibmExpm1Log1pPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathToLibmConversionPatterns(patterns);
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalOp<math::ExpM1Op, math::Log1pOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// qnt-expand-math
//===----------------------------------------------------------------------===//

namespace quantopt {
#define GEN_PASS_DEF_QNTEXPANDMATH
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

namespace {
/// The float constant `value` of `x`'s (scalar or vector) type.
Value floatConstant(
    OpBuilder &b, Location loc, Value x,
    llvm::function_ref<APFloat(const llvm::fltSemantics &)> value) {
  auto element = cast<FloatType>(getElementTypeOrSelf(x.getType()));
  return createScalarOrSplatConstant(b, loc, x.getType(),
                                     value(element.getFloatSemantics()));
}

/// Whether `x`'s float type has infinities (f8E4M3FN, the FNUZ types and
/// the MX element types do not).
bool hasInfinity(Value x) {
  auto element = cast<FloatType>(getElementTypeOrSelf(x.getType()));
  return APFloat::semanticsHasInf(element.getFloatSemantics());
}

/// math.isinf x -> |x| == inf (ordered, so false for NaN); false for a type
/// without infinities. Upstream's math-to-LLVM lowers isnan and isfinite
/// (llvm.is.fpclass) but not this.
struct ExpandIsInf : OpRewritePattern<math::IsInfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::IsInfOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (!hasInfinity(op.getOperand())) {
      rewriter.replaceOp(op, createScalarOrSplatConstant(
                                 rewriter, loc, op.getType(), APInt(1, 0)));
      return success();
    }
    Value abs = math::AbsFOp::create(rewriter, loc, op.getOperand());
    Value inf = floatConstant(rewriter, loc, abs, [](const auto &sem) {
      return APFloat::getInf(sem);
    });
    rewriter.replaceOpWithNewOp<arith::CmpFOp>(op, arith::CmpFPredicate::OEQ,
                                               abs, inf);
    return success();
  }
};

/// math.isnormal x -> smallest normal <= |x| < inf (ordered: false for NaN,
/// zeros and subnormals); <= the largest finite value for a type without
/// infinities.
struct ExpandIsNormal : OpRewritePattern<math::IsNormalOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::IsNormalOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value abs = math::AbsFOp::create(rewriter, loc, op.getOperand());
    Value tiny = floatConstant(rewriter, loc, abs, [](const auto &sem) {
      return APFloat::getSmallestNormalized(sem);
    });
    bool inf = hasInfinity(abs);
    Value top = floatConstant(rewriter, loc, abs, [&](const auto &sem) {
      return inf ? APFloat::getInf(sem) : APFloat::getLargest(sem);
    });
    Value atLeastTiny = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OGE, abs, tiny);
    Value finite = arith::CmpFOp::create(
        rewriter, loc,
        inf ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OLE, abs, top);
    rewriter.replaceOpWithNewOp<arith::AndIOp>(op, atLeastTiny, finite);
    return success();
  }
};

/// math.clampf x to [lo, hi] -> minimumf(maximumf(x, lo), hi): np.clip's
/// order (hi wins when lo > hi), NaN from any operand, and IEEE 754-2019's
/// maximum/minimum for zeros (-0 < +0; np.clip may return either). Not
/// upstream's
/// math-expand-ops, which follows the op's documented maxf(minf(x, lo), hi)
/// and so gives hi for every x when lo < hi.
struct ExpandClampF : OpRewritePattern<math::ClampFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ClampFOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    arith::FastMathFlagsAttr fastmath = op.getFastmathAttr();
    Value low = arith::MaximumFOp::create(rewriter, loc, op.getValue(),
                                          op.getMin(), fastmath);
    rewriter.replaceOpWithNewOp<arith::MinimumFOp>(op, low, op.getMax(),
                                                   fastmath);
    return success();
  }
};

struct QntExpandMathPass
    : quantopt::impl::QntExpandMathBase<QntExpandMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntExpandMathPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntExpandMathPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandIsInf, ExpandIsNormal, ExpandClampF>(
      patterns.getContext());
}
