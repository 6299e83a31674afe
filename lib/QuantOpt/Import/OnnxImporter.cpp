//===- OnnxImporter.cpp - ONNX models to linalg on tensors ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The graph walk: tensors (initializers, Constant nodes) become
// arith.constant tensors, so --qnt-quantize sees constant weights; graph
// inputs become function arguments; one pass over the nodes (ONNX requires
// topological order) dispatches each to its importer (element-wise ops in
// OnnxElementwise.cpp, structured ops in OnnxOps.cpp and the other
// Onnx*Ops.cpp files). Every op is located at its node's name.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"

#include <climits>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;


llvm::Error quantopt::onnx_import::makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The MLIR element type of an ONNX TensorProto data type.
Type quantopt::onnx_import::getElementType(MLIRContext *ctx,
                                          int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(ctx);
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return IntegerType::get(ctx, dataType == onnx::TensorProto::BOOL ? 1 : 8);
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return IntegerType::get(ctx, 16);
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return IntegerType::get(ctx, 32);
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return IntegerType::get(ctx, 64);
  case kFloat8E4M3FN:
    return Float8E4M3FNType::get(ctx);
  case kFloat8E5M2:
    return Float8E5M2Type::get(ctx);
  case kFloat8E4M3FNUZ:
    return Float8E4M3FNUZType::get(ctx);
  case kFloat8E5M2FNUZ:
    return Float8E5M2FNUZType::get(ctx);
  case kInt4:
  case kUInt4:
    return IntegerType::get(ctx, 4);
  default:
    return nullptr;
  }
}

static std::string getDataTypeName(int32_t dataType) {
  switch (dataType) {
  case kFloat8E4M3FN:
    return "FLOAT8E4M3FN";
  case kFloat8E5M2:
    return "FLOAT8E5M2";
  case kFloat8E4M3FNUZ:
    return "FLOAT8E4M3FNUZ";
  case kFloat8E5M2FNUZ:
    return "FLOAT8E5M2FNUZ";
  case kUInt4:
    return "UINT4";
  case kInt4:
    return "INT4";
  default:
    break;
  }
  if (onnx::TensorProto_DataType_IsValid(dataType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(dataType));
  return "data type " + std::to_string(dataType);
}


llvm::Expected<DenseElementsAttr>
Importer::getTensorAttr(const onnx::TensorProto &t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return makeError("tensor '" + t.name() +
                     "' keeps its data in an external file, which is not "
                     "supported yet");
  Type element = getElementType(&ctx, t.data_type());
  if (!element)
    return makeError("tensor '" + t.name() + "' has unsupported " +
                     getDataTypeName(t.data_type()));
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  auto type = RankedTensorType::get(shape, element);
  int64_t count = type.getNumElements();
  unsigned bits = element.getIntOrFloatBitWidth();
  if (bits == 4) {
    // int4/uint4: two values per byte over the flattened tensor, the first
    // in the low nibble (raw_data), or one per int32_data entry.
    SmallVector<APInt> v;
    if (!t.raw_data().empty()) {
      if (t.raw_data().size() != static_cast<size_t>((count + 1) / 2))
        return makeError("tensor '" + t.name() + "' holds " +
                         llvm::Twine(t.raw_data().size()) + " bytes for " +
                         llvm::Twine(count) + " 4-bit elements");
      for (int64_t i = 0; i < count; ++i) {
        uint8_t byte = static_cast<uint8_t>(t.raw_data()[i / 2]);
        v.push_back(APInt(4, i % 2 ? byte >> 4 : byte & 0xF));
      }
    } else {
      if (t.int32_data_size() != count)
        return makeError("tensor '" + t.name() + "' holds " +
                         llvm::Twine(t.int32_data_size()) + " values for " +
                         llvm::Twine(count) + " elements");
      for (int32_t x : t.int32_data())
        v.push_back(APInt(4, static_cast<uint64_t>(x) & 0xF));
    }
    return DenseElementsAttr::get(type, v);
  }
  if (!t.raw_data().empty()) {
    size_t bytes = element.isInteger(1) ? 1 : bits / 8;
    if (t.raw_data().size() != static_cast<size_t>(count) * bytes)
      return makeError("tensor '" + t.name() + "' holds " +
                       llvm::Twine(t.raw_data().size()) + " bytes for " +
                       llvm::Twine(count) + " elements");
    if (element.isInteger(1)) {
      SmallVector<bool> v;
      for (char c : t.raw_data())
        v.push_back(c != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(v));
    }
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(t.raw_data().data(), t.raw_data().size()));
  }
  // Typed fields (ONNX stores small integer types in int32_data).
  auto check = [&](int64_t have) -> llvm::Error {
    if (have != count)
      return makeError("tensor '" + t.name() + "' holds " + llvm::Twine(have) +
                       " values for " + llvm::Twine(count) + " elements");
    return llvm::Error::success();
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT: {
    if (auto e = check(t.float_data_size()))
      return std::move(e);
    return DenseElementsAttr::get(
        type, ArrayRef<float>(t.float_data().data(), t.float_data_size()));
  }
  case onnx::TensorProto::DOUBLE: {
    if (auto e = check(t.double_data_size()))
      return std::move(e);
    return DenseElementsAttr::get(
        type, ArrayRef<double>(t.double_data().data(), t.double_data_size()));
  }
  case onnx::TensorProto::INT64: {
    if (auto e = check(t.int64_data_size()))
      return std::move(e);
    return DenseElementsAttr::get(
        type, ArrayRef<int64_t>(t.int64_data().data(), t.int64_data_size()));
  }
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL: {
    if (auto e = check(t.int32_data_size()))
      return std::move(e);
    SmallVector<APInt> v;
    for (int32_t x : t.int32_data())
      v.push_back(APInt(bits, static_cast<uint64_t>(static_cast<int64_t>(x)),
                        /*isSigned=*/true, /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, v);
  }
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case kFloat8E4M3FN:
  case kFloat8E4M3FNUZ:
  case kFloat8E5M2:
  case kFloat8E5M2FNUZ: {
    // Their bit patterns, one per int32_data entry.
    if (auto e = check(t.int32_data_size()))
      return std::move(e);
    const llvm::fltSemantics &sem =
        cast<FloatType>(element).getFloatSemantics();
    SmallVector<APFloat> v;
    for (int32_t x : t.int32_data())
      v.push_back(APFloat(sem, APInt(bits, static_cast<uint64_t>(x) &
                                               ((uint64_t(1) << bits) - 1))));
    return DenseElementsAttr::get(type, v);
  }
  default:
    return makeError("tensor '" + t.name() + "': " +
                     getDataTypeName(t.data_type()) +
                     " is only supported as raw data");
  }
}

llvm::Expected<RankedTensorType>
Importer::getValueType(const onnx::ValueInfoProto &v) {
  if (!v.type().has_tensor_type())
    return makeError("graph input '" + v.name() + "' is not a tensor");
  const onnx::TypeProto::Tensor &t = v.type().tensor_type();
  Type element = getElementType(&ctx, t.elem_type());
  if (!element)
    return makeError("graph input '" + v.name() + "' has unsupported " +
                     getDataTypeName(t.elem_type()));
  if (!t.has_shape())
    return makeError("graph input '" + v.name() + "' has no shape");
  SmallVector<int64_t> shape;
  auto given = options.inputShapes.find(v.name());
  if (given != options.inputShapes.end() &&
      static_cast<int>(given->second.size()) != t.shape().dim_size())
    return makeError("--input-shape for '" + v.name() + "' has " +
                     Twine(given->second.size()) + " dimensions; the input has " +
                     Twine(t.shape().dim_size()));
  for (const auto &[i, d] : llvm::enumerate(t.shape().dim())) {
    if (given != options.inputShapes.end() && given->second[i] < 0) {
      shape.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
    } else if (given != options.inputShapes.end()) {
      int64_t size = given->second[i];
      if (d.has_dim_value() && d.dim_value() != size)
        return makeError("--input-shape for '" + v.name() + "': dimension " +
                         Twine(i) + " is " + Twine(d.dim_value()) +
                         " in the model, not " + Twine(size));
      shape.push_back(size);
    } else if (d.has_dim_value()) {
      shape.push_back(d.dim_value());
    } else {
      shape.push_back(options.batch ? *options.batch : ShapedType::kDynamic);
    }
  }
  return RankedTensorType::get(shape, element);
}

llvm::Expected<Value> Importer::getInput(int i) {
  if (!hasInput(i))
    return fail("input " + llvm::Twine(i) + " is missing");
  const std::string &name = node->input(i);
  if (Value v = values.lookup(name))
    return v;
  if (DenseElementsAttr c = constants.lookup(name)) {
    // Constants go to the function entry, once.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value v = arith::ConstantOp::create(b, NameLoc::get(b.getStringAttr(name)), c);
    values[name] = v;
    return v;
  }
  if (symbolicShapes.count(name))
    return fail("input '" + name + "' holds a dynamic dimension (from "
                "Shape), which only a Reshape of the same tensor can use; "
                "import with --batch N or --input-shape");
  return fail("input '" + name + "' is produced by no node before it");
}

llvm::Error Importer::importNode() {
  const std::string &op = node->op_type();
  if (node->domain() == "com.microsoft") {
    // ONNX Runtime's contrib ops: only MatMulNBits so far.
    loc = NameLoc::get(b.getStringAttr(getNodeName()));
    if (op == "MatMulNBits")
      return importMatMulNBits();
    if (llvm::is_contained({"QLinearAdd", "QLinearMul", "QLinearSigmoid",
                            "QLinearLeakyRelu", "QLinearGlobalAveragePool",
                            "QLinearAveragePool", "QLinearConcat",
                            "QLinearSoftmax"},
                           llvm::StringRef(op)))
      return importQLinearContrib();
    return fail("ONNX Runtime's contrib op com.microsoft." + op +
                " is not supported (MatMulNBits and the QLinear element-wise "
                "and pooling ops are)");
  }
  if (!node->domain().empty() && node->domain() != "ai.onnx")
    return fail("ops of domain '" + node->domain() + "' are not supported");
  loc = NameLoc::get(b.getStringAttr(getNodeName()));
  if (op == "Constant") {
    const onnx::AttributeProto *value = findAttr("value");
    if (!value || !value->has_t())
      return fail("only Constant nodes with a tensor 'value' are supported");
    auto attr = getTensorAttr(value->t());
    if (!attr)
      return fail(llvm::toString(attr.takeError()));
    constants[node->output(0)] = *attr;
    onnxTypes[node->output(0)] = value->t().data_type();
    return llvm::Error::success();
  }
  if (foldShapeArithmetic() || foldConstantTensor())
    return llvm::Error::success();
  if (op == "Dropout") {
    // Inference: the identity, unless training_mode (input 2) may be true.
    if (hasInput(2)) {
      DenseElementsAttr training = getConstantInput(2);
      if (!training || !training.isSplat() ||
          training.getSplatValue<APInt>().getBoolValue())
        return fail("training-mode Dropout (random) is not supported");
    }
  }
  if (op == "Identity" || op == "Dropout") {
    if (DenseElementsAttr c = getConstantInput(0)) {
      constants[node->output(0)] = c;
      onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
      return llvm::Error::success();
    }
    auto x = getInput(0);
    if (!x)
      return x.takeError();
    if (op == "Dropout" && node->output_size() > 1)
      return fail("the mask output of Dropout is not supported");
    setOutput(0, *x);
    onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
    return llvm::Error::success();
  }
  if (llvm::is_contained({"Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Neg",
                          "Abs", "Add", "Sub", "Mul", "Div", "Erf", "Log",
                          "LeakyRelu", "HardSigmoid", "HardSwish", "Clip",
                          "Gelu",
                          "Pow"},
                         llvm::StringRef(op)))
    return importElementwise(op);
  if (op == "MatMul")
    return importMatMul();
  if (op == "Gemm")
    return importGemm();
  if (op == "Conv")
    return importConv();
  if (op == "ConvTranspose")
    return importConvTranspose();
  if (op == "Resize")
    return importResize();
  if (op == "MaxPool")
    return importPool(true);
  if (op == "AveragePool")
    return importPool(false);
  if (op == "GlobalAveragePool")
    return importGlobalAveragePool();
  if (op == "Flatten")
    return importFlatten();
  if (op == "Reshape")
    return importReshape();
  if (op == "Transpose")
    return importTranspose();
  if (op == "Softmax")
    return importSoftmax();
  if (op == "QuantizeLinear" || op == "DequantizeLinear")
    return importQuantizeLinear(op == "QuantizeLinear");
  if (op == "MatMulInteger")
    return importMatMulInteger();
  if (op == "ConvInteger")
    return importConvInteger();
  if (op == "QLinearMatMul")
    return importQLinearMatMul();
  if (op == "DynamicQuantizeLinear")
    return importDynamicQuantizeLinear();
  if (op == "QLinearConv")
    return importQLinearConv();
  if (op == "Squeeze" || op == "Unsqueeze")
    return importSqueeze(op == "Squeeze");
  if (op == "Concat")
    return importConcat();
  if (op == "Pad")
    return importPad();
  if (op == "Slice")
    return importSlice();
  if (op == "Cast")
    return importCast();
  if (op == "ReduceMean")
    return importReduceMean();
  if (op == "BatchNormalization")
    return importBatchNormalization();
  if (op == "Split")
    return importSplit();
  if (op == "Gather")
    return importGather();
  if (op == "GatherElements")
    return importGatherElements();
  if (op == "LayerNormalization")
    return importLayerNormalization();
  if (op == "Shape")
    return importShape();
  if (op == "ConstantOfShape")
    return importConstantOfShape();
  if (op == "Range")
    return importRange();
  if (op == "Expand")
    return importExpand();
  if (op == "If")
    return importIf();
  if (llvm::is_contained({"Equal", "Greater", "Less", "Not"},
                         llvm::StringRef(op)))
    return importComparison();
  if (op == "LSTM")
    return importLSTM();
  return fail("op " + op + " is not supported yet (docs/Import.md lists the "
              "ops the importer knows)");
}

llvm::Expected<OwningOpRef<ModuleOp>> Importer::run() {
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opset = set.version();
  if (opset == 0)
    return makeError("the model imports no default-domain opset");
  if (graph.sparse_initializer_size())
    return makeError("sparse initializers are not supported");
  for (const onnx::TensorProto &t : graph.initializer()) {
    auto attr = getTensorAttr(t);
    if (!attr)
      return attr.takeError();
    constants[t.name()] = *attr;
    onnxTypes[t.name()] = t.data_type();
  }
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  // Integer tensors are signless: which inputs and outputs hold unsigned
  // values (so that quant-run exchanges them as numpy unsigned arrays).
  auto isUnsigned = [](const onnx::ValueInfoProto &v) {
    return isUnsignedOnnxType(v.type().tensor_type().elem_type());
  };
  SmallVector<bool> argUnsigned, resultUnsigned;
  for (const auto &given : options.inputValues)
    if (llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &v) {
          return v.name() == given.first;
        }))
      return makeError("--input-value names '" + given.first +
                       "', which is not an input of the graph");
  for (const onnx::ValueInfoProto &v : graph.input()) {
    if (constants.count(v.name()))
      continue;
    auto frozen = options.inputValues.find(v.name());
    if (frozen != options.inputValues.end()) {
      // A constant of the input's type, filled with the value (or holding
      // the values, one per element).
      auto type = getValueType(v);
      if (!type)
        return type.takeError();
      const std::vector<double> &given = frozen->second;
      if (!type->hasStaticShape() ||
          (given.size() != 1 &&
           static_cast<int64_t>(given.size()) != type->getNumElements()))
        return makeError("--input-value for '" + v.name() +
                         "' needs a static shape and one value or one per "
                         "element");
      Type element = type->getElementType();
      SmallVector<Attribute> elements;
      for (int64_t i = 0; i < type->getNumElements(); ++i) {
        double x = given[given.size() == 1 ? 0 : i];
        if (auto f = dyn_cast<FloatType>(element))
          elements.push_back(FloatAttr::get(f, x));
        else if (element.isIntOrIndex() && x == std::trunc(x))
          elements.push_back(IntegerAttr::get(element, static_cast<int64_t>(x)));
        else
          return makeError("--input-value for '" + v.name() + "': " +
                           std::to_string(x) + " is not a value of its type");
      }
      constants[v.name()] = DenseElementsAttr::get(*type, elements);
      onnxTypes[v.name()] = v.type().tensor_type().elem_type();
      continue;
    }
    auto type = getValueType(v);
    if (!type)
      return type.takeError();
    argTypes.push_back(*type);
    argNames.push_back(v.name());
    argUnsigned.push_back(isUnsigned(v));
    onnxTypes[v.name()] = v.type().tensor_type().elem_type();
  }
  for (const auto &given : options.inputShapes)
    if (!llvm::is_contained(argNames, given.first))
      return makeError("--input-shape names '" + given.first +
                       "', which is not an input of the graph");
  for (const onnx::ValueInfoProto &v : graph.output())
    resultUnsigned.push_back(v.type().has_tensor_type() && isUnsigned(v));
  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, UnknownLoc::get(&ctx),
                                   options.functionName,
                                   b.getFunctionType(argTypes, {}));
  entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames))
    values[name] = entry->getArgument(i);
  b.setInsertionPointToEnd(entry);
  for (const onnx::NodeProto &n : graph.node()) {
    node = &n;
    if (llvm::Error e = importNode())
      return std::move(e);
  }
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &v : graph.output()) {
    Value r = values.lookup(v.name());
    if (!r && constants.count(v.name())) {
      r = arith::ConstantOp::create(b, UnknownLoc::get(&ctx),
                                    constants.lookup(v.name()));
    }
    if (!r)
      return makeError("graph output '" + v.name() + "' is produced by no node");
    results.push_back(r);
  }
  func::ReturnOp::create(b, UnknownLoc::get(&ctx), results);
  func.setFunctionType(b.getFunctionType(argTypes, TypeRange(results)));
  // The qnt dialect's runtime ABI flags (qnt-export-signatures keeps them).
  if (llvm::is_contained(argUnsigned, true))
    func->setAttr("qnt.unsigned_args", b.getDenseBoolArrayAttr(argUnsigned));
  if (llvm::is_contained(resultUnsigned, true))
    func->setAttr("qnt.unsigned_results",
                  b.getDenseBoolArrayAttr(resultUnsigned));
  return module;
}


llvm::Expected<OwningOpRef<ModuleOp>>
quantopt::importOnnxModel(llvm::StringRef path, MLIRContext &context,
                          const OnnxImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return makeError("cannot read '" + path + "': " +
                     buffer.getError().message());
  onnx::ModelProto model;
  if ((*buffer)->getBufferSize() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray((*buffer)->getBufferStart(),
                            static_cast<int>((*buffer)->getBufferSize())))
    return makeError("'" + path + "' is not a valid ONNX model (protobuf "
                     "parsing failed)");
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect, qnt::QntDialect,
                      scf::SCFDialect, tensor::TensorDialect>();
  if (options.foldBatchNorm)
    foldBatchNormIntoConv(*model.mutable_graph());
  Importer importer(context, model, options,
                    FileLineColLoc::get(&context, path, 0, 0));
  auto module = importer.run();
  if (!module)
    return module.takeError();
  if (failed(mlir::verify(**module)))
    return makeError("the imported module does not verify (an importer bug; "
                     "the diagnostics above say where)");
  return module;
}
