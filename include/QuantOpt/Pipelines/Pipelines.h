//===- Pipelines.h - QuantOpt pass pipelines ---------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_PIPELINES_PIPELINES_H
#define QUANTOPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>


namespace quantopt {

/// Appends `--qnt-lower-to-llvm` to `pm` (a `builtin.module` pass manager),
/// each pass created with its typed options: records entry-point
/// signatures, lowers qnt to linalg (reference path), element-wise float code
/// to linalg, bufferizes, lowers loops and converts everything to the LLVM
/// dialect.
mlir::LogicalResult buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// The passes of `--qnt-codegen`: the same as `--qnt-lower-to-llvm` plus
/// qnt-vnni-matmul (VNNI kernels for integer matmuls) and the vector
/// dialect's lowering.
struct CodegenOptions : mlir::PassPipelineOptions<CodegenOptions> {
  Option<std::string> isa{*this, "isa",
                          llvm::cl::desc("host (default), vnni, avx2 or generic: "
                                         "how qnt_x86.dot_u8i8 is lowered"),
                          llvm::cl::init("host")};
  Option<std::string> amx{
      *this, "amx",
      llvm::cl::desc("host (default: with isa=host, when the CPU has "
                     "AMX-INT8 and the OS grants its tiles), on or off: 2-D "
                     "int8 matmuls of 16 rows or more on AMX tiles "
                     "(qnt-vnni-matmul{amx})"),
      llvm::cl::init("host")};
  Option<std::string> bf16{
      *this, "bf16",
      llvm::cl::desc("host (default), avx512 or generic: how the bf16 "
                     "kernels' dots are lowered (vdpbf16ps needs "
                     "AVX512-BF16)"),
      llvm::cl::init("host")};
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("i32 lanes of the integer kernels: 16 "
                                       "(512-bit, default) or 8 (256-bit)"),
                        llvm::cl::init(16)};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("threads of the matmul kernels (OpenMP over column "
                     "blocks; 1: none)"),
      llvm::cl::init(1)};
  Option<int64_t> minParallelDots{
      *this, "min-parallel-dots",
      llvm::cl::desc("with threads: multiply-adds (M x K x N) below which a "
                     "matmul kernel runs on one thread, an OpenMP fork "
                     "costing more than it shares (a run-time test when M "
                     "is dynamic); -1 (default): 2^18 for integer kernels, "
                     "2^16 for float ones; 0: every matmul shares"),
      llvm::cl::init(-1)};
  Option<std::string> math{
      *this, "math",
      llvm::cl::desc("polynomial (default): f32 exp, expm1, log, log1p, log2, "
                     "tanh and erf as upstream's polynomial approximations, "
                     "in vector registers (qnt-polynomial-math; ulp bounds in "
                     "docs/Codegen.md); libm: libm's functions, one call per "
                     "element, as the reference path"),
      llvm::cl::init("polynomial")};
  Option<std::string> sums{
      *this, "sums",
      llvm::cl::desc("vector (default): float sums along the last dimension "
                     "(layer norm's means, softmax's denominators) in vector "
                     "lanes combined as a tree, not the reference's order "
                     "(error bound in docs/Codegen.md); ordered: one element "
                     "after the other, as the reference path, bit for bit"),
      llvm::cl::init("vector")};
  Option<std::string> layout{
      *this, "layout",
      llvm::cl::desc("nhwc (default): NCHW convolutions and pooling become "
                     "NHWC kernels, the transposes planned once "
                     "(qnt-convert-to-nhwc); keep: as written"),
      llvm::cl::init("nhwc")};
  Option<bool> reuseBuffers{
      *this, "reuse-buffers",
      llvm::cl::desc("true (default): large buffers freed by the compiled "
                     "code are reused by its next allocations, across calls "
                     "(qnt-buffer-cache); false: malloc and free"),
      llvm::cl::init(true)};
};
/// Whether `--qnt-codegen amx=CHOICE isa=ISA` uses AMX: `on`, or `host`
/// with `isa=host` on a CPU with AMX-INT8 whose OS grants this process the
/// tile state (a forced isa keeps its own kernels).
bool resolveAmx(llvm::StringRef choice, llvm::StringRef isa = "host");

/// Appends `--qnt-codegen` with `options` to `pm`.
mlir::LogicalResult buildCodegenPipeline(mlir::OpPassManager &pm,
                                         const CodegenOptions &options = {});

/// Registers the QuantOpt passes and pipelines with the global registry.
void registerQuantOptPasses();

} // namespace quantopt

#endif // QUANTOPT_PIPELINES_PIPELINES_H
