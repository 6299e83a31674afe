//===- OnnxFold.cpp - Graph rewrites before the import ---------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// BatchNormalization after a convolution (inference, constant parameters)
// folds into the convolution's weights and bias, as ONNX Runtime's graph
// optimizer does, so that the layer --qnt-quantize sees carries the
// normalization:
//
//   f = scale / sqrt(var + epsilon)       (per output channel)
//   W'[m] = W[m] * f[m]     B'[m] = (B[m] - mean[m]) * f[m] + bias[m]
//
// computed in double and rounded to float once.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <map>

using namespace quantopt;

namespace {

const onnx::TensorProto *findInitializer(const onnx::GraphProto &graph,
                                         const std::string &name) {
  for (const onnx::TensorProto &t : graph.initializer())
    if (t.name() == name)
      return &t;
  return nullptr;
}

/// The float values of a float initializer (raw or typed), or empty.
std::vector<float> getFloats(const onnx::TensorProto &t) {
  std::vector<float> v;
  if (t.data_type() != onnx::TensorProto::FLOAT)
    return v;
  if (!t.raw_data().empty()) {
    v.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
  } else {
    v.assign(t.float_data().begin(), t.float_data().end());
  }
  return v;
}

onnx::TensorProto makeFloats(const std::string &name,
                             const std::vector<int64_t> &dims,
                             const std::vector<float> &values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                             values.size() * sizeof(float)));
  return t;
}

} // namespace

unsigned quantopt::onnx_import::foldBatchNormIntoConv(onnx::GraphProto &graph) {
  // Consumers of each value (graph outputs count as consumers).
  std::map<std::string, int> uses;
  for (const onnx::NodeProto &n : graph.node())
    for (const std::string &in : n.input())
      ++uses[in];
  for (const onnx::ValueInfoProto &out : graph.output())
    ++uses[out.name()];
  unsigned folded = 0;
  for (int bn = 0; bn < graph.node_size(); ++bn) {
    const onnx::NodeProto &norm = graph.node(bn);
    if (norm.op_type() != "BatchNormalization" || norm.output_size() != 1 ||
        norm.input_size() != 5 || !norm.domain().empty())
      continue;
    int producer = -1;
    for (int c = 0; c < bn; ++c)
      for (const std::string &out : graph.node(c).output())
        if (out == norm.input(0))
          producer = c;
    if (producer < 0 || graph.node(producer).op_type() != "Conv" ||
        uses[norm.input(0)] != 1)
      continue;
    onnx::NodeProto &conv = *graph.mutable_node(producer);
    const onnx::TensorProto *w = findInitializer(graph, conv.input(1));
    const onnx::TensorProto *b =
        conv.input_size() > 2 ? findInitializer(graph, conv.input(2)) : nullptr;
    if (!w || w->dims_size() != 4 || (conv.input_size() > 2 && !b) ||
        uses[conv.input(1)] != 1 || (b && uses[conv.input(2)] != 1))
      continue;
    std::vector<float> wv = getFloats(*w), bv;
    int64_t m = w->dims(0);
    if (b)
      bv = getFloats(*b);
    else
      bv.assign(m, 0.0f);
    std::vector<std::vector<float>> p;
    for (int i = 1; i < 5; ++i) {
      const onnx::TensorProto *t = findInitializer(graph, norm.input(i));
      p.push_back(t ? getFloats(*t) : std::vector<float>());
    }
    bool sizesFit = !wv.empty() && static_cast<int64_t>(bv.size()) == m;
    for (const std::vector<float> &v : p)
      sizesFit &= static_cast<int64_t>(v.size()) == m;
    if (!sizesFit)
      continue;
    double epsilon = 1e-5;
    for (const onnx::AttributeProto &a : norm.attribute())
      if (a.name() == "epsilon")
        epsilon = a.f();
    int64_t per = static_cast<int64_t>(wv.size()) / m;
    std::vector<float> w2(wv.size()), b2(m);
    for (int64_t o = 0; o < m; ++o) {
      double f = static_cast<double>(p[0][o]) /
                 std::sqrt(static_cast<double>(p[3][o]) + epsilon);
      for (int64_t i = 0; i < per; ++i)
        w2[o * per + i] = static_cast<float>(wv[o * per + i] * f);
      b2[o] = static_cast<float>((bv[o] - static_cast<double>(p[2][o])) * f +
                                 p[1][o]);
    }
    std::string base = conv.name().empty() ? conv.output(0) : conv.name();
    std::vector<int64_t> wDims(w->dims().begin(), w->dims().end());
    *graph.add_initializer() = makeFloats(base + ".bn_folded_weight", wDims, w2);
    *graph.add_initializer() = makeFloats(base + ".bn_folded_bias", {m}, b2);
    conv.set_input(1, base + ".bn_folded_weight");
    if (conv.input_size() > 2)
      conv.set_input(2, base + ".bn_folded_bias");
    else
      conv.add_input(base + ".bn_folded_bias");
    // The convolution now produces the normalization's output.
    conv.set_output(0, norm.output(0));
    graph.mutable_node()->DeleteSubrange(bn, 1);
    --bn;
    ++folded;
  }
  return folded;
}

//===----------------------------------------------------------------------===//
// Shape arithmetic on constants
//===----------------------------------------------------------------------===//
//
// Exporters compute reshape targets from Shape at run time: Shape -> Cast ->
// Slice/Gather -> Concat -> Reshape. Once Shape has folded (static shapes),
// these small integer computations fold too, so the ops that need a constant
// shape get one. Only integer tensors of rank 0 or 1 fold here; a weight or
// a float computation on constants stays an op (DequantizeLinear of a
// constant weight must remain for the QDQ folding).

namespace quantopt::onnx_import {

namespace {
/// A rank-0/1 integer constant as int64 values, with its rank.
struct IntVector {
  SmallVector<int64_t> values;
  bool scalar = false;
};

/// Unsigned integer types and bool (whose true is 1, not -1).
bool isUnsignedType(int32_t t) {
  return isUnsignedOnnxType(t) || t == onnx::TensorProto::BOOL;
}

} // namespace

bool Importer::isSymbolicDim(int64_t v) {
  return v >= kSymbolicBase && v < kSymbolicBase + (int64_t(1) << 20);
}

namespace {
std::optional<IntVector> getIntVector(DenseElementsAttr attr,
                                      bool isUnsigned) {
  if (!attr || !attr.getElementType().isSignlessInteger())
    return std::nullopt;
  // Booleans are 0 and 1.
  isUnsigned |= attr.getElementType().isInteger(1);
  auto type = cast<RankedTensorType>(attr.getType());
  if (type.getRank() > 1 || type.getNumElements() > 64)
    return std::nullopt;
  IntVector v;
  v.scalar = type.getRank() == 0;
  for (APInt x : attr.getValues<APInt>())
    v.values.push_back(isUnsigned ? static_cast<int64_t>(x.getZExtValue())
                                  : x.getSExtValue());
  return v;
}
} // namespace

bool Importer::foldShapeArithmetic() {
  llvm::StringRef op = node->op_type();
  if (!llvm::is_contained({"Cast", "Slice", "Gather", "Concat", "Squeeze",
                           "Unsqueeze", "Add", "Sub", "Mul", "Div", "Equal",
                           "Greater", "Less", "Not", "Size"},
                          op) ||
      node->output_size() != 1)
    return false;
  if (op == "Size") {
    // The element count of any tensor of static shape.
    RankedTensorType type;
    if (DenseElementsAttr c = getConstantInput(0))
      type = cast<RankedTensorType>(c.getType());
    else if (Value v = hasInput(0) ? values.lookup(node->input(0)) : Value())
      type = cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape())
      return false;
    constants[node->output(0)] = DenseElementsAttr::get(
        RankedTensorType::get({}, b.getI64Type()),
        APInt(64, static_cast<uint64_t>(type.getNumElements())));
    onnxTypes[node->output(0)] = onnx::TensorProto::INT64;
    return true;
  }
  bool logical = llvm::is_contained({"Equal", "Greater", "Less", "Not"}, op);
  SmallVector<IntVector> in;
  Type element;
  // Shape vectors may hold symbolic dimensions (a dynamic dimension of a
  // named value, from Shape): they go through Cast, Squeeze/Unsqueeze,
  // Concat, Gather and Slice as opaque elements; arithmetic on them does
  // not fold.
  bool symbolic = false;
  for (int i = 0; i < node->input_size(); ++i) {
    if (!hasInput(i))
      continue;
    auto sym = symbolicShapes.find(node->input(i));
    if (sym != symbolicShapes.end()) {
      if (i != 0 && op != "Concat")
        return false;
      IntVector v;
      v.values = sym->second.values;
      v.scalar = sym->second.scalar;
      if (i == 0)
        element = sym->second.element;
      symbolic = true;
      in.push_back(std::move(v));
      continue;
    }
    auto v = getIntVector(getConstantInput(i),
                          isUnsignedType(onnxTypes.lookup(node->input(i))));
    if (!v)
      return false;
    if (i == 0)
      element = getConstantInput(0).getElementType();
    in.push_back(std::move(*v));
  }
  if (in.empty())
    return false;
  if (symbolic && (logical || llvm::is_contained({"Add", "Sub", "Mul", "Div"}, op)))
    return false;
  IntVector out;
  int32_t outType = onnxTypes.lookup(node->input(0));
  if (op == "Cast") {
    int32_t to = getInt("to", 0);
    Type target = getElementType(&ctx, to);
    if (!target || !target.isSignlessInteger())
      return false;
    unsigned bits = target.getIntOrFloatBitWidth();
    bool isUnsigned = isUnsignedType(to);
    out = in[0];
    for (int64_t &x : out.values) {
      if (target.isInteger(1)) {
        if (isSymbolicDim(x))
          return false;
        x = x != 0; // to bool: non-zero is true
        continue;
      }
      if (isSymbolicDim(x))
        continue; // a size fits any integer type
      // Wraps modulo 2^bits, as a C++ integer conversion (ONNX Runtime).
      APInt w = APInt(64, static_cast<uint64_t>(x)).trunc(bits);
      x = isUnsigned ? static_cast<int64_t>(w.getZExtValue()) : w.getSExtValue();
    }
    element = target;
    outType = to;
  } else if (op == "Squeeze" || op == "Unsqueeze") {
    // Rank 0 <-> rank 1 (any other axes are not shape arithmetic).
    if (in[0].scalar == (op == "Squeeze") || in[0].values.size() != 1)
      return false;
    out = in[0];
    out.scalar = op == "Squeeze";
    if (in.size() > 1 || findAttr("axes")) {
      SmallVector<int64_t> axes =
          in.size() > 1 ? in[1].values : getInts("axes", {});
      if (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))
        return false;
    }
  } else if (op == "Concat") {
    for (const IntVector &v : in) {
      if (v.scalar)
        return false;
      out.values.append(v.values);
    }
  } else if (op == "Gather") {
    if (in.size() != 2 || in[0].scalar || getInt("axis", 0) != 0)
      return false;
    int64_t n = in[0].values.size();
    for (int64_t i : in[1].values) {
      if (i < -n || i >= n)
        return false;
      out.values.push_back(in[0].values[i < 0 ? i + n : i]);
    }
    out.scalar = in[1].scalar;
  } else if (op == "Slice") {
    if (in[0].scalar)
      return false;
    int64_t n = in[0].values.size();
    int64_t start, end, step = 1;
    if (opset < 10) {
      SmallVector<int64_t> s = getInts("starts", {}), e = getInts("ends", {});
      SmallVector<int64_t> axes = getInts("axes", {0});
      if (s.size() != 1 || e.size() != 1 || axes.size() != 1 || axes[0] != 0)
        return false;
      start = s[0];
      end = e[0];
    } else {
      if (in.size() < 3 || in[1].values.size() != 1 ||
          in[2].values.size() != 1)
        return false;
      start = in[1].values[0];
      end = in[2].values[0];
      if (in.size() > 3 && (in[3].values.size() != 1 ||
                            (in[3].values[0] != 0 && in[3].values[0] != -1)))
        return false;
      if (in.size() > 4) {
        if (in[4].values.size() != 1 || in[4].values[0] == 0)
          return false;
        step = in[4].values[0];
      }
    }
    // ONNX's clamping (negative indices count from the end).
    auto clampTo = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += n;
      return std::clamp(v, lo, hi);
    };
    if (step > 0) {
      start = clampTo(start, 0, n);
      end = clampTo(end, 0, n);
      for (int64_t i = start; i < end; i += step)
        out.values.push_back(in[0].values[i]);
    } else {
      start = clampTo(start, -1, n - 1);
      end = clampTo(end, -1, n - 1);
      for (int64_t i = start; i > end; i += step)
        out.values.push_back(in[0].values[i]);
    }
  } else if (op == "Not") {
    out = in[0];
    for (int64_t &x : out.values)
      x = x == 0;
  } else {
    // Add/Sub/Mul/Div and Equal/Greater/Less with numpy broadcasting of
    // rank <= 1.
    if (in.size() != 2)
      return false;
    size_t n = std::max(in[0].values.size(), in[1].values.size());
    for (const IntVector &v : in)
      if (v.values.size() != n && v.values.size() != 1)
        return false;
    out.scalar = in[0].scalar && in[1].scalar;
    for (size_t i = 0; i < n; ++i) {
      int64_t a = in[0].values[in[0].values.size() == 1 ? 0 : i];
      int64_t c = in[1].values[in[1].values.size() == 1 ? 0 : i];
      if (op == "Div" && c == 0)
        return false;
      out.values.push_back(op == "Add"       ? a + c
                           : op == "Sub"     ? a - c
                           : op == "Mul"     ? a * c
                           : op == "Equal"   ? a == c
                           : op == "Greater" ? a > c
                           : op == "Less"    ? a < c
                                             : a / c); // truncates, as ORT's Div
    }
  }
  if (logical) {
    element = b.getI1Type();
    outType = onnx::TensorProto::BOOL;
  }
  if (llvm::any_of(out.values, isSymbolicDim)) {
    symbolicShapes[node->output(0)] = {out.values, out.scalar, element};
    onnxTypes[node->output(0)] = outType;
    return true;
  }
  SmallVector<int64_t> shape;
  if (!out.scalar)
    shape.push_back(static_cast<int64_t>(out.values.size()));
  unsigned bits = element.getIntOrFloatBitWidth();
  SmallVector<APInt> bitsOut;
  for (int64_t x : out.values)
    bitsOut.push_back(APInt(bits, static_cast<uint64_t>(x), /*isSigned=*/true,
                            /*implicitTrunc=*/true));
  constants[node->output(0)] =
      DenseElementsAttr::get(RankedTensorType::get(shape, element), bitsOut);
  onnxTypes[node->output(0)] = outType;
  return true;
}

//===----------------------------------------------------------------------===//
// Constants of any rank
//===----------------------------------------------------------------------===//
//
// Exporters compute tensors from constants: torch's F.pad writes its pads as
// Concat -> Reshape [-1, 2] -> Slice with step -1 -> Transpose -> Reshape
// [-1]; torch's LSTM export reorders its gate weights with Slice and Concat
// and Unsqueezes them. Reshape, Transpose, Slice, Concat, Squeeze and
// Unsqueeze of constants (integer or float, of any rank) fold here, so the
// op that needs a constant (Pad's pads, a layer's weight) sees one.

bool Importer::foldConstantTensor() {
  llvm::StringRef op = node->op_type();
  if (!llvm::is_contained({"Reshape", "Transpose", "Slice", "Concat",
                           "Squeeze", "Unsqueeze"},
                          op) ||
      node->output_size() != 1)
    return false;
  DenseElementsAttr data = getConstantInput(0);
  if (!data || data.getNumElements() > (int64_t(1) << 20))
    return false;
  for (int i = 1; i < node->input_size(); ++i)
    if (hasInput(i) && !getConstantInput(i))
      return false;
  auto type = cast<RankedTensorType>(data.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = type.getRank();
  SmallVector<Attribute> in, out;
  SmallVector<int64_t> outShape;
  auto ints = [&](int i) {
    SmallVector<int64_t> v;
    for (const APInt &x : getConstantInput(i).getValues<APInt>())
      v.push_back(x.getSExtValue());
    return v;
  };
  // Row-major strides of `dims`.
  auto stridesOf = [](ArrayRef<int64_t> dims) {
    SmallVector<int64_t> st(dims.size(), 1);
    for (int64_t d = static_cast<int64_t>(dims.size()) - 2; d >= 0; --d)
      st[d] = st[d + 1] * dims[d + 1];
    return st;
  };
  if (op == "Squeeze" || op == "Unsqueeze") {
    SmallVector<int64_t> axes =
        hasInput(1) ? ints(1) : getInts("axes", {});
    int64_t outRank = op == "Unsqueeze" ? rank + axes.size() : rank;
    for (int64_t &a : axes)
      if (a < 0)
        a += outRank;
    if (op == "Unsqueeze") {
      for (int64_t d = 0, next = 0; d < outRank; ++d)
        outShape.push_back(llvm::is_contained(axes, d) ? 1 : shape[next++]);
    } else {
      for (int64_t d = 0; d < rank; ++d)
        if (axes.empty() ? shape[d] != 1 : !llvm::is_contained(axes, d))
          outShape.push_back(shape[d]);
        else if (shape[d] != 1)
          return false;
    }
  } else if (op == "Concat") {
    int64_t axis = getInt("axis", 0);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return false;
    SmallVector<DenseElementsAttr> parts;
    outShape.assign(shape.begin(), shape.end());
    outShape[axis] = 0;
    for (int i = 0; i < node->input_size(); ++i) {
      DenseElementsAttr part = getConstantInput(i);
      auto pt = cast<RankedTensorType>(part.getType());
      if (pt.getRank() != rank || part.getElementType() != data.getElementType())
        return false;
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && pt.getDimSize(d) != shape[d])
          return false;
      outShape[axis] += pt.getDimSize(axis);
      parts.push_back(part);
    }
    // Row-major: for every index of the dimensions before `axis`, each
    // part's block of shape[axis:] in turn.
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    SmallVector<SmallVector<Attribute>> values;
    for (DenseElementsAttr part : parts)
      values.emplace_back(part.getValues<Attribute>());
    for (int64_t o = 0; o < outer; ++o)
      for (const SmallVector<Attribute> &v : values) {
        int64_t block = v.size() / outer;
        out.append(v.begin() + o * block, v.begin() + (o + 1) * block);
      }
  } else if (op == "Reshape") {
    if (!hasInput(1) || getInt("allowzero", 0) != 0)
      return false;
    SmallVector<int64_t> target = ints(1);
    int64_t known = 1, inferred = -1;
    for (auto [i, d] : llvm::enumerate(target)) {
      if (d == 0 && static_cast<int64_t>(i) < rank)
        d = shape[i];
      if (d == -1) {
        if (inferred >= 0)
          return false;
        inferred = i;
        continue;
      }
      if (d <= 0)
        return false;
      known *= d;
    }
    if (inferred >= 0) {
      if (known == 0 || data.getNumElements() % known)
        return false;
      target[inferred] = data.getNumElements() / known;
    }
    outShape = target;
  } else if (op == "Transpose") {
    in.assign(data.getValues<Attribute>().begin(),
              data.getValues<Attribute>().end());
    SmallVector<int64_t> perm = getInts("perm", {});
    if (perm.empty())
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank)
      return false;
    for (int64_t p : perm)
      outShape.push_back(shape[p]);
    SmallVector<int64_t> inStrides = stridesOf(shape);
    SmallVector<int64_t> index(rank, 0);
    for (int64_t n = 0; n < data.getNumElements(); ++n) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += index[d] * inStrides[perm[d]];
      out.push_back(in[offset]);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < outShape[d])
          break;
        index[d] = 0;
      }
    }
  } else { // Slice (opset 10 on: starts, ends, axes, steps as inputs)
    in.assign(data.getValues<Attribute>().begin(),
              data.getValues<Attribute>().end());
    if (opset < 10 || !hasInput(1) || !hasInput(2))
      return false;
    SmallVector<int64_t> starts = ints(1), ends = ints(2);
    SmallVector<int64_t> axes, steps;
    if (hasInput(3))
      axes = ints(3);
    else
      for (size_t i = 0; i < starts.size(); ++i)
        axes.push_back(i);
    if (hasInput(4))
      steps = ints(4);
    else
      steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      return false;
    SmallVector<int64_t> first(rank, 0), step(rank, 1);
    outShape.assign(shape.begin(), shape.end());
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i], n = shape[a];
      if (a < 0 || a >= rank || steps[i] == 0)
        return false;
      // ONNX's clamping (negative indices count from the end).
      auto norm = [&](int64_t v, int64_t lo, int64_t hi) {
        if (v < 0)
          v += n;
        return std::clamp(v, lo, hi);
      };
      int64_t st = steps[i], b0, e0;
      if (st > 0) {
        b0 = norm(starts[i], 0, n);
        e0 = norm(ends[i], 0, n);
        outShape[a] = e0 > b0 ? (e0 - b0 + st - 1) / st : 0;
      } else {
        b0 = norm(starts[i], -1, n - 1);
        e0 = norm(ends[i], -1, n - 1);
        outShape[a] = b0 > e0 ? (b0 - e0 - st - 1) / -st : 0;
      }
      first[a] = b0;
      step[a] = st;
    }
    SmallVector<int64_t> inStrides = stridesOf(shape);
    int64_t total = 1;
    for (int64_t d : outShape)
      total *= d;
    SmallVector<int64_t> index(rank, 0);
    for (int64_t n = 0; n < total; ++n) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += (first[d] + index[d] * step[d]) * inStrides[d];
      out.push_back(in[offset]);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < outShape[d])
          break;
        index[d] = 0;
      }
    }
  }
  auto outType = RankedTensorType::get(outShape, type.getElementType());
  // Reshape, Squeeze and Unsqueeze keep the data: no copy.
  constants[node->output(0)] =
      out.empty() && outType.getNumElements() == data.getNumElements() &&
              llvm::is_contained({"Reshape", "Squeeze", "Unsqueeze"}, op)
          ? data.reshape(outType)
          : DenseElementsAttr::get(outType, out);
  if (onnxTypes.count(node->input(0)))
    onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
  return true;
}

} // namespace quantopt::onnx_import
