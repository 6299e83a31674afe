"""Writes the dynamically quantized int8 form of an ONNX model, as ONNX
Runtime's quantize_dynamic (onnxruntime.quantization, default options)
writes it, with Debian's python3-onnx (the onnxruntime Python package is not
in Debian, so bench/models.py makes the model itself):

- MatMul with a constant weight B [K, N]:
    DynamicQuantizeLinear(A) -> MatMulInteger(Aq, Bq, Azp, 0) -> Cast(float)
    -> Mul(A_scale * B_scale)
  with B int8, symmetric, one scale per tensor (max |B| / 127);
- Conv with a constant weight W:
    DynamicQuantizeLinear(X) -> ConvInteger(Xq, Wq, Xzp, Wzp) -> Cast(float)
    -> Mul(X_scale * W_scale) [-> Add(bias)]
  with W uint8, asymmetric per tensor (ONNX Runtime's ConvInteger kernel
  takes uint8 weights);
- every other op stays as it was (Gemm too, as quantize_dynamic leaves it;
  and LSTM, which ONNX Runtime's quantizer turns into its DynamicQuantizeLSTM
  contrib op: this transcription keeps LSTM float);
- the branches of If nodes (Silero's layers sit in them) are quantized the
  same way, as ONNX Runtime's quantizer does with subgraphs.

    python3 ort_dynamic.py MODEL.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def names_read(graph):
    """Every name the nodes of `graph` and of its subgraphs read."""
    names = set()
    for n in graph.node:
        names.update(n.input)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                names |= names_read(a.g)
    return names


def quantize_dynamic(model):
    return quantize_graph(model.graph)


def quantize_graph(graph):
    # Constant weights: initializers and Constant nodes (PaddleOCR's).
    inits = {t.name: t for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            inits[n.output[0]] = n.attribute[0].t
    nodes = []
    added = []
    count = 0

    def const(name, array):
        added.append(numpy_helper.from_array(array, name))
        return name

    for n in graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                count += quantize_graph(a.g)
        weight = inits.get(n.input[1]) if len(n.input) > 1 else None
        if n.op_type not in ("MatMul", "Conv") or weight is None or n.domain:
            nodes.append(n)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        if n.op_type == "MatMul" and w.ndim != 2:
            nodes.append(n)
            continue
        count += 1
        p = f"{n.name or n.output[0]}_dq"
        x = n.input[0]
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x],
                                      [p + "_x", p + "_xs", p + "_xz"], name=p + "_quant"))
        if n.op_type == "MatMul":
            scale = max(float(np.abs(w).max()) / 127, 1e-12)
            wq = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
            nodes.append(helper.make_node(
                "MatMulInteger", [p + "_x", const(p + "_w", wq), p + "_xz",
                                  const(p + "_wz", np.array(0, np.int8))],
                [p + "_acc"], name=p + "_matmul"))
        else:
            lo, hi = min(float(w.min()), 0.0), max(float(w.max()), 0.0)
            scale = max((hi - lo) / 255, 1e-12)
            zero = int(np.clip(np.rint(-lo / scale), 0, 255))
            wq = np.clip(np.rint(w / scale) + zero, 0, 255).astype(np.uint8)
            nodes.append(helper.make_node(
                "ConvInteger", [p + "_x", const(p + "_w", wq), p + "_xz",
                                const(p + "_wz", np.array(zero, np.uint8))],
                [p + "_acc"], name=p + "_conv",
                attribute=None))
            nodes[-1].attribute.extend(n.attribute)
        nodes.append(helper.make_node("Cast", [p + "_acc"], [p + "_accf"],
                                      to=TensorProto.FLOAT, name=p + "_cast"))
        nodes.append(helper.make_node("Mul", [p + "_xs", const(p + "_ws", np.array(
            scale, np.float32))], [p + "_s"], name=p + "_scale"))
        out = n.output[0]
        has_bias = n.op_type == "Conv" and len(n.input) > 2 and n.input[2]
        nodes.append(helper.make_node("Mul", [p + "_accf", p + "_s"],
                                      [p + "_y" if has_bias else out], name=p + "_mul"))
        if has_bias:
            bias = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)
            shape = [1, -1] + [1] * (w.ndim - 2)
            nodes.append(helper.make_node(
                "Add", [p + "_y", const(p + "_b", bias.reshape(shape))], [out],
                name=p + "_bias"))
    # Drop the float weights nothing reads any more.
    del graph.node[:]
    graph.node.extend(nodes)
    used = names_read(graph) | {o.name for o in graph.output}
    nodes = [n for n in nodes if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return count


def load_for_quantization(path):
    """The model, converted to opset 11 when older (DynamicQuantizeLinear's
    first opset), by ONNX's version converter."""
    model = onnx.load(path)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                default=0)
    if opset < 11:
        from onnx import version_converter
        model = version_converter.convert_version(model, 11)
    return model


if __name__ == "__main__":
    model = load_for_quantization(sys.argv[1])
    n = quantize_dynamic(model)
    onnx.save(model, sys.argv[2])
    print(f"ort_dynamic: {n} layer(s) quantized")
