//===- VnniFirstLayer.cpp - First-layer convolutions on VNNI --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-vnni-matmul's kernel for the convolutions that open image models (one
// input channel, or two and at most 8 filters): the lanes are 16 output
// pixels along the width, not 16 filters (docs/Codegen.md, "First layers").
//
//===----------------------------------------------------------------------===//

#include "Epilogue.h"
#include "KernelLoops.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "VnniMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>

using namespace mlir;
using namespace quantopt;

/// Byte offset of position t of a window row (kw, c flattened, t = kw * C
/// + c) from the row's first byte in an NHWC input.
static int64_t windowRowOffset(const MatchedMatmul &mm, int64_t t) {
  return (t / mm.c) * mm.dw * mm.c + t % mm.c;
}

/// Whether the first-layer kernel (rewriteFirstLayerConv) takes `mm` with
/// `epilogue`: an NHWC convolution of fewer than 4 input channels (where
/// vpdpbusd's four products per lane would mostly multiply padding) and at
/// most 16 filters, where it saves products (below), each group of four
/// window bytes of 16 pixels within 128 input bytes, and an epilogue
/// whose inputs do not vary along the output width. On success the
/// epilogue runs along the width.
bool quantopt::takesFirstLayerConv(const MatchedMatmul &mm,
                                   FusedEpilogue &epilogue,
                                   RankedTensorType accType, int64_t kLanes) {
  if (kLanes != 16 || mm.depthwise || mm.int4 || mm.unsignedW || mm.c >= 4 ||
      mm.n > kLanes)
    return false;
  int64_t rowBytes = mm.kw * mm.c;
  // Only where it multiplies fewer padding bytes: at most 3/4 of the
  // products per window row of the channel-lane kernel (C = 1: 1/3 for a
  // 3-wide window, C = 2: 2/3). C = 3 with KW = 3 fills 9 of 12 bytes
  // either way, and there the channel-lane kernel, which needs no
  // transposition, measured faster (qnt-bench, 100x30x30x3 -> 16: 0.31
  // against 0.59 ms).
  if (4 * 4 * ((rowBytes + 3) / 4) > 3 * 4 * mm.kw * ((mm.c + 3) / 4))
    return false;
  // Transposing 16 filters' vectors costs more than the padding saves
  // when C > 1 (100x30x30x2 -> 16: 0.49 ms here, against about 0.3 ms for
  // the channel-lane kernel; with 8 filters 0.16 ms).
  if (mm.c > 1 && mm.n > 8)
    return false;
  for (int64_t t0 = 0; t0 < rowBytes; t0 += 4) {
    int64_t last = std::min(t0 + 3, rowBytes - 1);
    int64_t span = (kLanes - 1) * mm.sw * mm.c + windowRowOffset(mm, last) -
                   windowRowOffset(mm, t0) + 1;
    if (span > 128)
      return false;
  }
  Type element = epilogue.getResultType(accType).getElementType();
  if (!isStorableElementType(element) || element.getIntOrFloatBitWidth() > 32)
    return false;
  return epilogue.vectorizeAlong(2);
}

/// First layers (C = 1, or 2 with F <= 8; F <= 16: takesFirstLayerConv) with
/// the output pixels as lanes: per output row, tiles of 16 pixels along ow and
/// one accumulator per filter. A window row (its KW x C bytes, contiguous in
/// NHWC when the dilation is 1, any dilation through the shuffle) is cut into
/// groups of four bytes; for each group one load of the input row and one byte
/// shuffle give every pixel's four bytes (lane j: the bytes at j * stride * C),
/// which one vpdpbusd per filter multiplies with the filter's four weights
/// broadcast. Every product is a real one (but the zero weights after the last
/// window byte), where the channel-lane kernel would spend three bytes of four
/// on padding when C = 1 and gather the activation byte by byte. The epilogue
/// runs along the pixels (per-channel inputs broadcast), and the F result
/// vectors are transposed in registers into the 16 x F NHWC bytes they fill.
///   packed[kh][g][f] = the dword w[kh][t][f], t = 4g .. 4g + 3 (zero
///   beyond KW * C).
void quantopt::rewriteFirstLayerConv(RewriterBase &rewriter,
                                     linalg::GenericOp op,
                                     const MatchedMatmul &mm,
                                     FusedEpilogue &epilogue, int64_t kLanes,
                                     bool parallel) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
  int64_t f = mm.n, c = mm.c, rowBytes = mm.kw * c;
  int64_t groups = (rowBytes + 3) / 4;
  std::vector<int8_t> bytes(mm.kh * groups * f * 4, 0);
  {
    int64_t flat = 0;
    for (APInt v : mm.weights.getValues<APInt>()) {
      int64_t col = flat % f, t = (flat / f) % rowBytes,
              kh = flat / (f * rowBytes);
      bytes[((kh * groups + t / 4) * f + col) * 4 + t % 4] =
          static_cast<int8_t>(v.getSExtValue());
      ++flat;
    }
  }
  if (mm.signedA) // w + 128 as u8 (the padding's zeros too: 128)
    for (int8_t &byte : bytes)
      byte = static_cast<int8_t>(static_cast<uint8_t>(byte) ^ 0x80);
  std::vector<int32_t> packed(bytes.size() / 4);
  std::memcpy(packed.data(), bytes.data(),
              bytes.size()); // x86: little endian

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(epilogue.empty() ? op.getOperation()
                                              : epilogue.getInsertionPoint());
  OpBuilder &ob = rewriter;
  auto outTensorType = epilogue.getResultType(
      cast<RankedTensorType>(op->getResult(0).getType()));
  Type outElement = outTensorType.getElementType();
  SmallVector<Value> dynSizes;
  Value outDims[4];
  Value initTensor = op.getDpsInitOperand(0)->get();
  getResultSizes(ob, loc, initTensor, outTensorType, outDims, dynSizes);
  KernelBuilder kernel(ob, loc);
  OpBuilder &b = kernel.getBody();
  Value w = kernel.addConstant(
      DenseElementsAttr::get(RankedTensorType::get({mm.kh, groups, f}, i32),
                             llvm::ArrayRef<int32_t>(packed)));
  auto aType = cast<RankedTensorType>(mm.a.getType());
  // [N][H][W * C] and [N][OH][OW * F]: an input row and an output row are
  // one dimension each.
  Value x = collapseDims(
      b, loc, kernel.addInput(mm.a, KernelBuilder::identity(aType)), 2, 2);
  Value outBuffer = kernel.addFreshOutput(outTensorType, dynSizes);
  Value out = collapseDims(b, loc, outBuffer, 2, 2);
  epilogue.prepare(kernel, loc, kLanes);
  auto cst = [&](OpBuilder &cb, int64_t v) {
    return arith::ConstantIndexOp::create(cb, loc, v).getResult();
  };
  Value c0 = cst(b, 0), c1 = cst(b, 1);
  auto acc = VectorType::get({kLanes}, i32);
  auto quad = VectorType::get({kLanes * 4}, i8);
  SmallVector<Value> init;
  for (int64_t col = 0; col < f; ++col)
    init.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(acc, b.getI32IntegerAttr(0))));
  // Signed activations: vpdpbusd reads its first operand as u8, so here
  // the weights are it, stored + 128, and the activations the signed
  // second; one more accumulator sums the activation bytes (against
  // ones) and the sums lose 128 times it: sum (w + 128) a - 128 sum a.
  // (Flipping the activation bytes instead, as the other kernels do, put a
  // vector xor next to the byte shuffle, which LLVM 22's instruction
  // selection did not finish compiling on an AVX512-VBMI host.)
  if (mm.signedA)
    init.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(acc, b.getI32IntegerAttr(0))));
  Value ones = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(quad, b.getI8IntegerAttr(1)));
  Value zeroByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  // Per group: the shuffle that gives lane j the group's four bytes of
  // pixel j, from a load at the group's first byte of pixel 0.
  SmallVector<SmallVector<int64_t>> masks;
  SmallVector<int64_t> loadBytes, firstOffset;
  for (int64_t g = 0; g < groups; ++g) {
    int64_t t0 = 4 * g, base = windowRowOffset(mm, t0), span = 0;
    SmallVector<int64_t> mask;
    for (int64_t j = 0; j < kLanes; ++j)
      for (int64_t r = 0; r < 4; ++r) {
        // Past the window: any loaded byte (its weight is zero).
        int64_t t = std::min(t0 + r, rowBytes - 1);
        mask.push_back(j * mm.sw * c + windowRowOffset(mm, t) - base);
        span = std::max(span, mask.back() + 1);
      }
    masks.push_back(mask);
    loadBytes.push_back(span <= 64 ? 64 : 128);
    firstOffset.push_back(base);
  }

  // Pixels (n, oh, ow0 .. ow0 + 16); `inBounds`: all 16 inside the row.
  auto emitTile = [&](OpBuilder &tb, Value n, Value oh, Value ow0,
                      bool inBounds) {
    Value ihBase = arith::MulIOp::create(tb, loc, oh, cst(tb, mm.sh));
    Value rowStart = arith::MulIOp::create(tb, loc, ow0, cst(tb, mm.sw * c));
    auto window = scf::ForOp::create(
        tb, loc, c0, cst(tb, mm.kh), c1, init,
        [&](OpBuilder &lb, Location, Value kh, ValueRange accs) {
          Value ih = arith::AddIOp::create(
              lb, loc, ihBase,
              arith::MulIOp::create(lb, loc, kh, cst(lb, mm.dh)));
          SmallVector<Value> sums(accs.begin(), accs.end());
          for (int64_t g = 0; g < groups; ++g) {
            Value start = arith::AddIOp::create(lb, loc, rowStart,
                                                cst(lb, firstOffset[g]));
            // Past the input row: zeros (the bytes of the lanes past the
            // output row's end, which are not stored).
            Value row = vector::TransferReadOp::create(
                lb, loc, VectorType::get({loadBytes[g]}, i8), x,
                ValueRange{n, ih, start}, zeroByte, ArrayRef<bool>{false});
            Value av = vector::ShuffleOp::create(lb, loc, row, row, masks[g]);
            for (int64_t col = 0; col < f; ++col) {
              Value wd = memref::LoadOp::create(
                  lb, loc, w, ValueRange{kh, cst(lb, g), cst(lb, col)});
              Value wv = vector::BitCastOp::create(
                  lb, loc, quad, vector::BroadcastOp::create(lb, loc, acc, wd));
              // Signed activations are vpdpbusd's signed operand, against
              // the weights + 128 (below).
              sums[col] =
                  mm.signedA
                      ? qnt_x86::DotU8I8Op::create(lb, loc, sums[col], wv, av)
                      : qnt_x86::DotU8I8Op::create(lb, loc, sums[col], av, wv);
            }
            if (mm.signedA)
              sums[f] = qnt_x86::DotU8I8Op::create(lb, loc, sums[f], ones, av);
          }
          scf::YieldOp::create(lb, loc, sums);
        });
    // Each filter's 16 pixels through the epilogue, then the F vectors
    // transposed into pixel-major order: result[j * F + col] =
    // v[col][j].
    SmallVector<Value> results(window.getResults());
    if (mm.signedA) {
      Value shift = arith::ConstantOp::create(
          tb, loc, DenseElementsAttr::get(acc, tb.getI32IntegerAttr(7)));
      Value correction = arith::ShLIOp::create(tb, loc, results[f], shift);
      for (int64_t col = 0; col < f; ++col)
        results[col] = arith::SubIOp::create(tb, loc, results[col], correction);
    }
    SmallVector<Value> vs;
    for (int64_t col = 0; col < f; ++col)
      vs.push_back(epilogue.apply(tb, loc, results[col],
                                  ValueRange{n, oh, ow0, cst(tb, col)},
                                  inBounds));
    Value zeros = arith::ConstantOp::create(
        tb, loc,
        DenseElementsAttr::get(VectorType::get({kLanes}, outElement),
                               tb.getZeroAttr(outElement)));
    while (vs.size() & (vs.size() - 1))
      vs.push_back(zeros);
    while (vs.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i < vs.size(); i += 2) {
        int64_t len = cast<VectorType>(vs[i].getType()).getNumElements();
        next.push_back(vector::ShuffleOp::create(
            tb, loc, vs[i], vs[i + 1],
            llvm::to_vector(llvm::seq<int64_t>(0, 2 * len))));
      }
      vs = std::move(next);
    }
    // Stored in pieces of at most 64 bytes, each a power of two elements
    // (16 F is a multiple of 16): LLVM's legalizer takes a long time over
    // shuffles of odd lengths (80 floats for F = 5).
    int64_t total = kLanes * f,
            widest = std::max<int64_t>(
                kLanes, 512 / outElement.getIntOrFloatBitWidth());
    Value at = arith::MulIOp::create(tb, loc, ow0, cst(tb, f));
    for (int64_t start = 0; start < total;) {
      int64_t len = widest;
      while (len > total - start)
        len /= 2;
      SmallVector<int64_t> transpose;
      for (int64_t e = start; e < start + len; ++e)
        transpose.push_back((e % f) * kLanes + e / f);
      Value piece = vector::ShuffleOp::create(tb, loc, vs[0], vs[0], transpose);
      vector::TransferWriteOp::create(
          tb, loc, piece, out,
          ValueRange{n, oh, offsetIndex(tb, loc, at, start)},
          ArrayRef<bool>{inBounds});
      start += len;
    }
  };

  // Rows (n, oh), across threads when parallel; in each, the full tiles
  // of 16 pixels, then the rest in one masked tile.
  auto emitRow = [&](OpBuilder &hb, Value n, Value oh) {
    Value width = outDims[2];
    Value full = arith::MulIOp::create(
        hb, loc, arith::DivUIOp::create(hb, loc, width, cst(hb, kLanes)),
        cst(hb, kLanes));
    scf::ForOp::create(hb, loc, c0, full, cst(hb, kLanes), ValueRange{},
                       [&](OpBuilder &rb, Location, Value ow0, ValueRange) {
                         emitTile(rb, n, oh, ow0, true);
                         scf::YieldOp::create(rb, loc);
                       });
    Value rest =
        arith::CmpIOp::create(hb, loc, arith::CmpIPredicate::ult, full, width);
    scf::IfOp::create(hb, loc, rest, [&](OpBuilder &rb, Location) {
      emitTile(rb, n, oh, full, false);
      scf::YieldOp::create(rb, loc);
    });
  };
  if (parallel) {
    scf::ParallelOp::create(
        b, loc, ValueRange{c0, c0}, ValueRange{outDims[0], outDims[1]},
        ValueRange{c1, c1}, [&](OpBuilder &hb, Location, ValueRange ivs) {
          emitRow(hb, ivs[0], ivs[1]);
        });
  } else {
    scf::ForOp::create(b, loc, c0, outDims[0], c1, ValueRange{},
                       [&](OpBuilder &nb, Location, Value n, ValueRange) {
                         scf::ForOp::create(nb, loc, c0, outDims[1], c1,
                                            ValueRange{},
                                            [&](OpBuilder &hb, Location,
                                                Value oh, ValueRange) {
                                              emitRow(hb, n, oh);
                                              scf::YieldOp::create(hb, loc);
                                            });
                         scf::YieldOp::create(nb, loc);
                       });
  }
  Value result = kernel.finish().front();
  epilogue.replaceAndErase(rewriter, result, initTensor);
  rewriter.eraseOp(op);
}
