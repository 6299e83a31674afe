"""Writes the trained Fashion-MNIST models (weights/{mlp,cnn}.npz, made by
train.py) as MLIR, in two dialects, and checks that quant-run reproduces
torch on the first test images.

    /usr/bin/python3 export_mlir.py [--bin BUILD_BIN_DIR] [--out-dir DIR] [--no-verify]

Outputs (in --out-dir, default: this directory):
    mlp.linalg.mlir  mlp.tosa.mlir   @main(%x: tensor<?x784xf32>)     -> tensor<?x10xf32>
    cnn.linalg.mlir  cnn.tosa.mlir   @main(%x: tensor<?x28x28x1xf32>) -> tensor<?x10xf32>

Inputs are x/255 in float32, flat for the MLP and NHWC for the CNN; the batch
is dynamic in all four files. Weights are dense constants in hex form
(`dense<"0x...">`). Every layer carries a name location (`loc("fc1")`,
`loc("conv1")`, ...), the name `--qnt-quantize` recipes match.

linalg: linalg.matmul (weight [K, N]) and linalg.conv_2d_nhwc_hwcf (filter
HWCF) on a zero-filled init, then one linalg.generic for bias (+ ReLU);
padding with tensor.pad, max-pooling with linalg.pooling_nhwc_max on a -inf
init, flatten with tensor.collapse_shape, batch size via tensor.dim.

tosa (TOSA 1.0 as MLIR 22 spells it): tosa.conv2d (weight [OC, KH, KW, IC],
bias, zero points), tosa.clamp as ReLU, tosa.max_pool2d, tosa.reshape with
tosa.const_shape shapes, tosa.matmul on 3-D operands ([1, B, K] x [1, K, N])
and tosa.add for the bias.

Torch flattens the CNN's NCHW activations as c*49 + h*7 + w, the NHWC graphs
as h*112 + w*16 + c: the fc weight's input axis is permuted at export so the
logits are the same.

Verification (unless --no-verify), for each file: `quant-opt F
--qnt-lower-to-llvm` must succeed, and quant-run on the first 1000 test
images must give torch's logits within 1e-3 (max abs) and the same accuracy.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import fmnist

VERIFY_IMAGES = 1000
TOLERANCE = 1e-3
RELU_MAX = "3.40282347E+38"  # largest f32: tosa.clamp's upper bound for ReLU


# --- helpers ---------------------------------------------------------------

def hex_dense(array):
    """`dense<"0x...">` for a float32 array: its little-endian bytes in hex,
    the form MLIR prints and parses for large constants."""
    return 'dense<"0x' + np.ascontiguousarray(array, dtype="<f4").tobytes().hex().upper() + '">'


def ttype(shape, elem="f32"):
    """tensor<...> type; None in shape is a dynamic dimension."""
    dims = "x".join("?" if d is None else str(d) for d in shape)
    return f"tensor<{dims}x{elem}>" if dims else f"tensor<{elem}>"


def linalg_weights(model, w):
    """The npz (torch layouts) -> the linalg graphs' layouts."""
    out = {}
    for name in [k[:-len(".weight")] for k in w if k.endswith(".weight")]:
        weight, bias = w[name + ".weight"], w[name + ".bias"]
        if weight.ndim == 4:  # Conv2d [OC, IC, KH, KW] -> HWCF
            weight = weight.transpose(2, 3, 1, 0)
        else:  # Linear [N, K] -> [K, N]
            if model == "cnn" and name == "fc":
                weight = nchw_to_nhwc_flatten(weight)
            weight = weight.T
        out[name] = (np.ascontiguousarray(weight), bias)
    return out


def tosa_weights(model, w):
    """The npz (torch layouts) -> the TOSA graphs' layouts."""
    out = {}
    for name in [k[:-len(".weight")] for k in w if k.endswith(".weight")]:
        weight, bias = w[name + ".weight"], w[name + ".bias"]
        if weight.ndim == 4:  # Conv2d [OC, IC, KH, KW] -> [OC, KH, KW, IC]
            weight = weight.transpose(0, 2, 3, 1)
        else:  # Linear [N, K] -> [1, K, N]; bias [1, 1, N]
            if model == "cnn" and name == "fc":
                weight = nchw_to_nhwc_flatten(weight)
            weight = weight.T[None]
            bias = bias[None, None]
        out[name] = (np.ascontiguousarray(weight), np.ascontiguousarray(bias))
    return out


def nchw_to_nhwc_flatten(fc_weight):
    """[10, 16*7*7] indexed by torch's flatten (c, h, w) -> [10, 7*7*16]
    indexed by the NHWC flatten (h, w, c)."""
    n = fc_weight.shape[0]
    return fc_weight.reshape(n, 16, 7, 7).transpose(0, 2, 3, 1).reshape(n, 784)


# --- linalg ----------------------------------------------------------------

class LinalgWriter:
    """Emits the body of a linalg @main: every helper appends lines and
    returns the SSA name of its result."""

    def __init__(self):
        self.lines = []

    def emit(self, line):
        self.lines.append("  " + line)

    def const(self, name, array):
        self.emit(f"%{name} = arith.constant {hex_dense(array)} : {ttype(array.shape)}")
        return f"%{name}"

    def zeros(self, name, shape):
        """tensor.empty(%n) filled with 0.0 (a matmul/conv accumulator)."""
        self.emit(f"%{name}_init = tensor.empty(%n) : {ttype(shape)}")
        self.emit(f"%{name}_acc = linalg.fill ins(%zero : f32) outs(%{name}_init : {ttype(shape)}) "
                  f"-> {ttype(shape)}")
        return f"%{name}_init", f"%{name}_acc"

    def bias_act(self, name, value, bias, shape, relu, init):
        """value + bias (broadcast along the last axis), then ReLU if relu:
        one element-wise linalg.generic."""
        rank = len(shape)
        dims = ", ".join(f"d{i}" for i in range(rank))
        t = ttype(shape)
        iterators = ", ".join(['"parallel"'] * rank)
        self.emit(f"%{name} = linalg.generic {{indexing_maps = ["
                  f"affine_map<({dims}) -> ({dims})>, affine_map<({dims}) -> (d{rank - 1})>, "
                  f"affine_map<({dims}) -> ({dims})>], "
                  f"iterator_types = [{iterators}]}} "
                  f"ins({value}, {bias} : {t}, {ttype(shape[-1:])}) outs({init} : {t}) {{")
        self.emit("^bb0(%in: f32, %b: f32, %out: f32):")
        self.emit("  %sum = arith.addf %in, %b : f32")
        if relu:
            self.emit("  %relu = arith.maximumf %sum, %zero : f32")
            self.emit("  linalg.yield %relu : f32")
        else:
            self.emit("  linalg.yield %sum : f32")
        self.emit(f"}} -> {t} loc(\"{name}.{'bias_relu' if relu else 'bias'}\")")
        return f"%{name}"

    def dense(self, name, x, k, weight, bias, relu):
        """[?, K] x [K, N] + bias (+ ReLU)."""
        n_out = weight.shape[1]
        w = self.const(f"{name}_w", weight)
        b = self.const(f"{name}_b", bias)
        out = (None, n_out)
        init, acc = self.zeros(name, out)
        self.emit(f"%{name}_mm = linalg.matmul ins({x}, {w} : {ttype((None, k))}, {ttype(weight.shape)}) "
                  f"outs({acc} : {ttype(out)}) -> {ttype(out)} loc(\"{name}\")")
        return self.bias_act(name, f"%{name}_mm", b, out, relu, init)

    def conv_relu_pool(self, name, pool_name, x, hw, weight, bias):
        """3x3 conv (pad 1, stride 1) + bias + ReLU, then 2x2 max-pool."""
        kh, kw, ic, oc = weight.shape
        in_t = ttype((None, hw, hw, ic))
        pad_t = ttype((None, hw + 2, hw + 2, ic))
        self.emit(f"%{name}_pad = tensor.pad {x} low[0, 1, 1, 0] high[0, 1, 1, 0] {{")
        self.emit("^bb0(%i0: index, %i1: index, %i2: index, %i3: index):")
        self.emit("  tensor.yield %zero : f32")
        self.emit(f"}} : {in_t} to {pad_t} loc(\"{name}.pad\")")
        w = self.const(f"{name}_w", weight)
        b = self.const(f"{name}_b", bias)
        out = (None, hw, hw, oc)
        init, acc = self.zeros(name, out)
        self.emit(f"%{name}_conv = linalg.conv_2d_nhwc_hwcf "
                  f"{{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} "
                  f"ins(%{name}_pad, {w} : {pad_t}, {ttype(weight.shape)}) "
                  f"outs({acc} : {ttype(out)}) -> {ttype(out)} loc(\"{name}\")")
        act = self.bias_act(name, f"%{name}_conv", b, out, True, init)
        pooled = (None, hw // 2, hw // 2, oc)
        self.emit(f"%{pool_name}_init = tensor.empty(%n) : {ttype(pooled)}")
        self.emit(f"%{pool_name}_acc = linalg.fill ins(%neg_inf : f32) outs(%{pool_name}_init : "
                  f"{ttype(pooled)}) -> {ttype(pooled)}")
        self.emit(f"%{pool_name} = linalg.pooling_nhwc_max "
                  f"{{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}} "
                  f"ins({act}, %window : {ttype(out)}, tensor<2x2xf32>) "
                  f"outs(%{pool_name}_acc : {ttype(pooled)}) -> {ttype(pooled)} loc(\"{pool_name}\")")
        return f"%{pool_name}"


def linalg_module(model, w):
    lw = linalg_weights(model, w)
    g = LinalgWriter()
    g.emit("%c0 = arith.constant 0 : index")
    g.emit("%zero = arith.constant 0.0 : f32")
    g.emit("%n = tensor.dim %x, %c0 : " + ("tensor<?x784xf32>" if model == "mlp" else "tensor<?x28x28x1xf32>"))
    if model == "mlp":
        arg_t = ttype((None, 784))
        h = g.dense("fc1", "%x", 784, *lw["fc1"], relu=True)
        h = g.dense("fc2", h, 128, *lw["fc2"], relu=True)
        y = g.dense("fc3", h, 64, *lw["fc3"], relu=False)
    else:
        arg_t = ttype((None, 28, 28, 1))
        g.emit("%neg_inf = arith.constant 0xFF800000 : f32")
        g.emit("%window = tensor.empty() : tensor<2x2xf32>")
        h = g.conv_relu_pool("conv1", "pool1", "%x", 28, *lw["conv1"])
        h = g.conv_relu_pool("conv2", "pool2", h, 14, *lw["conv2"])
        g.emit(f"%flat = tensor.collapse_shape {h} [[0], [1, 2, 3]] : {ttype((None, 7, 7, 16))} "
               f"into {ttype((None, 784))} loc(\"flatten\")")
        y = g.dense("fc", "%flat", 784, *lw["fc"], relu=False)
    g.emit(f"return {y} : tensor<?x10xf32>")
    return wrap(model, "linalg", arg_t, g.lines)


# --- tosa ------------------------------------------------------------------

class TosaWriter:
    """Emits the body of a TOSA @main (see LinalgWriter)."""

    def __init__(self):
        self.lines = []
        self.shapes = {}

    def emit(self, line):
        self.lines.append("  " + line)

    def const(self, name, array):
        t = ttype(array.shape)
        self.emit(f'%{name} = "tosa.const"() {{values = {hex_dense(array)} : {t}}} : () -> {t}')
        return f"%{name}"

    def shape(self, dims):
        """A tosa.const_shape (emitted once per distinct shape; -1 = inferred)."""
        key = tuple(dims)
        if key not in self.shapes:
            name = "%shape_" + "_".join("n" if d == -1 else str(d) for d in dims)
            self.emit(f"{name} = tosa.const_shape {{values = dense<[{', '.join(map(str, dims))}]> : "
                      f"tensor<{len(dims)}xindex>}} : () -> !tosa.shape<{len(dims)}>")
            self.shapes[key] = name
        return self.shapes[key]

    def reshape(self, name, x, x_shape, dims, out_shape):
        s = self.shape(dims)
        self.emit(f"%{name} = tosa.reshape {x}, {s} : ({ttype(x_shape)}, !tosa.shape<{len(dims)}>) "
                  f"-> {ttype(out_shape)} loc(\"{name}\")")
        return f"%{name}"

    def relu(self, name, x, shape):
        self.emit(f"%{name}_relu = tosa.clamp {x} {{min_val = 0.0 : f32, max_val = {RELU_MAX} : f32}} "
                  f": ({ttype(shape)}) -> {ttype(shape)} loc(\"{name}.relu\")")
        return f"%{name}_relu"

    def dense(self, name, x, k, weight, bias, relu):
        """[1, ?, K] x [1, K, N] + bias [1, 1, N] (+ ReLU), all 3-D."""
        n_out = weight.shape[2]
        w = self.const(f"{name}_w", weight)
        b = self.const(f"{name}_b", bias)
        in_t, out_t = ttype((1, None, k)), ttype((1, None, n_out))
        self.emit(f"%{name}_mm = tosa.matmul {x}, {w}, %zp, %zp : ({in_t}, {ttype(weight.shape)}, "
                  f"tensor<1xf32>, tensor<1xf32>) -> {out_t} loc(\"{name}\")")
        self.emit(f"%{name} = tosa.add %{name}_mm, {b} : ({out_t}, {ttype(bias.shape)}) -> {out_t} "
                  f"loc(\"{name}.bias\")")
        return self.relu(name, f"%{name}", (1, None, n_out)) if relu else f"%{name}"

    def conv_relu_pool(self, name, pool_name, x, hw, weight, bias):
        """3x3 conv (pad 1, stride 1, bias) + ReLU, then 2x2 max-pool."""
        oc, kh, kw, ic = weight.shape
        w = self.const(f"{name}_w", weight)
        b = self.const(f"{name}_b", bias)
        in_t, out_t = ttype((None, hw, hw, ic)), ttype((None, hw, hw, oc))
        self.emit(f"%{name} = tosa.conv2d {x}, {w}, {b}, %zp, %zp {{acc_type = f32, "
                  f"dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}} "
                  f": ({in_t}, {ttype(weight.shape)}, {ttype(bias.shape)}, tensor<1xf32>, tensor<1xf32>) "
                  f"-> {out_t} loc(\"{name}\")")
        act = self.relu(name, f"%{name}", (None, hw, hw, oc))
        pooled_t = ttype((None, hw // 2, hw // 2, oc))
        self.emit(f"%{pool_name} = tosa.max_pool2d {act} {{kernel = array<i64: 2, 2>, "
                  f"pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}} : ({out_t}) -> {pooled_t} "
                  f"loc(\"{pool_name}\")")
        return f"%{pool_name}"


def tosa_module(model, w):
    tw = tosa_weights(model, w)
    g = TosaWriter()
    g.emit('%zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>')
    if model == "mlp":
        arg_t = ttype((None, 784))
        h = g.reshape("input_3d", "%x", (None, 784), [1, -1, 784], (1, None, 784))
        h = g.dense("fc1", h, 784, *tw["fc1"], relu=True)
        h = g.dense("fc2", h, 128, *tw["fc2"], relu=True)
        h = g.dense("fc3", h, 64, *tw["fc3"], relu=False)
    else:
        arg_t = ttype((None, 28, 28, 1))
        h = g.conv_relu_pool("conv1", "pool1", "%x", 28, *tw["conv1"])
        h = g.conv_relu_pool("conv2", "pool2", h, 14, *tw["conv2"])
        h = g.reshape("flatten", h, (None, 7, 7, 16), [1, -1, 784], (1, None, 784))
        h = g.dense("fc", h, 784, *tw["fc"], relu=False)
    y = g.reshape("logits", h, (1, None, 10), [-1, 10], (None, 10))
    g.emit(f"return {y} : tensor<?x10xf32>")
    return wrap(model, "tosa", arg_t, g.lines)


# --- module, verification ----------------------------------------------------

def wrap(model, dialect, arg_t, body):
    header = [
        f"// Fashion-MNIST {model.upper()} ({dialect}), written by "
        "examples/fashion-mnist/export_mlir.py from weights/" + model + ".npz.",
        "// Input: x/255 as float32, " + ("flat [N, 784]" if model == "mlp" else "NHWC [N, 28, 28, 1]")
        + "; output: logits [N, 10] of the classes 0..9.",
    ]
    return "\n".join(header + [f"func.func @main(%x: {arg_t}) -> tensor<?x10xf32> {{"] + body + ["}", ""])


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        # Diagnostics quote whole source lines: cut the hex constants short.
        stderr = "\n".join(line[:400] for line in result.stderr.splitlines())
        sys.exit(f"error: {' '.join(cmd)} failed:\n{stderr}")
    return result


def torch_logits(model, w, x):
    import torch  # only the verification needs torch
    import models
    torch.set_num_threads(1)
    net = models.build(model)
    net.load_state_dict(models.state_dict_from_npz(w))
    net.eval()
    with torch.no_grad():
        return net(models.to_torch_input(x, model)).numpy()


def verify(path, model, w, bindir, images, labels, tmp):
    run([os.path.join(bindir, "quant-opt"), path, "--qnt-lower-to-llvm", "-o", os.devnull])
    x = fmnist.model_input(images, model)
    x_path = os.path.join(tmp, f"{model}.x.npy")
    np.save(x_path, x)
    out_dir = os.path.join(tmp, os.path.basename(path))
    run([os.path.join(bindir, "quant-run"), path, "--entry", "main", "--input", x_path,
         "--output-dir", out_dir])
    got = np.load(os.path.join(out_dir, "out0.npy"))
    want = torch_logits(model, w, x)
    diff = float(np.max(np.abs(got - want)))
    acc_run = float(np.mean(got.argmax(1) == labels))
    acc_torch = float(np.mean(want.argmax(1) == labels))
    ok = diff < TOLERANCE and acc_run == acc_torch
    print(f"  {os.path.basename(path):<16} max |quant-run - torch| = {diff:.2e}, accuracy "
          f"quant-run {acc_run:.4f} / torch {acc_torch:.4f} ({len(labels)} images): "
          f"{'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    here = fmnist.HERE
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(here, "..", "..", "build", "bin"),
                        help="directory of quant-opt and quant-run (default: ../../build/bin)")
    parser.add_argument("--out-dir", default=here, help="where to write the .mlir files")
    parser.add_argument("--no-verify", action="store_true", help="only write the files")
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    images, labels = fmnist.load_split("t10k")
    images, labels = images[:VERIFY_IMAGES], labels[:VERIFY_IMAGES]
    all_ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for model in fmnist.MODELS:
            w = fmnist.load_weights(model)
            for dialect, build in (("linalg", linalg_module), ("tosa", tosa_module)):
                path = os.path.join(args.out_dir, f"{model}.{dialect}.mlir")
                with open(path, "w") as f:
                    f.write(build(model, w))
                print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path) / 1024:.0f} KB)")
                if not args.no_verify:
                    all_ok &= verify(path, model, w, args.bin, images, labels, tmp)
    if not all_ok:
        sys.exit("error: some exported model does not reproduce torch")


if __name__ == "__main__":
    main()
