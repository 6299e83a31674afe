//===- OnnxContribOps.cpp - ONNX Runtime's contrib ops -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Ops of ONNX Runtime's com.microsoft domain that its quantizer writes:
// MatMulNBits (block-quantized 2/4/8-bit weights, dequantized before a
// float matmul) and the QOperator element-wise and pooling ops
// (QLinearAdd, ...), imported as the ONNX nodes of their definitions.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include <cstring>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

llvm::Error Importer::importMatMulNBits() {
  // ONNX Runtime's contrib op (com.microsoft): Y = A B^T with B [N, K]
  // stored as `bits`-bit integers (2, 4 or 8) in blocks of `block_size`
  // along K (the last block shorter when block_size does not divide K; B
  // pads it), each block with a scale and a zero point (default
  // 2^(bits-1)):
  //   B[n][k] = (q[n][k] - zp[n][k / bs]) * scale[n][k / bs].
  // The packed constant is unpacked here into a [K, N] unsigned tensor with
  // per-block #qnt.params along K, dequantized by qnt.dequantize before a
  // float matmul (ONNX Runtime's accuracy_level 0 computes the same in
  // float32).
  auto a = getInput(0);
  if (!a)
    return a.takeError();
  int64_t k = getInt("K", 0), n = getInt("N", 0), bits = getInt("bits", 4),
          bs = getInt("block_size", 0);
  if (bits != 2 && bits != 4 && bits != 8)
    return fail("bits=" + llvm::Twine(bits) + " is not supported (2, 4, 8)");
  if (k <= 0 || n <= 0 || bs < 2)
    return fail("K, N and block_size must be given and positive");
  if (hasInput(4))
    return fail("g_idx (act-order) is not supported");
  auto aType = cast<RankedTensorType>(a->getType());
  if (!aType.getElementType().isF32() || aType.getRank() < 2 ||
      aType.getDimSize(aType.getRank() - 1) != k)
    return fail("A must be float32 [..., M, K] with K=" + llvm::Twine(k));
  DenseElementsAttr packed = getConstantInput(1), scaleAttr = getConstantInput(2);
  if (!packed || !scaleAttr)
    return fail("B and the scales must be constants");
  int64_t blocks = quantopt::numerics::getNumBlocks(k, bs), blob = (bs * bits + 7) / 8;
  if (packed.getNumElements() != n * blocks * blob ||
      !packed.getElementType().isInteger(8))
    return fail("B must be uint8 [N, ceil(K/block_size), block_size*bits/8]");
  if (scaleAttr.getNumElements() != n * blocks ||
      !scaleAttr.getElementType().isF32())
    return fail("the scales must be float32 [N * ceil(K/block_size)]");
  SmallVector<uint8_t> bytes;
  for (APInt v : packed.getValues<APInt>())
    bytes.push_back(static_cast<uint8_t>(v.getZExtValue()));
  SmallVector<float> scaleNk;
  for (APFloat v : scaleAttr.getValues<APFloat>())
    scaleNk.push_back(v.convertToFloat());
  // Element i of a packed row: `bits` bits at bit offset i * bits, the
  // first element in the lowest bits of its byte.
  uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  auto unpack = [&](ArrayRef<uint8_t> row, int64_t i) -> unsigned {
    return (row[i * bits / 8] >> ((i * bits) % 8)) & mask;
  };
  // Zero points: packed uint8 (each row of N padded to whole bytes) or
  // absent (2^(bits-1)).
  SmallVector<int64_t> zeroNk(n * blocks, 1 << (bits - 1));
  if (hasInput(3)) {
    DenseElementsAttr zp = getConstantInput(3);
    int64_t rowBytes = (blocks * bits + 7) / 8;
    if (!zp || !zp.getElementType().isInteger(8) ||
        zp.getNumElements() != n * rowBytes)
      return fail("the zero points must be a constant uint8 [N * "
                  "ceil(ceil(K / block_size) * bits / 8)] (float zero points "
                  "are not supported)");
    SmallVector<uint8_t> zb;
    for (APInt v : zp.getValues<APInt>())
      zb.push_back(static_cast<uint8_t>(v.getZExtValue()));
    for (int64_t r = 0; r < n; ++r)
      for (int64_t blk = 0; blk < blocks; ++blk)
        zeroNk[r * blocks + blk] =
            unpack(ArrayRef<uint8_t>(zb).slice(r * rowBytes, rowBytes), blk);
  }
  // Stored [K, N] and parameters in [ceil(K / bs), N] row-major order
  // (qnt's per-block order along axis 0).
  Type storage = b.getIntegerType(bits);
  SmallVector<APInt> stored(k * n, APInt(bits, 0));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      ArrayRef<uint8_t> block =
          ArrayRef<uint8_t>(bytes).slice((r * blocks + c / bs) * blob, blob);
      stored[c * n + r] = APInt(bits, unpack(block, c % bs));
    }
  SmallVector<float> scales(blocks * n);
  SmallVector<int64_t> zeros(blocks * n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      scales[blk * n + r] = scaleNk[r * blocks + blk];
      zeros[blk * n + r] = zeroNk[r * blocks + blk];
    }
  auto params = qnt::ParamsAttr::get(
      &ctx, b.getIntegerType(bits, /*isSigned=*/false), b.getF32Type(),
      /*axis=*/0, /*blockSize=*/bs, /*narrowRange=*/false,
      /*powerOfTwo=*/false, DenseF32ArrayAttr::get(&ctx, scales),
      DenseI64ArrayAttr::get(&ctx, zeros), DenseF32ArrayAttr::get(&ctx, {}), 0,
      0, FloatAttr());
  Value q = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({k, n}, storage), stored));
  Value w = qnt::DequantizeOp::create(
      b, loc, RankedTensorType::get({k, n}, b.getF32Type()), q, params,
      UnitAttr());
  auto y = buildMatMul(*a, w);
  if (!y)
    return y.takeError();
  Value out = *y;
  if (hasInput(5)) {
    auto bias = getInput(5);
    if (!bias)
      return bias.takeError();
    auto sum = addFloat(out, *bias);
    if (!sum)
      return sum.takeError();
    out = *sum;
  }
  setOutput(0, out);
  return llvm::Error::success();
}

llvm::Error Importer::importQLinearContrib() {
  // ONNX Runtime's contrib definitions: each quantized input is dequantized
  // with its scale and zero point, the float op computes, and the result is
  // quantized with the output's, e.g. QLinearAdd:
  //   C = (A_s (A - A_zp) + B_s (B - B_zp)) / C_s + C_zp.
  // The node becomes those ONNX nodes (named NODE/dq0, NODE/op, NODE/q, so
  // locations still name it), imported one by one; the output's element type
  // is the first input's (a missing output zero point is 0 of that type).
  const onnx::NodeProto &q = *node;
  std::string name = getNodeName();
  llvm::StringRef op = q.op_type();
  llvm::StringRef floatOp = op.drop_front(strlen("QLinear"));
  // (value, scale, zero point) input triples and the output's pair.
  SmallVector<std::array<int, 3>> triples;
  int outScale, outZero;
  if (op == "QLinearAdd" || op == "QLinearMul") {
    triples = {{0, 1, 2}, {3, 4, 5}};
    outScale = 6, outZero = 7;
  } else if (op == "QLinearConcat") {
    if ((q.input_size() - 2) % 3 != 0 || q.input_size() < 5)
      return fail("expected Y_scale, Y_zero_point and (X, scale, zero point) "
                  "triples");
    for (int i = 2; i < q.input_size(); i += 3)
      triples.push_back({i, i + 1, i + 2});
    outScale = 0, outZero = 1;
  } else {
    triples = {{0, 1, 2}};
    outScale = 3, outZero = 4;
  }
  auto input = [&](int i) -> std::string {
    return i < q.input_size() ? q.input(i) : std::string();
  };
  if (input(outScale).empty())
    return fail("the output scale is required");
  for (const onnx::AttributeProto &a : q.attribute()) {
    if (a.name() == "channels_last" && a.i() != 0)
      return fail("channels_last=1 (NHWC) is not supported");
    // QLinearSoftmax states the Softmax opset it follows; the import
    // follows the model's, so the two must agree on the axis semantics
    // (coerced to 2-D before opset 13, one axis from 13).
    if (a.name() == "opset" && (a.i() >= 13) != (opset >= 13))
      return fail("a QLinearSoftmax of opset " + llvm::Twine(a.i()) +
                  " in a model of opset " + llvm::Twine(opset) +
                  " is not supported");
  }
  int32_t elemType = onnxTypes.lookup(input(triples[0][0]));
  if (!elemType && !input(triples[0][2]).empty())
    elemType = onnxTypes.lookup(input(triples[0][2]));
  if (elemType != onnx::TensorProto::UINT8 &&
      elemType != onnx::TensorProto::INT8)
    return fail("the quantized inputs must be uint8 or int8");

  auto makeNode = [&](llvm::StringRef type, llvm::StringRef suffix) {
    onnx::NodeProto &n = synthesizedNodes.emplace_back();
    n.set_op_type(type.str());
    n.set_name(name + "/" + suffix.str());
    return &n;
  };
  SmallVector<onnx::NodeProto *> nodes;
  onnx::NodeProto *f = makeNode(floatOp, "op");
  for (auto [k, t] : llvm::enumerate(triples)) {
    onnx::NodeProto *dq = makeNode("DequantizeLinear", "dq" + std::to_string(k));
    dq->add_input(input(t[0]));
    dq->add_input(input(t[1]));
    dq->add_input(input(t[2]));
    dq->add_output(name + "/dq" + std::to_string(k));
    f->add_input(dq->output(0));
    nodes.push_back(dq);
  }
  for (const onnx::AttributeProto &a : q.attribute())
    if (a.name() != "channels_last" && a.name() != "opset")
      *f->add_attribute() = a;
  f->add_output(name + "/op");
  nodes.push_back(f);
  std::string zero = input(outZero);
  if (zero.empty()) {
    // 0 of the inputs' type, so the output keeps their signedness.
    zero = name + "/zero";
    bool isUnsigned = elemType == onnx::TensorProto::UINT8;
    constants[zero] = DenseElementsAttr::get(
        RankedTensorType::get({}, b.getIntegerType(8)),
        APInt(8, 0, /*isSigned=*/!isUnsigned));
    onnxTypes[zero] = elemType;
  }
  onnx::NodeProto *quant = makeNode("QuantizeLinear", "q");
  quant->add_input(f->output(0));
  quant->add_input(input(outScale));
  quant->add_input(zero);
  quant->add_output(q.output(0));
  nodes.push_back(quant);
  for (onnx::NodeProto *n : nodes) {
    node = n;
    llvm::Error e = importNode();
    node = &q;
    if (e)
      return llvm::make_error<llvm::StringError>(
          "node '" + name + "' (" + op.str() + "), as its " +
              n->op_type() + ": " + llvm::toString(std::move(e)),
          llvm::inconvertibleErrorCode());
  }
  return llvm::Error::success();
}
