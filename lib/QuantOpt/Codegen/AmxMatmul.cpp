//===- AmxMatmul.cpp - int8 matmuls on AMX tiles --------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The AMX branch of qnt-vnni-matmul's matmul kernel (emitAmxMatmul, see
// AmxMatmul.h), kept apart from the VNNI kernels it shares the matching,
// the kernel builder and the fused epilogue with.
//
//===----------------------------------------------------------------------===//

#include "AmxMatmul.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

void quantopt::emitAmxMatmul(
  OpBuilder &b, Location loc, KernelBuilder &kernel, const MatchedMatmul &mm,
  Value a, Value out, Value m, FusedEpilogue &epilogue,
  function_ref<SmallVector<Value>(Value, Value)> at, bool parallel) {
  constexpr int64_t kLanes = 16;
  MLIRContext *ctx = b.getContext();
  Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
  constexpr int64_t kRows = 32, kStep = 64, kAmxUnroll = 8;
  int64_t k = mm.k, n = mm.n;
  int64_t nBlocks = (n + kLanes - 1) / kLanes;
  int64_t pairs = (nBlocks + 1) / 2;
  int64_t steps = (k + kStep - 1) / kStep, kPad = steps * kStep;
  int64_t groups = kPad / 4; // rows of packed weights per block

  std::vector<int8_t> packed(2 * pairs * groups * kStep, 0);
  {
    int64_t flat = 0;
    for (APInt v : mm.weights.getValues<APInt>()) {
      int64_t row = flat / n, col = flat % n;
      int64_t blk = col / kLanes, lane = col % kLanes;
      packed[((blk * groups) + row / 4) * kStep + lane * 4 + row % 4] =
          static_cast<int8_t>(v.getSExtValue());
      ++flat;
    }
  }

  Value w = kernel.addConstant(DenseElementsAttr::get(
      RankedTensorType::get({2 * pairs * groups, kStep}, i8),
      llvm::ArrayRef<int8_t>(packed)));
  auto cst = [&](OpBuilder &cb, int64_t v) {
    return arith::ConstantIndexOp::create(cb, loc, v).getResult();
  };
  Value c0 = cst(b, 0), c1 = cst(b, 1);
  auto bytes = VectorType::get({kStep}, i8);
  auto lanesI32 = VectorType::get({kLanes}, i32);
  auto tileA = amx::TileType::get({16, kStep}, i8);
  auto tileC = amx::TileType::get({16, 16}, i32);
  bool fullBlocks = n % kLanes == 0;

  // The buffers of every row block (each block its own 32 rows, so that
  // threads share nothing; allocated once per call, not per block: an
  // alloca in the parallel body would keep its memref.alloca_scope; the
  // deallocation pass frees them).
  Value blocks = arith::CeilDivUIOp::create(b, loc, m, cst(b, kRows));
  Value bufRows = arith::MulIOp::create(b, loc, blocks, cst(b, kRows));
  Value aAll = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, kPad}, i8),
      ValueRange{bufRows});
  Value cAll = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, 2 * kLanes}, i32),
      ValueRange{bufRows});
  auto body = [&](OpBuilder &rb, Value block) {
    Value row0 = arith::MulIOp::create(rb, loc, block, cst(rb, kRows));
    Value rows = arith::MinSIOp::create(
        rb, loc, cst(rb, kRows), arith::SubIOp::create(rb, loc, m, row0));
    Value aBuf = memref::SubViewOp::create(
        rb, loc, aAll, ArrayRef<OpFoldResult>{row0, rb.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rb.getIndexAttr(kRows), rb.getIndexAttr(kPad)},
        ArrayRef<OpFoldResult>{rb.getIndexAttr(1), rb.getIndexAttr(1)});
    Value cBuf = memref::SubViewOp::create(
        rb, loc, cAll, ArrayRef<OpFoldResult>{row0, rb.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rb.getIndexAttr(kRows),
                               rb.getIndexAttr(2 * kLanes)},
        ArrayRef<OpFoldResult>{rb.getIndexAttr(1), rb.getIndexAttr(1)});
    Value zeroByte = arith::ConstantOp::create(rb, loc, rb.getI8IntegerAttr(0));
    Value zeroBytes = arith::ConstantOp::create(
        rb, loc, DenseElementsAttr::get(bytes, rb.getI8IntegerAttr(0)));
    Value zeroLanes = arith::ConstantOp::create(
        rb, loc, DenseElementsAttr::get(lanesI32, rb.getI32IntegerAttr(0)));
    // The rows of this block, zero-padded.
    scf::ForOp::create(
        rb, loc, c0, cst(rb, kRows), c1, ValueRange{},
        [&](OpBuilder &lb, Location, Value r, ValueRange) {
          // Rows past M read the last row and keep zeros.
          Value inside =
              arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::slt, r, rows);
          Value row = arith::MinSIOp::create(
              lb, loc, arith::AddIOp::create(lb, loc, row0, r),
              arith::SubIOp::create(lb, loc, m, c1));
          for (int64_t s = 0; s < steps; ++s) {
            Value kk = cst(lb, s * kStep);
            Value v = vector::TransferReadOp::create(
                lb, loc, bytes, a, at(row, kk), zeroByte,
                ArrayRef<bool>{(s + 1) * kStep <= k});
            v = arith::SelectOp::create(lb, loc, inside, v, zeroBytes);
            vector::StoreOp::create(lb, loc, v, aBuf, ValueRange{r, kk});
          }
          scf::YieldOp::create(lb, loc);
        });
    scf::ForOp::create(
        rb, loc, c0, cst(rb, pairs), c1, ValueRange{},
        [&](OpBuilder &pb, Location, Value pair, ValueRange) {
          for (int64_t r = 0; r < kRows; ++r)
            for (int64_t c = 0; c < 2; ++c)
              vector::StoreOp::create(pb, loc, zeroLanes, cBuf,
                                      ValueRange{cst(pb, r),
                                                 cst(pb, c * kLanes)});
          Value wRow0 = arith::MulIOp::create(
              pb, loc, pair, cst(pb, 2 * groups));
          Value wRow1 = arith::AddIOp::create(pb, loc, wRow0, cst(pb, groups));
          // Steps [first, first + count) of 64 along K.
          auto trip = [&](OpBuilder &tb, Value first, int64_t count) {
            Value c16 = cst(tb, 16);
            Value t[4] = {
                amx::TileLoadOp::create(tb, loc, tileC, cBuf, ValueRange{c0, c0}),
                amx::TileLoadOp::create(tb, loc, tileC, cBuf,
                                        ValueRange{c0, c16}),
                amx::TileLoadOp::create(tb, loc, tileC, cBuf,
                                        ValueRange{c16, c0}),
                amx::TileLoadOp::create(tb, loc, tileC, cBuf,
                                        ValueRange{c16, c16})};
            for (int64_t u = 0; u < count; ++u) {
              Value s = arith::AddIOp::create(tb, loc, first, cst(tb, u));
              Value kk = arith::MulIOp::create(tb, loc, s, cst(tb, kStep));
              Value g = arith::MulIOp::create(tb, loc, s, c16);
              Value a0 = amx::TileLoadOp::create(tb, loc, tileA, aBuf,
                                                 ValueRange{c0, kk});
              Value a1 = amx::TileLoadOp::create(tb, loc, tileA, aBuf,
                                                 ValueRange{c16, kk});
              Value b0 = amx::TileLoadOp::create(
                  tb, loc, tileA, w,
                  ValueRange{arith::AddIOp::create(tb, loc, wRow0, g), c0});
              Value b1 = amx::TileLoadOp::create(
                  tb, loc, tileA, w,
                  ValueRange{arith::AddIOp::create(tb, loc, wRow1, g), c0});
              auto mul = [&](Value lhs, Value rhs, Value acc) -> Value {
                auto op = amx::TileMulIOp::create(tb, loc, tileC, lhs, rhs, acc);
                if (!mm.signedA)
                  op.setIsZextLhs(true);
                return op;
              };
              t[0] = mul(a0, b0, t[0]);
              t[1] = mul(a0, b1, t[1]);
              t[2] = mul(a1, b0, t[2]);
              t[3] = mul(a1, b1, t[3]);
            }
            amx::TileStoreOp::create(tb, loc, cBuf, ValueRange{c0, c0}, t[0]);
            amx::TileStoreOp::create(tb, loc, cBuf, ValueRange{c0, c16}, t[1]);
            amx::TileStoreOp::create(tb, loc, cBuf, ValueRange{c16, c0}, t[2]);
            amx::TileStoreOp::create(tb, loc, cBuf, ValueRange{c16, c16}, t[3]);
          };
          int64_t fullTrips = steps / kAmxUnroll;
          if (fullTrips > 0)
            scf::ForOp::create(
                pb, loc, c0, cst(pb, fullTrips), c1, ValueRange{},
                [&](OpBuilder &lb, Location, Value tripIdx, ValueRange) {
                  trip(lb,
                       arith::MulIOp::create(lb, loc, tripIdx,
                                             cst(lb, kAmxUnroll)),
                       kAmxUnroll);
                  scf::YieldOp::create(lb, loc);
                });
          if (steps % kAmxUnroll)
            trip(pb, cst(pb, fullTrips * kAmxUnroll), steps % kAmxUnroll);
          // The element-wise code on each valid row and block.
          scf::ForOp::create(
              pb, loc, c0, rows, c1, ValueRange{},
              [&](OpBuilder &lb, Location, Value r, ValueRange) {
                Value row = arith::AddIOp::create(lb, loc, row0, r);
                for (int64_t c = 0; c < 2; ++c) {
                  Value blk = arith::AddIOp::create(
                      lb, loc, arith::MulIOp::create(lb, loc, pair, cst(lb, 2)),
                      cst(lb, c));
                  auto emit = [&](OpBuilder &eb) {
                    Value acc = vector::LoadOp::create(
                        eb, loc, lanesI32, cBuf,
                        ValueRange{r, cst(eb, c * kLanes)});
                    Value col = arith::MulIOp::create(eb, loc, blk,
                                                      cst(eb, kLanes));
                    SmallVector<Value> idx = at(row, col);
                    Value v = epilogue.apply(eb, loc, acc, idx, fullBlocks);
                    vector::TransferWriteOp::create(eb, loc, v, out, idx,
                                                    ArrayRef<bool>{fullBlocks});
                  };
                  if (c == 0 || nBlocks % 2 == 0) {
                    emit(lb);
                    continue;
                  }
                  Value valid = arith::CmpIOp::create(
                      lb, loc, arith::CmpIPredicate::slt, blk,
                      cst(lb, nBlocks));
                  scf::IfOp::create(lb, loc, valid,
                                    [&](OpBuilder &tb, Location) {
                                      emit(tb);
                                      scf::YieldOp::create(tb, loc);
                                    });
                }
                scf::YieldOp::create(lb, loc);
              });
          scf::YieldOp::create(pb, loc);
        });
  };

  if (parallel) {
    scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{blocks},
                            ValueRange{c1},
                            [&](OpBuilder &pb, Location, ValueRange iv) {
                              body(pb, iv[0]);
                            });
  } else {
    scf::ForOp::create(b, loc, c0, blocks, c1, ValueRange{},
                       [&](OpBuilder &lb, Location, Value iv, ValueRange) {
                         body(lb, iv);
                         scf::YieldOp::create(lb, loc);
                       });
  }
}
