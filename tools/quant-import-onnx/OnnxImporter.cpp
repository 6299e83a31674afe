//===- OnnxImporter.cpp - ONNX models to linalg on tensors ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// One pass over the graph's nodes (ONNX requires topological order): each
// node becomes linalg named ops where one exists (matmul, convolutions,
// pooling, transpose; OnnxOps.cpp) and element-wise linalg.generics
// otherwise, with numpy broadcasting written into the indexing maps.
// Weights (initializers, Constant nodes) become arith.constant tensors, so
// --qnt-quantize sees constant weights. Every op is located at its node's
// name.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include <cmath>

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

llvm::Expected<Value> Importer::elementwise(
    ArrayRef<Value> inputs, Type element,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = 0;
  for (Value v : inputs)
    rank = std::max(rank, cast<RankedTensorType>(v.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<std::pair<Value, int64_t>> dynamicFrom(rank, {Value(), -1});
  for (Value v : inputs) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t offset = rank - type.getRank();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t size = type.getDimSize(d), &out = shape[offset + d];
      if (ShapedType::isDynamic(size)) {
        if (!dynamicFrom[offset + d].first)
          dynamicFrom[offset + d] = {v, d};
        if (out == 1)
          out = ShapedType::kDynamic;
      } else if (size != 1) {
        if (out != 1 && !ShapedType::isDynamic(out) && out != size)
          return fail("shapes do not broadcast (" + llvm::Twine(out) +
                      " against " + llvm::Twine(size) + ")");
        out = size;
      }
    }
  }
  SmallVector<std::pair<Value, int64_t>> sizes;
  for (int64_t d = 0; d < rank; ++d)
    if (ShapedType::isDynamic(shape[d]))
      sizes.push_back(dynamicFrom[d]);
  SmallVector<AffineMap> maps;
  for (Value v : inputs) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      exprs.push_back(type.getDimSize(d) == 1 && shape[offset + d] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(offset + d));
    maps.push_back(AffineMap::get(rank, 0, exprs, &ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(shape, element, sizes);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                body(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}

Value Importer::reduce(Value in, ArrayRef<int64_t> axes, bool keepDims,
                       bool isMax) {
  auto type = cast<RankedTensorType>(in.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<std::pair<Value, int64_t>> dyn;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced && !keepDims)
      continue;
    shape.push_back(reduced ? 1 : type.getDimSize(d));
    outExprs.push_back(reduced ? b.getAffineConstantExpr(0)
                               : b.getAffineDimExpr(d));
    if (!reduced && type.isDynamicDim(d))
      dyn.push_back({in, d});
  }
  Attribute initValue =
      isMax ? FloatAttr::get(element,
                             APFloat::getInf(cast<FloatType>(element)
                                                 .getFloatSemantics(),
                                             /*Negative=*/true))
            : FloatAttr::get(element, 0.0);
  Value init = filled(emptyTensor(shape, element, dyn), initValue);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, outExprs, &ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{in},
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value r = isMax ? arith::MaximumFOp::create(nb, nl, a[0], a[1])
                                     .getResult()
                               : arith::AddFOp::create(nb, nl, a[0], a[1])
                                     .getResult();
               linalg::YieldOp::create(nb, nl, ValueRange{r});
             })
      .getResult(0);
}

llvm::Expected<Value> Importer::divideBy(Value in, double divisor) {
  Type element = getElementTypeOrSelf(in.getType());
  return elementwise({in}, element,
                     [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                       return arith::DivFOp::create(
                           nb, nl, e[0],
                           arith::ConstantOp::create(
                               nb, nl, FloatAttr::get(element, divisor)));
                     });
}

llvm::Error Importer::importElementwise(llvm::StringRef op) {
  // Optional inputs left out (an empty name) are null.
  SmallVector<Value> ins;
  for (int i = 0; i < node->input_size(); ++i) {
    if (!hasInput(i)) {
      ins.push_back(nullptr);
      continue;
    }
    auto v = getInput(i);
    if (!v)
      return v.takeError();
    ins.push_back(*v);
  }
  if (ins.empty() || !ins.front())
    return fail("input 0 is missing");
  Type element = getElementTypeOrSelf(ins.front().getType());
  for (Value v : ins)
    if (v && getElementTypeOrSelf(v.getType()) != element)
      return fail("inputs of different element types");
  if (op == "Clip" && !isa<FloatType>(element) &&
      onnxTypes.lookup(node->input(0)) != onnx::TensorProto::INT8 &&
      onnxTypes.lookup(node->input(0)) != onnx::TensorProto::INT32 &&
      onnxTypes.lookup(node->input(0)) != onnx::TensorProto::INT64)
    return fail("Clip of unsigned or unknown integer types is not supported");
  bool isFloat = isa<FloatType>(element);
  auto unary = [&](auto build) -> llvm::Error {
    if (!isFloat)
      return fail("only floating-point inputs are supported");
    auto r = elementwise(ins, element, [&](OpBuilder &nb, Location nl,
                                          ValueRange a) -> Value {
      return build(nb, nl, a[0]);
    });
    if (!r)
      return r.takeError();
    setOutput(0, *r);
    return llvm::Error::success();
  };
  auto constF = [&](OpBuilder &nb, Location nl, double v) -> Value {
    return arith::ConstantOp::create(nb, nl, FloatAttr::get(element, v));
  };
  if (op == "Relu")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return arith::MaximumFOp::create(nb, nl, x, constF(nb, nl, 0.0));
    });
  if (op == "Sigmoid")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value e = math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, x));
      Value one = constF(nb, nl, 1.0);
      return arith::DivFOp::create(nb, nl, one,
                                   arith::AddFOp::create(nb, nl, one, e));
    });
  if (op == "Tanh")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::TanhOp::create(nb, nl, x);
    });
  if (op == "Exp")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::ExpOp::create(nb, nl, x);
    });
  if (op == "Sqrt")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::SqrtOp::create(nb, nl, x);
    });
  if (op == "Neg")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return arith::NegFOp::create(nb, nl, x);
    });
  if (op == "Abs")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::AbsFOp::create(nb, nl, x);
    });
  if (op == "Erf")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::ErfOp::create(nb, nl, x);
    });
  if (op == "Log")
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      return math::LogOp::create(nb, nl, x);
    });
  // Gelu (opset 20): 0.5 x (1 + erf(x / sqrt(2))), or with
  // approximate="tanh" 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
  if (op == "Gelu") {
    std::string approximate = getString("approximate", "none");
    if (approximate != "none" && approximate != "tanh")
      return fail("unknown approximate='" + approximate + "'");
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value inner;
      if (approximate == "tanh") {
        Value cube = arith::MulFOp::create(
            nb, nl, arith::MulFOp::create(nb, nl, x, x), x);
        inner = arith::AddFOp::create(
            nb, nl, x,
            arith::MulFOp::create(nb, nl, cube, constF(nb, nl, 0.044715)));
        inner = arith::MulFOp::create(
            nb, nl, inner, constF(nb, nl, std::sqrt(2.0 / M_PI)));
        inner = math::TanhOp::create(nb, nl, inner);
      } else {
        inner = math::ErfOp::create(
            nb, nl, arith::MulFOp::create(nb, nl, x, constF(nb, nl, M_SQRT1_2)));
      }
      Value half = arith::MulFOp::create(nb, nl, x, constF(nb, nl, 0.5));
      return arith::MulFOp::create(
          nb, nl, half,
          arith::AddFOp::create(nb, nl, inner, constF(nb, nl, 1.0)));
    });
  }
  if (op == "LeakyRelu") {
    double alpha = getFloat("alpha", 0.01f);
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value negative = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT,
                                             x, constF(nb, nl, 0.0));
      return arith::SelectOp::create(
          nb, nl, negative,
          arith::MulFOp::create(nb, nl, x, constF(nb, nl, alpha)), x);
    });
  }
  // HardSigmoid: max(0, min(1, alpha x + beta)); HardSwish: x times it with
  // alpha = 1/6, beta = 0.5.
  if (op == "HardSigmoid" || op == "HardSwish") {
    bool swish = op == "HardSwish";
    double alpha = swish ? static_cast<double>(1.0f / 6.0f)
                         : getFloat("alpha", 0.2f);
    double beta = swish ? 0.5 : getFloat("beta", 0.5f);
    return unary([&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value y = arith::AddFOp::create(
          nb, nl, arith::MulFOp::create(nb, nl, x, constF(nb, nl, alpha)),
          constF(nb, nl, beta));
      y = arith::MinimumFOp::create(nb, nl, y, constF(nb, nl, 1.0));
      y = arith::MaximumFOp::create(nb, nl, y, constF(nb, nl, 0.0));
      return swish ? arith::MulFOp::create(nb, nl, x, y).getResult() : y;
    });
  }
  // Clip: min and max are optional inputs (attributes before opset 11).
  if (op == "Clip") {
    std::optional<double> lo, hi;
    if (opset < 11) {
      lo = getFloat("min", -std::numeric_limits<float>::max());
      hi = getFloat("max", std::numeric_limits<float>::max());
    }
    SmallVector<Value> clipIns{ins[0]};
    int minIndex = -1, maxIndex = -1;
    if (opset >= 11) {
      if (hasInput(1)) {
        minIndex = clipIns.size();
        clipIns.push_back(ins[1]);
      }
      if (hasInput(2)) {
        maxIndex = clipIns.size();
        clipIns.push_back(ins[2]);
      }
    }
    auto r = elementwise(
        clipIns, element, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value v = a[0];
          auto bound = [&](std::optional<double> c, int index) -> Value {
            if (index >= 0)
              return a[index];
            if (!c)
              return nullptr;
            return isFloat ? constF(nb, nl, *c) : Value();
          };
          if (Value l = bound(lo, minIndex))
            v = isFloat ? arith::MaximumFOp::create(nb, nl, v, l).getResult()
                        : arith::MaxSIOp::create(nb, nl, v, l).getResult();
          if (Value h = bound(hi, maxIndex))
            v = isFloat ? arith::MinimumFOp::create(nb, nl, v, h).getResult()
                        : arith::MinSIOp::create(nb, nl, v, h).getResult();
          return v;
        });
    if (!r)
      return r.takeError();
    setOutput(0, *r);
    return llvm::Error::success();
  }
  if (op == "Pow") {
    if (!isFloat || ins.size() != 2)
      return fail("only floating-point Pow with one exponent type is "
                  "supported");
    auto r = elementwise(ins, element,
                         [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return math::PowFOp::create(nb, nl, a[0], a[1]);
                         });
    if (!r)
      return r.takeError();
    setOutput(0, *r);
    return llvm::Error::success();
  }
  // Binary arithmetic with broadcasting.
  if (ins.size() != 2)
    return fail("expected two inputs");
  auto r = elementwise(
      ins, element, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        if (isFloat) {
          if (op == "Add")
            return arith::AddFOp::create(nb, nl, a[0], a[1]);
          if (op == "Sub")
            return arith::SubFOp::create(nb, nl, a[0], a[1]);
          if (op == "Mul")
            return arith::MulFOp::create(nb, nl, a[0], a[1]);
          return arith::DivFOp::create(nb, nl, a[0], a[1]);
        }
        if (op == "Add")
          return arith::AddIOp::create(nb, nl, a[0], a[1]);
        if (op == "Sub")
          return arith::SubIOp::create(nb, nl, a[0], a[1]);
        return arith::MulIOp::create(nb, nl, a[0], a[1]);
      });
  if (!isFloat && op == "Div")
    return fail("integer division is not supported yet");
  if (!r)
    return r.takeError();
  setOutput(0, *r);
  return llvm::Error::success();
}


llvm::Error Importer::importNode() {
  const std::string &op = node->op_type();
  if (node->domain() == "com.microsoft") {
    // ONNX Runtime's contrib ops: only MatMulNBits so far.
    loc = NameLoc::get(b.getStringAttr(getNodeName()));
    if (op == "MatMulNBits")
      return importMatMulNBits();
    return fail("ONNX Runtime's contrib op com.microsoft." + op +
                " is not supported (MatMulNBits is)");
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
  if (foldShapeArithmetic())
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
    int32_t t = v.type().tensor_type().elem_type();
    return t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::UINT16 ||
           t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64;
  };
  SmallVector<bool> argUnsigned, resultUnsigned;
  for (const onnx::ValueInfoProto &v : graph.input()) {
    if (constants.count(v.name()))
      continue;
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
                      tensor::TensorDialect>();
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
