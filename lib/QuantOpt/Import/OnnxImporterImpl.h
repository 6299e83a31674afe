//===- OnnxImporterImpl.h - The importer's state (private) -------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The Importer class shared by the importer's files: OnnxImporter.cpp
// (tensors, values, the graph walk), OnnxElementwise.cpp (element-wise ops
// and building blocks), OnnxOps.cpp (matmuls, pooling, reshapes, softmax),
// OnnxConvOps.cpp (convolutions, Resize), OnnxNormOps.cpp, OnnxShapeOps.cpp,
// OnnxQuantOps.cpp and OnnxFold.cpp (graph rewrites, shape arithmetic).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_TOOLS_ONNXIMPORTERIMPL_H
#define QUANTOPT_TOOLS_ONNXIMPORTERIMPL_H

#include "QuantOpt/Import/OnnxImporter.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <deque>
#include <limits>

namespace quantopt {
namespace onnx_import {

using namespace mlir;

llvm::Error makeError(const llvm::Twine &message);

/// ONNX data types newer than Debian's libonnx-dev 1.12 headers (the field
/// is an int32, so models carry them all the same).
enum NewerDataType : int32_t {
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
};

/// Folds every inference BatchNormalization that alone consumes a Conv with
/// constant weights (and bias) into that Conv's weights and bias; returns
/// how many were folded (OnnxFold.cpp).
unsigned foldBatchNormIntoConv(onnx::GraphProto &graph);

/// The MLIR element type of an ONNX TensorProto data type (integers
/// signless), or null.
Type getElementType(MLIRContext *ctx, int32_t dataType);

/// ONNX's Sigmoid of a float scalar, 1 / (1 + exp(-x)): the one formula for
/// Sigmoid and the LSTM gates (OnnxElementwise.cpp).
Value buildSigmoid(OpBuilder &b, Location loc, Value x);

/// Whether ONNX data type `t` is an unsigned integer (integer tensors are
/// signless in MLIR: the importer tracks signedness by ONNX type).
inline bool isUnsignedOnnxType(int32_t t) {
  return t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::UINT16 ||
         t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64;
}

class Importer {
public:
  Importer(MLIRContext &ctx, const onnx::ModelProto &model,
           const OnnxImportOptions &options, Location modelLoc)
      : ctx(ctx), model(model), graph(model.graph()), options(options),
        b(&ctx), loc(modelLoc), modelLoc(modelLoc) {}

  llvm::Expected<OwningOpRef<ModuleOp>> run();

private:
  MLIRContext &ctx;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  const OnnxImportOptions &options;
  OpBuilder b;
  Location loc;
  /// The model file: the module's location (whole-model remarks).
  Location modelLoc;
  const onnx::NodeProto *node = nullptr;
  Block *entry = nullptr;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  llvm::StringMap<DenseElementsAttr> constants;
  /// Shape vectors (rank 0/1 integers) holding dynamic dimensions: their
  /// elements are sizes, or kSymbolicBase + k for symbolicDims[k].
  struct SymbolicShape {
    SmallVector<int64_t> values;
    bool scalar = false;
    Type element;
  };
  llvm::StringMap<SymbolicShape> symbolicShapes;
  /// Dimension `second` of the value named `first`.
  SmallVector<std::pair<std::string, int64_t>> symbolicDims;
  static constexpr int64_t kSymbolicBase =
      std::numeric_limits<int64_t>::min() / 2;
  static bool isSymbolicDim(int64_t v);
  /// ONNX element types (TensorProto::DataType) of the values whose
  /// signedness matters (integer tensors are signless here): initializers,
  /// Constant nodes, graph inputs, QuantizeLinear outputs.
  llvm::StringMap<int32_t> onnxTypes;

  // --- Diagnostics -------------------------------------------------------
  llvm::Error fail(const llvm::Twine &message) {
    return makeError("node '" + getNodeName() + "' (" + node->op_type() +
                     "): " + message);
  }
  std::string getNodeName() const {
    if (!node->name().empty())
      return node->name();
    return node->output_size() ? node->output(0) : std::string("?");
  }

  // --- Tensors and attributes -------------------------------------------
  llvm::Expected<DenseElementsAttr> getTensorAttr(const onnx::TensorProto &t);
  llvm::Expected<RankedTensorType> getValueType(const onnx::ValueInfoProto &v);
  const onnx::AttributeProto *findAttr(llvm::StringRef name) const {
    for (const onnx::AttributeProto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t getInt(llvm::StringRef name, int64_t fallback) const {
    const onnx::AttributeProto *a = findAttr(name);
    return a ? a->i() : fallback;
  }
  float getFloat(llvm::StringRef name, float fallback) const {
    const onnx::AttributeProto *a = findAttr(name);
    return a ? a->f() : fallback;
  }
  std::string getString(llvm::StringRef name, llvm::StringRef fallback) const {
    const onnx::AttributeProto *a = findAttr(name);
    return a ? a->s() : fallback.str();
  }
  SmallVector<int64_t> getInts(llvm::StringRef name,
                               ArrayRef<int64_t> fallback) const {
    const onnx::AttributeProto *a = findAttr(name);
    if (!a)
      return SmallVector<int64_t>(fallback);
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }

  // --- Values ------------------------------------------------------------
  bool hasInput(int i) const {
    return i < node->input_size() && !node->input(i).empty();
  }
  llvm::Expected<Value> getInput(int i);
  /// The constant value of input `i`, if it is an initializer or a Constant.
  DenseElementsAttr getConstantInput(int i) const {
    if (!hasInput(i))
      return nullptr;
    return constants.lookup(node->input(i));
  }
  void setOutput(int i, Value v) { values[node->output(i)] = v; }

  // --- Building blocks ---------------------------------------------------
  Value dim(Value v, int64_t d) {
    return tensor::DimOp::create(b, loc, v, d).getResult();
  }
  /// A tensor.empty of `shape` whose dynamic sizes are those of `like`'s
  /// dimensions `likeDims` (one per dynamic size).
  Value emptyTensor(ArrayRef<int64_t> shape, Type element,
                    ArrayRef<std::pair<Value, int64_t>> dynamicFrom) {
    SmallVector<Value> sizes;
    for (auto [v, d] : dynamicFrom)
      sizes.push_back(dim(v, d));
    return tensor::EmptyOp::create(b, loc, shape, element, sizes);
  }
  Value filled(Value empty, Attribute value) {
    Value scalar = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
    return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
  }
  /// An element-wise generic over `inputs` with numpy broadcasting, of
  /// element type `element`; `body` computes one element from the inputs'.
  llvm::Expected<Value>
  elementwise(ArrayRef<Value> inputs, Type element,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body);
  /// x + y (floating point) with numpy broadcasting.
  llvm::Expected<Value> addFloat(Value x, Value y);
  /// v copied to the broadcast shape of v and `shaped` (whose values are
  /// not read): Expand, MatMul's batch broadcasting.
  llvm::Expected<Value> broadcastLike(Value v, Value shaped);

  llvm::Error importNode();
  /// Folds the node when it is integer shape arithmetic (Cast, Slice,
  /// Gather, Concat, Squeeze, Unsqueeze, Add, Sub, Mul, Div) on rank-0/1
  /// constants: its output becomes a constant (OnnxFold.cpp).
  bool foldShapeArithmetic();
  /// Folds Reshape, Transpose, Slice, Concat, Squeeze and Unsqueeze of
  /// constants of any rank and element type (OnnxFold.cpp).
  bool foldConstantTensor();
  /// The sum (or maximum) of the float tensor `in` over `axes`, kept as
  /// dimensions of size 1 (`keepDims`) or dropped.
  Value reduce(Value in, ArrayRef<int64_t> axes, bool keepDims, bool isMax);
  /// `in` divided element-wise by the constant `divisor` (means).
  llvm::Expected<Value> divideBy(Value in, double divisor);

  llvm::Error importElementwise(llvm::StringRef op);
  llvm::Error importMatMul();
  /// a [..., M, K] times w [K, N] (float): linalg.matmul on the rows.
  llvm::Expected<Value> buildMatMul(Value a, Value w);
  /// ONNX Runtime's MatMulNBits (com.microsoft): A times the dequantized
  /// 4-bit block-quantized constant B^T (OnnxQuantOps.cpp).
  llvm::Error importMatMulNBits();
  /// ONNX Runtime's QOperator element-wise and pooling contrib ops
  /// (QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
  /// QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat,
  /// QLinearSoftmax) as the DequantizeLinear -> float op -> QuantizeLinear
  /// nodes their definition states (OnnxQuantOps.cpp).
  llvm::Error importQLinearContrib();
  // OnnxControlOps.cpp.
  /// If: with a condition known at import, the taken branch inline;
  /// otherwise an scf.if holding both.
  llvm::Error importIf();
  llvm::Error importBranch(const onnx::GraphProto &g);
  /// Equal, Greater, Less (numpy broadcasting) and Not on run-time values:
  /// bool (i1) tensors.
  llvm::Error importComparison();
  /// LSTM (forward, default activations), unrolled over the static sequence.
  llvm::Error importLSTM();
  /// Nodes made by importQLinearContrib (stable addresses: `node` points
  /// into it while they import).
  std::deque<onnx::NodeProto> synthesizedNodes;
  llvm::Error importGemm();
  // OnnxConvOps.cpp.
  /// A convolution's window, read from the node and checked.
  struct ConvWindow {
    int64_t spatial = 2, group = 1;
    SmallVector<int64_t> kernel, strides, dilations, pads;
    /// A 1-D window as the 2-D one with a unit height.
    void liftTo2d();
  };
  llvm::Expected<ConvWindow> getConvWindow(RankedTensorType xType,
                                           RankedTensorType wType);
  /// `v` reshaped to `type` (expand or collapse); a constant is reshaped at
  /// import.
  Value reshapeTo(Value v, RankedTensorType type,
                  ArrayRef<ReassociationIndices> reassociation);
  /// [N, C, W] as [N, C, 1, W], and back.
  Value liftTo2d(Value x);
  Value dropUnitHeight(Value y);
  /// An NCHW 2-D convolution: group 1, depthwise (multiplier 1) or grouped.
  llvm::Expected<Value> buildConv2d(Value x, Value w, ArrayRef<int64_t> pads,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> dilations, int64_t group);
  /// y plus the per-channel bias of input `biasIndex`, if there is one.
  llvm::Expected<Value> addChannelBias(Value y, int biasIndex);
  llvm::Error importConv();
  llvm::Error importConvTranspose();
  llvm::Error importResize();
  llvm::Error importPool(bool isMax);
  llvm::Error importGlobalAveragePool();
  llvm::Error importFlatten();
  llvm::Error importReshape();
  llvm::Error importTranspose();
  llvm::Error importSoftmax();
  /// QuantizeLinear (`quantize`) or DequantizeLinear as qnt.quantize /
  /// qnt.dequantize with the constant scale and zero point as #qnt.params.
  llvm::Error importQuantizeLinear(bool quantize);
  llvm::Error importBatchMatMul(Value a, Value w);
  /// MatMulInteger as a qnt.contract with unit scales (an i32 accumulator).
  llvm::Error importMatMulInteger();
  /// ConvInteger (NCHW) as a qnt.contract with unit scales.
  llvm::Error importConvInteger();
  /// QLinearMatMul as a qnt.contract with a requantized (stored) result.
  llvm::Error importQLinearMatMul();
  /// DynamicQuantizeLinear as qnt.dynamic_quantize (uint8, asymmetric).
  llvm::Error importDynamicQuantizeLinear();
  /// QLinearConv (NCHW) as a qnt.contract; with a bias, the accumulator
  /// plus the bias requantized by qnt.requantize.
  llvm::Error importQLinearConv();
  /// The activation (input 0) and the constant NCHW weight (input
  /// `weightIndex`) of ConvInteger/QLinearConv, checked.
  llvm::Error getIntegerConvOperands(int weightIndex, Value &x,
                                     DenseElementsAttr &weight);
  /// An NCHW 2-D convolution of stored integers as a qnt.contract (the
  /// node's strides, dilations and pads; padding with `padValue`); dense, or
  /// depthwise when the node's group equals the channels.
  llvm::Expected<qnt::ContractOp>
  buildIntegerConv(Value x, DenseElementsAttr weight, int64_t padValue,
                   qnt::ParamsAttr inputParams, qnt::ParamsAttr weightParams,
                   qnt::ParamsAttr resultParams, Type resultElement,
                   bool dense = false);
  /// The same for any group count: a grouped convolution (neither dense nor
  /// depthwise) is one dense qnt.contract per group on its slice of the
  /// input channels and of the weight (per-channel parameters sliced with
  /// it), concatenated along the channels.
  llvm::Expected<Value>
  buildGroupedIntegerConv(Value x, DenseElementsAttr weight, int64_t padValue,
                          qnt::ParamsAttr inputParams,
                          qnt::ParamsAttr weightParams,
                          qnt::ParamsAttr resultParams, Type resultElement);
  /// (zeroIndex < 0: none, as float8 storage has; blockSize > 0: blocks of
  /// that size along `axis`; the scale must be of type `expressed`, f32 when
  /// null, which becomes the parameters' expressed type.)
  qnt::ParamsAttr getConstantParams(int scaleIndex, int zeroIndex,
                                    numerics::StorageKind kind, int64_t axis,
                                    int64_t blockSize = 0, Type expressed = {});
  /// The storage of an ONNX element type: uint8, int8 or int32.
  static std::optional<numerics::StorageKind> getStorageKind(int32_t onnxType);
  /// #qnt.params of `groups` as ONNX states them (full range, any zero
  /// point; per `axis` when there is more than one group).
  qnt::ParamsAttr makeParams(numerics::StorageKind kind,
                             ArrayRef<numerics::QuantParams> groups,
                             int64_t axis, int64_t blockSize = 0,
                             Type expressed = {});
  /// The activation (input 0) and the constant weight (input
  /// `weightIndex`) of an integer layer.
  llvm::Error getLayerOperands(int weightIndex, Value &x,
                               DenseElementsAttr &weight);
  /// u8/i8 storage of input `i` from its ONNX type.
  std::optional<numerics::StorageKind> getIntegerStorage(int i) const;
  /// The constant zero points of input `i` (one, or `allowed` of them).
  llvm::Error getZeroPoints(int i, numerics::StorageKind kind, int64_t allowed,
                            SmallVector<int64_t> &out);
  /// #qnt.params with scales 1 (integer-only ops: the accumulator is the
  /// exact integer sum).
  qnt::ParamsAttr getUnitScaleParams(numerics::StorageKind kind,
                                     ArrayRef<int64_t> zeroPoints,
                                     int64_t axis, int64_t groups);
  // OnnxShapeOps.cpp.
  llvm::Expected<SmallVector<int64_t>> getAxes(int index, int64_t inputOpset,
                                               int64_t rank);
  llvm::Error importSqueeze(bool squeeze);
  llvm::Error importConcat();
  llvm::Error importPad();
  llvm::Error importSlice();
  llvm::Error importCast();
  llvm::Error importReduceMean();
  llvm::Error importBatchNormalization();
  llvm::Error importSplit();
  llvm::Error importGather();
  llvm::Error importGatherElements();
  llvm::Error importLayerNormalization();
  llvm::Error importShape();
  llvm::Error importConstantOfShape();
  llvm::Error importRange();
  llvm::Error importExpand();
  /// The explicit [begin..., end...] pads of a 2-D window op.
  llvm::Expected<SmallVector<int64_t>>
  getPads(RankedTensorType xType, ArrayRef<int64_t> kernel,
          ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations);
  Value pad(Value x, ArrayRef<int64_t> pads, Attribute value);
};

} // namespace onnx_import
} // namespace quantopt

#endif // QUANTOPT_TOOLS_ONNXIMPORTERIMPL_H
