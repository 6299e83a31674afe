//===- Runner.h - JIT execution of lowered modules on .npy data -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What quant-run does, as a library: lower a module with qnt-lower-to-llvm
// when needed, JIT-compile it with the MLIR ExecutionEngine, marshal .npy
// arrays to memref descriptors and back, and time repeated calls.
//
// Exchange formats (docs/Tools.md):
//   f32/f64/f16 tensors  <-> float32/float64/float16 arrays
//   bf16 <-> float32 arrays (inputs rounded to nearest-even)
//   f8E4M3FN, f8E5M2, f4E2M1FN <-> float32 arrays of decoded values (each
//                          input element must be a value of the type)
//   i1 <-> bool; i8..i64 <-> int8..int64 (uint8..uint64 for unsigned storage)
//   i2/i4 <-> one int8 (uint8 for unsigned storage) per element, range-checked
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_RUNTIME_RUNNER_H
#define QUANTOPT_RUNTIME_RUNNER_H

#include "QuantOpt/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace quantopt {
namespace runtime {

struct RunOptions {
  /// Name of the function to call.
  std::string entry;
  /// One .npy file per function argument.
  std::vector<std::string> inputPaths;
  /// Where out0.npy, out1.npy, ... go; nothing is written when empty.
  std::string outputDir;
  /// When non-zero, call the function this many times and report the median.
  unsigned repeat = 0;
  /// Called with each input as it is read, before the module is compiled;
  /// an error stops the run (quant-run's --non-finite checks).
  std::function<llvm::Error(size_t index, const NpyArray &input)> checkInput;
};

/// The timing of repeated calls, in milliseconds.
struct Timing {
  unsigned calls = 0;
  double medianMs = 0, minMs = 0, maxMs = 0;
};

/// Receives the `qnt.observe` calls of compiled code running on the thread
/// that installed it (setThreadObserverSink). `index` is the position of the
/// observer's id in the module's `qnt.observers`; `data` is the tensor in
/// row-major order.
class ObserverSink {
public:
  virtual ~ObserverSink();
  /// `moments` is 0, or the qnt::MomentsKind the observer asked for.
  virtual void observe(int64_t index, int64_t channelAxis, int64_t moments,
                       llvm::ArrayRef<float> data,
                       llvm::ArrayRef<int64_t> shape) = 0;
};

/// Installs `sink` (or none) for qnt.observe calls made on this thread.
void setThreadObserverSink(ObserverSink *sink);

/// A module lowered and JIT-compiled once, whose entry can be called many
/// times (from several threads at once).
class Session {
public:
  /// Lowers `module` in place with qnt-lower-to-llvm when it is not in the
  /// LLVM dialect yet, and compiles it.
  static llvm::Expected<std::unique_ptr<Session>> create(mlir::ModuleOp module,
                                                          llvm::StringRef entry);
  ~Session();

  /// The entry's tensor signature.
  mlir::FunctionType getSignature() const;
  /// The observer ids, by index (the module's `qnt.observers`).
  llvm::ArrayRef<std::string> getObserverIds() const;

  /// Calls the entry on `inputs` (`inputNames` name them in errors); with
  /// `repeat` > 0 calls it that many times and fills `timing`.
  llvm::Expected<std::vector<NpyArray>>
  call(llvm::ArrayRef<NpyArray> inputs, llvm::ArrayRef<std::string> inputNames,
       unsigned repeat = 0, Timing *timing = nullptr) const;

private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Runs `options.entry` of `module` (lowering `module` in place first when it
/// is not in the LLVM dialect yet) on the inputs and returns its results.
/// Nothing is written here; see writeResults.
llvm::Expected<std::vector<NpyArray>> runEntry(mlir::ModuleOp module,
                                               const RunOptions &options,
                                               Timing *timing = nullptr);

/// Whether `module` is in the LLVM dialect already (no func.func with a
/// body left): what --qnt-codegen and --qnt-lower-to-llvm produce.
bool isLoweredToLLVM(mlir::ModuleOp module);

/// Runs qnt-lower-to-llvm on `module` unless every function with a body is
/// in the LLVM dialect already.
llvm::Error lowerToLLVMIfNeeded(mlir::ModuleOp module);

/// The boolean array attribute `name` of `op` (`qnt.unsigned_args` or
/// `qnt.unsigned_results`) as `count` flags, false where absent.
llvm::SmallVector<bool> readBoundaryFlags(mlir::Operation *op,
                                          llvm::StringRef name, size_t count);

/// How a tensor of the entry's signature crosses the boundary: the .npy
/// dtype quant-run reads or writes for it, and the bytes of one element in
/// the buffer the compiled code sees (bf16: 2, float8 and i4: 1).
struct BoundaryStorage {
  DType dtype;
  unsigned elementBytes;
};
llvm::Expected<BoundaryStorage> getBoundaryStorage(mlir::Type type,
                                                   bool isUnsigned,
                                                   const llvm::Twine &what);

/// Registers what a module the runner executes may contain: every upstream
/// dialect and extension, qnt with its external models, and the
/// translations to LLVM IR (builtin, LLVM, OpenMP) the JIT needs.
void registerRunnerDialects(mlir::DialectRegistry &registry);

/// Writes `results` as `dir/out<i>.npy`, creating `dir` if needed. Files are
/// staged in a private directory and moved in only when all were written;
/// stale `out<k>.npy` files with k >= results.size() are removed.
llvm::Error writeResults(llvm::StringRef dir,
                         llvm::ArrayRef<NpyArray> results);

} // namespace runtime
} // namespace quantopt

#endif // QUANTOPT_RUNTIME_RUNNER_H
