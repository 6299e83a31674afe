//===- Aot.h - Ahead-of-time compilation to an object file ------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// compileAheadOfTime turns a module (the output of --qnt-codegen, or any
// module quant-run can run) into a relocatable x86-64 object file and a C
// header that declares its entry functions with MLIR's C interface (strided
// memref descriptors), for an application to link without the JIT. See
// docs/Tools.md (quant-compile) and examples/aot.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_RUNTIME_AOT_H
#define QUANTOPT_RUNTIME_AOT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace quantopt {
namespace runtime {

struct AotOptions {
  /// The public functions to export; empty: every public function with a
  /// tensor signature (`qnt.signature`).
  std::vector<std::string> entries;
  /// Prepended to each exported function's name (and to the header's type
  /// names): the symbols an application links are `<prefix><entry>`.
  std::string prefix;
  /// "host" (the CPU of this machine, with its features) or an LLVM x86 CPU
  /// name: x86-64, x86-64-v2, x86-64-v3, x86-64-v4, sapphirerapids, znver5 ...
  std::string cpu = "host";
  /// Extra LLVM target features, e.g. "+avx512vnni,-avx512bf16".
  std::string features;
  /// When set, a module not yet in the LLVM dialect is lowered with
  /// --qnt-codegen=<codegen> (the kernels; "" for the defaults) instead of
  /// the reference lowering. For a CPU other than "host", the options it
  /// does not name follow the CPU: isa=vnni with AVX512-VNNI, isa=vnni
  /// lanes=8 with AVX-VNNI, isa=avx2 lanes=8 with AVX2, isa=generic
  /// otherwise, and bf16=avx512 only with AVX512-BF16.
  std::optional<std::string> codegen;
  /// Named in the header's comment (the input file).
  std::string sourceName;
};

struct AotResult {
  std::string object; // ELF relocatable object
  std::string header; // C header
  /// The symbols the object needs from elsewhere (libc, libm, libomp, ...).
  std::vector<std::string> undefinedSymbols;
  /// The libraries to link beside the object, as linker flags.
  std::vector<std::string> linkFlags;
  std::string cpu, features; // what was compiled for
  /// The exported `<prefix>release_buffers` (the module has qnt-buffer-cache's
  /// allocator), or empty.
  std::string releaseSymbol;
};

/// Lowers `module` in place when it is not in the LLVM dialect yet (with
/// --qnt-codegen given `options.codegen`, else qnt-lower-to-llvm), then
/// compiles it for `options.cpu`. Fails with a
/// message (nothing produced) when an entry is missing, a boundary type has
/// no C type, or the code uses instructions the chosen CPU lacks (a module
/// built with --qnt-codegen isa=vnni for a CPU without AVX512-VNNI).
llvm::Expected<AotResult> compileAheadOfTime(mlir::ModuleOp module,
                                             const AotOptions &options);

/// Turns a file name's stem into a C identifier prefix: "cnn-int8.o" ->
/// "cnn_int8_".
std::string getDefaultSymbolPrefix(llvm::StringRef outputPath);

} // namespace runtime
} // namespace quantopt

#endif // QUANTOPT_RUNTIME_AOT_H
