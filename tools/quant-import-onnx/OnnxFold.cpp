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
