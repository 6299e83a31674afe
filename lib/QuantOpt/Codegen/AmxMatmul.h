//===- AmxMatmul.h - int8 matmuls on AMX tiles ------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_AMXMATMUL_H
#define QUANTOPT_CODEGEN_AMXMATMUL_H

#include "Epilogue.h"
#include "KernelLoops.h"
#include "VnniMatch.h"

namespace quantopt {

/// The matmul `mm` on AMX tiles (tdpbusd, or tdpbssd for i8 activations: no
/// +128 shift), emitted into `kernel` at `b` for the `m` rows of `a`,
/// writing `out` (indexed through `at`) through `epilogue`. Per block of 32
/// rows the activations are copied once into a zero-padded
/// [32][ceil(K/64)*64] buffer (rows past M and bytes past K read as zeros);
/// per pair of 16-column blocks, four 16x16 i32 tiles accumulate over K in
/// steps of 64, eight steps per trip between loading and storing the
/// accumulator tiles from a [32][32] buffer (a tile carried by a loop would
/// be a block argument, which the LLVM lowering cannot type); the weights
/// are the VNNI packing with K padded to a multiple of 64 and the blocks to
/// an even count, read as [blocks * K/4][64] tiles of 16 rows. The
/// element-wise code after the matmul runs on 16-lane rows of the
/// accumulator buffer, as in the VNNI kernel. Row blocks across threads
/// when `parallel`. For 2-D (or one-batch) matmuls of u8 or i8 activations
/// and i8 weights.
void emitAmxMatmul(
    mlir::OpBuilder &b, mlir::Location loc, KernelBuilder &kernel,
    const MatchedMatmul &mm, mlir::Value a, mlir::Value out, mlir::Value m,
    FusedEpilogue &epilogue,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                      mlir::Value)>
        at,
    bool parallel);

} // namespace quantopt

#endif // QUANTOPT_CODEGEN_AMXMATMUL_H
