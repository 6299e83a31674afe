//===- OnnxElementwise.cpp - ONNX element-wise ops --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Element-wise ops as linalg.generics with numpy broadcasting written into
// the indexing maps (Importer::elementwise), the shared element-wise
// building blocks (addition, broadcasting copies, reductions and means),
// and the ONNX element-wise ops themselves (Relu, Add, Clip, HardSwish,
// Gelu, ...).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include <climits>
#include <cmath>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

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

llvm::Expected<Value> Importer::addFloat(Value x, Value y) {
  return elementwise({x, y}, getElementTypeOrSelf(x.getType()),
                     [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                       return arith::AddFOp::create(nb, nl, e[0], e[1]);
                     });
}

llvm::Expected<Value> Importer::broadcastLike(Value v, Value shaped) {
  return elementwise({v, shaped}, getElementTypeOrSelf(v.getType()),
                     [&](OpBuilder &, Location, ValueRange e) -> Value {
                       return e[0];
                     });
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

Value quantopt::onnx_import::buildSigmoid(OpBuilder &b, Location loc,
                                         Value x) {
  Value one =
      arith::ConstantOp::create(b, loc, FloatAttr::get(x.getType(), 1.0));
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
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
    return unary(buildSigmoid);
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
