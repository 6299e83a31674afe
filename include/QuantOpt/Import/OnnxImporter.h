//===- OnnxImporter.h - ONNX models to linalg on tensors ---------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Reads an ONNX model (protobuf, Debian's libonnx-dev) and writes its graph
// as one func.func of linalg/tensor/arith/math on tensors, weights as dense
// constants, every op located at its node's name (docs/Import.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_IMPORT_ONNXIMPORTER_H
#define QUANTOPT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quantopt {

struct OnnxImportOptions {
  /// The name of the function the graph becomes.
  std::string functionName = "main";
  /// A static size for every symbolic (dim_param) or unknown dimension of
  /// the graph's inputs; unset: they stay dynamic (`?`).
  std::optional<int64_t> batch;
  /// Whole shapes for named graph inputs (`--input-shape`); they take
  /// precedence over `batch` and must agree with the model's static
  /// dimensions; -1 keeps the model's dimension (dynamic if symbolic).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Fold inference BatchNormalization into the convolution before it.
  bool foldBatchNorm = true;
  /// Graph inputs frozen to constants (`--input-value`): the input keeps its
  /// declared element type and shape (one value fills it) and is no longer
  /// an argument, so what depends on it (an If's condition) folds.
  std::map<std::string, std::vector<double>> inputValues;
};

/// Imports the ONNX model in `path`. Errors name the node (and the op, the
/// attribute or the data type) that cannot be imported.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxModel(llvm::StringRef path, mlir::MLIRContext &context,
                const OnnxImportOptions &options);

} // namespace quantopt

#endif // QUANTOPT_IMPORT_ONNXIMPORTER_H
