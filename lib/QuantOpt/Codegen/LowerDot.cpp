//===- LowerDot.cpp - qnt_x86.dot_u8i8 to vpdpbusd or vector code ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-lower-dot: after bufferization, each qnt_x86.dot_u8i8 becomes the
// VNNI intrinsic (llvm.x86.avx512.vpdpbusd.512 / .256) or the same sums in
// portable vector code; `isa=host` picks by the CPU features of the machine
// that compiles.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/TargetParser/Host.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTLOWERDOT
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

/// vpdpbusd: one intrinsic call.
struct DotToVnni : OpRewritePattern<qnt_x86::DotU8I8Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt_x86::DotU8I8Op op,
                                PatternRewriter &b) const override {
    VectorType accType = op.getAcc().getType();
    std::string name = accType.getNumElements() == 16
                           ? "llvm.x86.avx512.vpdpbusd.512"
                           : "llvm.x86.avx512.vpdpbusd.256";
    b.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, accType, b.getStringAttr(name),
        ValueRange{op.getAcc(), op.getA(), op.getB()});
    return success();
  }
};

/// The same sums without VNNI: widen, multiply, and add the four products of
/// each lane, gathered by shuffles (1-D vectors only).
struct DotToGeneric : OpRewritePattern<qnt_x86::DotU8I8Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt_x86::DotU8I8Op op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto wide = VectorType::get({lanes * 4}, b.getI32Type());
    Value a = arith::ExtUIOp::create(b, loc, wide, op.getA());
    Value w = arith::ExtSIOp::create(b, loc, wide, op.getB());
    Value products = arith::MulIOp::create(b, loc, a, w);
    Value r = op.getAcc();
    for (int64_t pos = 0; pos < 4; ++pos) {
      SmallVector<int64_t> mask;
      for (int64_t l = 0; l < lanes; ++l)
        mask.push_back(4 * l + pos);
      Value part = vector::ShuffleOp::create(b, loc, products, products, mask);
      r = arith::AddIOp::create(b, loc, r, part);
    }
    b.replaceOp(op, r);
    return success();
  }
};

struct QntLowerDotPass : quantopt::impl::QntLowerDotBase<QntLowerDotPass> {
  using Base::Base;

  void runOnOperation() override {
    std::string choice = isa;
    if (choice == "host") {
      llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
      bool has512 = features.lookup("avx512vnni");
      bool has256 = (has512 && features.lookup("avx512vl")) ||
                    features.lookup("avxvnni");
      bool all = true;
      getOperation().walk([&](qnt_x86::DotU8I8Op op) {
        all &= op.getAcc().getType().getNumElements() == 16 ? has512 : has256;
      });
      choice = all ? "vnni" : "generic";
    }
    if (choice != "vnni" && choice != "generic") {
      getOperation().emitError()
          << "qnt-lower-dot: isa must be host, vnni or generic, not '" << isa
          << "'";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntX86LowerDotPatterns(patterns, choice == "vnni");
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void quantopt::populateQntX86LowerDotPatterns(RewritePatternSet &patterns,
                                              bool vnni) {
  if (vnni)
    patterns.add<DotToVnni>(patterns.getContext());
  else
    patterns.add<DotToGeneric>(patterns.getContext());
}
