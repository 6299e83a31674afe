//===- LowerDot.cpp - qnt_x86.dot_u8i8 to vpdpbusd or vector code ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-lower-dot: after bufferization, each qnt_x86.dot_u8i8 becomes the
// VNNI intrinsic (llvm.x86.avx512.vpdpbusd.512 / .256), AVX2's
// vpmaddubsw/vpmaddwd (exact, below) or the same sums in portable vector
// code; `isa=host` picks by the CPU features of the machine that compiles.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"
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

/// AVX2 without VNNI: vpmaddubsw multiplies u8 by i8 and adds pairs into
/// saturating i16, which 255 * -128 * 2 would overflow. Exact instead: with
/// the weight split as b = 2 * (b >> 1) + (b & 1), each pair of
/// a * (b >> 1) is at most 255 * 64 * 2 = 32640 in magnitude and each pair
/// of a * (b & 1) at most 510, so neither saturates; vpmaddwd then adds the
/// pairs into i32 lanes, weighted 2 and 1. (oneDNN instead halves the
/// weights' scale and ONNX Runtime relies on 7-bit weights, both of which
/// change results; the split costs two more instructions per 32 bytes, and
/// the shift and mask of a weight vector are shared by the rows that use it.)
/// A 16-lane dot is done as two 8-lane halves.
struct DotToAvx2 : OpRewritePattern<qnt_x86::DotU8I8Op> {
  using OpRewritePattern::OpRewritePattern;

  static Value call(PatternRewriter &b, Location loc, StringRef name,
                    Type type, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name),
                                         args)
        .getResult(0);
  }

  static Value dot8(PatternRewriter &b, Location loc, Value acc, Value a,
                    Value w) {
    auto bytes = VectorType::get({32}, b.getI8Type());
    auto halfs = VectorType::get({16}, b.getI16Type());
    auto words = VectorType::get({8}, b.getI32Type());
    auto splat = [&](Type type, int64_t v) -> Value {
      auto vt = cast<VectorType>(type);
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(
                      vt, b.getIntegerAttr(vt.getElementType(), v)));
    };
    Value high = arith::ShRSIOp::create(b, loc, w, splat(bytes, 1));
    Value low = arith::AndIOp::create(b, loc, w, splat(bytes, 1));
    Value pairsHigh =
        call(b, loc, "llvm.x86.avx2.pmadd.ub.sw", halfs, {a, high});
    Value pairsLow = call(b, loc, "llvm.x86.avx2.pmadd.ub.sw", halfs, {a, low});
    Value sumsHigh = call(b, loc, "llvm.x86.avx2.pmadd.wd", words,
                          {pairsHigh, splat(halfs, 2)});
    Value sumsLow = call(b, loc, "llvm.x86.avx2.pmadd.wd", words,
                         {pairsLow, splat(halfs, 1)});
    Value r = arith::AddIOp::create(b, loc, acc, sumsHigh);
    return arith::AddIOp::create(b, loc, r, sumsLow);
  }

  LogicalResult matchAndRewrite(qnt_x86::DotU8I8Op op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    if (lanes == 8) {
      b.replaceOp(op, dot8(b, loc, op.getAcc(), op.getA(), op.getB()));
      return success();
    }
    if (lanes != 16)
      return b.notifyMatchFailure(op, "8 or 16 lanes");
    Value r = op.getAcc();
    for (int64_t half = 0; half < 2; ++half) {
      Value acc = vector::ExtractStridedSliceOp::create(
          b, loc, op.getAcc(), ArrayRef<int64_t>{8 * half},
          ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1});
      Value a = vector::ExtractStridedSliceOp::create(
          b, loc, op.getA(), ArrayRef<int64_t>{32 * half},
          ArrayRef<int64_t>{32}, ArrayRef<int64_t>{1});
      Value w = vector::ExtractStridedSliceOp::create(
          b, loc, op.getB(), ArrayRef<int64_t>{32 * half},
          ArrayRef<int64_t>{32}, ArrayRef<int64_t>{1});
      r = vector::InsertStridedSliceOp::create(
          b, loc, dot8(b, loc, acc, a, w), r, ArrayRef<int64_t>{8 * half},
          ArrayRef<int64_t>{1});
    }
    b.replaceOp(op, r);
    return success();
  }
};

/// vpshufb: the table repeated in each 128-bit lane, one intrinsic call
/// per 64 bytes (`wide`: AVX512BW) or per 32 (AVX2).
struct LookupToPshufb : OpRewritePattern<qnt_x86::LookupBytesOp> {
  LookupToPshufb(MLIRContext *ctx, bool wide)
      : OpRewritePattern(ctx), wide(wide) {}
  bool wide;

  static Value call(PatternRewriter &b, Location loc, ArrayRef<int8_t> table,
                    Value indices) {
    auto type = cast<VectorType>(indices.getType());
    SmallVector<int8_t> repeated;
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      repeated.push_back(table[i % 16]);
    Value t = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<int8_t>(repeated)));
    StringRef name = type.getNumElements() == 64 ? "llvm.x86.avx512.pshuf.b.512"
                                                 : "llvm.x86.avx2.pshuf.b";
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name),
                                         ValueRange{t, indices})
        .getResult(0);
  }

  LogicalResult matchAndRewrite(qnt_x86::LookupBytesOp op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    VectorType type = op.getIndices().getType();
    if (wide || type.getNumElements() == 32) {
      b.replaceOp(op, call(b, loc, op.getTable(), op.getIndices()));
      return success();
    }
    Value r = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
    for (int64_t half = 0; half < 2; ++half) {
      Value part = vector::ExtractStridedSliceOp::create(
          b, loc, op.getIndices(), ArrayRef<int64_t>{32 * half},
          ArrayRef<int64_t>{32}, ArrayRef<int64_t>{1});
      r = vector::InsertStridedSliceOp::create(
          b, loc, call(b, loc, op.getTable(), part), r,
          ArrayRef<int64_t>{32 * half}, ArrayRef<int64_t>{1});
    }
    b.replaceOp(op, r);
    return success();
  }
};

/// Portable: the low four bits compared with each index of the table.
struct LookupToGeneric : OpRewritePattern<qnt_x86::LookupBytesOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt_x86::LookupBytesOp op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    VectorType type = op.getIndices().getType();
    auto splat = [&](int8_t v) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getI8IntegerAttr(v)));
    };
    Value index = arith::AndIOp::create(b, loc, op.getIndices(), splat(15));
    ArrayRef<int8_t> table = op.getTable();
    Value r = splat(table[0]);
    for (int8_t i = 1; i < 16; ++i) {
      Value hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index,
                                        splat(i));
      r = arith::SelectOp::create(b, loc, hit, splat(table[i]), r);
    }
    b.replaceOp(op, r);
    return success();
  }
};

/// vdpbf16ps: one intrinsic call.
struct DotBF16ToAvx512 : OpRewritePattern<qnt_x86::DotBF16Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt_x86::DotBF16Op op,
                                PatternRewriter &b) const override {
    b.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getAcc().getType(),
        b.getStringAttr("llvm.x86.avx512bf16.dpbf16ps.512"),
        ValueRange{op.getAcc(), op.getA(), op.getB()});
    return success();
  }
};

/// The same two roundings without AVX512-BF16: the odd elements widened to
/// f32 and fused into the accumulators, then the even ones.
struct DotBF16ToGeneric : OpRewritePattern<qnt_x86::DotBF16Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt_x86::DotBF16Op op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements();
    auto half = [&](Value v, int64_t parity) -> Value {
      SmallVector<int64_t> mask;
      for (int64_t l = 0; l < lanes; ++l)
        mask.push_back(2 * l + parity);
      Value part = vector::ShuffleOp::create(b, loc, v, v, mask);
      return arith::ExtFOp::create(b, loc, accType, part);
    };
    Value r = vector::FMAOp::create(b, loc, half(op.getA(), 1),
                                    half(op.getB(), 1), op.getAcc());
    r = vector::FMAOp::create(b, loc, half(op.getA(), 0), half(op.getB(), 0),
                              r);
    b.replaceOp(op, r);
    return success();
  }
};

} // namespace

quantopt::DotIsa quantopt::selectDotIsa(llvm::function_ref<bool(StringRef)> has,
                                        bool lanes16, bool lanes8) {
  bool has512 = has("avx512vnni");
  bool has256 = (has512 && has("avx512vl")) || has("avxvnni");
  if ((!lanes16 || has512) && (!lanes8 || has256))
    return DotIsa::Vnni;
  return has("avx2") ? DotIsa::Avx2 : DotIsa::Generic;
}

bool quantopt::selectBf16Dot(llvm::function_ref<bool(StringRef)> has) {
  return has("avx512bf16");
}

namespace {
struct QntLowerDotPass : quantopt::impl::QntLowerDotBase<QntLowerDotPass> {
  using Base::Base;

  void runOnOperation() override {
    std::string choice = isa;
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    auto hostHas = [&](StringRef feature) { return host.lookup(feature); };
    if (choice == "host") {
      bool lanes16 = false, lanes8 = false;
      getOperation().walk([&](qnt_x86::DotU8I8Op op) {
        (op.getAcc().getType().getNumElements() == 16 ? lanes16 : lanes8) =
            true;
      });
      switch (quantopt::selectDotIsa(hostHas, lanes16, lanes8)) {
      case quantopt::DotIsa::Vnni:
        choice = "vnni";
        break;
      case quantopt::DotIsa::Avx2:
        choice = "avx2";
        break;
      case quantopt::DotIsa::Generic:
        choice = "generic";
        break;
      }
    }
    std::optional<quantopt::DotIsa> kind =
        llvm::StringSwitch<std::optional<quantopt::DotIsa>>(choice)
            .Case("vnni", quantopt::DotIsa::Vnni)
            .Case("avx2", quantopt::DotIsa::Avx2)
            .Case("generic", quantopt::DotIsa::Generic)
            .Default(std::nullopt);
    if (!kind) {
      getOperation().emitError()
          << "qnt-lower-dot: isa must be host, vnni, avx2 or generic, not '"
          << isa << "'";
      return signalPassFailure();
    }
    std::string bf16Choice = bf16;
    if (bf16Choice == "host")
      bf16Choice = quantopt::selectBf16Dot(hostHas) ? "avx512" : "generic";
    if (bf16Choice != "avx512" && bf16Choice != "generic") {
      getOperation().emitError()
          << "qnt-lower-dot: bf16 must be host, avx512 or generic, not '"
          << bf16 << "'";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntX86LowerDotPatterns(patterns, *kind,
                                             bf16Choice == "avx512");
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void quantopt::populateQntX86LowerDotPatterns(RewritePatternSet &patterns,
                                              DotIsa isa, bool avx512bf16) {
  if (avx512bf16)
    patterns.add<DotBF16ToAvx512>(patterns.getContext());
  else
    patterns.add<DotBF16ToGeneric>(patterns.getContext());
  MLIRContext *ctx = patterns.getContext();
  switch (isa) {
  case DotIsa::Vnni:
    patterns.add<DotToVnni>(ctx);
    patterns.add<LookupToPshufb>(ctx, /*wide=*/true);
    return;
  case DotIsa::Avx2:
    patterns.add<DotToAvx2>(ctx);
    patterns.add<LookupToPshufb>(ctx, /*wide=*/false);
    return;
  case DotIsa::Generic:
    patterns.add<DotToGeneric, LookupToGeneric>(ctx);
    return;
  }
}
