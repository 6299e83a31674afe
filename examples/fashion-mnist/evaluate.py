"""Quantizes the exported Fashion-MNIST models with quant-opt --qnt-quantize,
runs them with quant-run on the test set and compares them with the float
model.

    /usr/bin/python3 evaluate.py BUILD_BIN_DIR [--model mlp|cnn|all] [--dialect linalg|tosa]
                                 [--images N] [--config "weights=i8" ...] [--models-dir DIR]

For the float model and each configuration (a --qnt-quantize option string;
--config may be repeated, default: DEFAULT_CONFIGS below) the table shows:

  layers      what the pass did with the model's layers, from its summary remark:
              integer kernels / weight-only (dequantized weights, float compute) /
              kept in float (see the remarks printed below the table for why);
              "N bf16" / "N f16" for weights=bf16 / f16 (16-bit float weights
              and activations, f32 sums)
  top-1       accuracy on the first N test images (default all 10000)
  agree       top-1 agreement with the float model
  SQNR dB     10 log10(sum f^2 / sum (q - f)^2) of the logits q against the float
              logits f
  dense KB    size of the dense constants in the quantized MLIR (arith.constant,
              tosa.const), from their element types and counts: i4 and f4 count
              half a byte, i8/f8 one byte, f32/i32 four bytes (biases, integer
              kernels' per-channel scales and zero-point corrections included)
  params KB   size of the scales and zero points held in #qnt.params attributes
              (4 bytes each; a power-of-two scale (`pow2`: MX's E8M0) and a
              two-level block scale (`tensor_scale`: NVFP4's E4M3) 1 byte,
              plus 4 for the tensor scale), which the dense count above does
              not include
  ms/1000     median time of one @main call on 1000 images (quant-run --repeat 5,
              compilation excluded) of the model compiled with --qnt-codegen
              (the kernels, one thread); the accuracy columns come from the
              reference lowering, which the kernels' integer results equal

Inputs are x/255 in float32, flat [N, 784] for the MLP and NHWC [N, 28, 28, 1]
for the CNN, read from the Fashion-MNIST .gz files (see fmnist.py).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

import fmnist

DEFAULT_CONFIGS = [
    "weights=i8",  # per-channel weights, dynamic u8 activations: integer kernels
    "weights=i8 weight-granularity=tensor",
    "weights=i8 act-granularity=row act-storage=i8 act-scheme=symmetric",
    "weights=i4 activations=none",  # per-channel int4, weight-only
    # Blocks run along the reduction axis: 8 divides the CNN's 8 input
    # channels and the 784 inputs of the MLP's first layer (784 = 49 x 16).
    "weights=i4 weight-granularity=block block-size=8 activations=none",
    "weights=f8E4M3FN activations=none",
    # The block formats beside int4 per block: OCP MXFP4 (E8M0 scales per
    # block of 32) and NVIDIA's NVFP4 (E4M3 scales per block of 16 times a
    # tensor scale).
    "weights=mxfp4 activations=none",
    "weights=nvfp4 activations=none",
    # MX on both sides: MXINT8 activations quantized at run time per row and
    # block of 32 (act-scheme=mx), times MXFP4 or MXINT8 weights, on the
    # group-wise integer kernel; the CNN's convolutions stay weight-only
    # (integer convolutions with blocks of channels pay from 64 input
    # channels; these have 1 and 8).
    "weights=mxfp4 act-storage=i8 act-scheme=mx act-granularity=block",
    "weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block",
    # NVFP4 on both sides: activations quantized at run time to E2M1 in
    # blocks of 16 with E4M3 block scales under a per-tensor scale.
    "weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block",
    "weights=bf16",  # bf16 weights and activations, f32 accumulation (vdpbf16ps)
    "weights=f16",  # f16 weights and activations, f32 accumulation (vcvtph2ps + FMA)
]
# Static activation ranges of each model's layers (measured on the first 1000
# test images by test/Models/Inputs/make_*_stats.py; the Calibration issue
# will let quant-run produce them). Appended to the default configurations.
STATS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                         "test", "Models", "Inputs")
TIMING_IMAGES = 1000
TIMING_REPEAT = 5


# --- storage accounting ---------------------------------------------------

# A dense constant: `arith.constant dense<...> : tensor<...>` or
# `"tosa.const"() <{values = dense<...> : tensor<...>}>`. The contents (hex
# string, splat or nested lists of numbers) never contain '>'.
DENSE_CONST = re.compile(r"(?:arith\.constant|values\s*=)\s*dense<[^>]*>\s*:\s*tensor<([^>]*)>")
QNT_PARAMS = re.compile(r"#qnt\.params<([^>]*)>")
QNT_PARAMS_LIST = re.compile(r"\b(scales|zero_points)\s*=\s*\[([^\]]*)\]")


def element_bits(elem):
    """Bits of one element of a builtin element type (None: not counted)."""
    if elem == "index":
        return None  # tosa.const_shape shapes: not weights
    if elem == "bf16":
        return 16
    m = re.fullmatch(r"(?:i|si|ui)(\d+)", elem)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"f(\d+)(?:E\d+M\d+\w*)?", elem)  # f32, f16, f8E4M3FN, f4E2M1FN
    if m:
        return int(m.group(1))
    raise ValueError(f"unknown element type {elem!r}")


def storage_bytes(mlir_text):
    """(bytes of dense constants, bytes of #qnt.params scales/zero points)."""
    dense = 0.0
    for tensor_type in DENSE_CONST.findall(mlir_text):
        m = re.fullmatch(r"((?:\d+x)*)(\w+)", tensor_type.strip())  # 784x128xi4
        if not m:
            raise ValueError(f"unexpected constant type tensor<{tensor_type}>")
        bits = element_bits(m.group(2))
        if bits is None:
            continue
        count = int(np.prod([int(d) for d in m.group(1).split("x") if d]))
        dense += count * bits / 8
    params = 0
    for attr in QNT_PARAMS.findall(mlir_text):
        # One-byte scales: E8M0 exponents (pow2) and E4M3 block scales under
        # a float32 tensor scale (tensor_scale).
        two_level = "tensor_scale" in attr
        byte_scales = two_level or re.search(r"\bpow2\b", attr)
        params += 4 if two_level else 0
        for key, values in QNT_PARAMS_LIST.findall(attr):
            count = len([v for v in values.split(",") if v.strip()])
            params += (1 if key == "scales" and byte_scales else 4) * count
    return dense, params


# --- running the tools -------------------------------------------------------

class ToolError(Exception):
    pass


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        # Diagnostics may quote whole lines of hex constants: keep them short.
        lines = result.stderr.splitlines()
        errors = [line for line in lines if "error:" in line] or lines
        msg = "\n".join(line[:300] for line in errors[:10])
        raise ToolError(f"{' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))} "
                        f"failed:\n{msg}")
    return result


def summary_remark(stderr):
    """(integer, weight-only, float) layer counts and the summary text of
    --qnt-quantize's closing remark."""
    for line in stderr.splitlines():
        # weights=bf16 / f16: "N layer(s) in bf16 ..., F kept in f32"
        m = re.search(r"qnt-convert-to-b?f16:\s*(.*)", line)
        if m:
            text = m.group(1).strip()
            m = re.search(r"(\d+) layer\(s\) in (b?f16).*?(\d+) kept in f32", text)
            return (f"{m.group(1)} {m.group(2)}" if m else "?"), text
        if "qnt-quantize:" not in line:
            continue
        text = line.split("qnt-quantize:", 1)[1].strip()
        m = re.search(r"(\d+) integer, (\d+) weight-only, (\d+) kept in float", text)
        if m:
            return "/".join(m.groups()), text
        # Older builds: "weights of Q of N layer(s) quantized (...), F kept in float".
        m = re.search(r"weights of (\d+) of (\d+) layer\(s\) quantized.*?(\d+) kept in float", text)
        if m:
            return f"-/{m.group(1)}/{m.group(3)}", text
        return "?", text
    return "?", ""


class Evaluator:
    def __init__(self, bindir, tmp):
        self.quant_opt = os.path.join(bindir, "quant-opt")
        self.quant_run = os.path.join(bindir, "quant-run")
        self.tmp = tmp
        self.counter = 0

    def logits(self, module, x_path):
        out = os.path.join(self.tmp, f"out{self.counter}")
        self.counter += 1
        run([self.quant_run, module, "--entry", "main", "--input", x_path, "--output-dir", out])
        return np.load(os.path.join(out, "out0.npy"))

    def time_ms(self, module, x_path):
        """The median time of the module compiled with --qnt-codegen (the
        kernels users deploy), not of the reference lowering."""
        out = os.path.join(self.tmp, f"out{self.counter}")
        fast = os.path.join(self.tmp, f"fast{self.counter}.mlir")
        self.counter += 1
        run([self.quant_opt, module, "--qnt-codegen", "-o", fast])
        result = run([self.quant_run, fast, "--entry", "main", "--input", x_path,
                      "--output-dir", out, "--repeat", str(TIMING_REPEAT)])
        m = re.search(r"median ([0-9.eE+-]+) ms", result.stdout + result.stderr)
        return float(m.group(1)) if m else float("nan")

    def quantize(self, module, config, name):
        out = os.path.join(self.tmp, f"{name}.q{self.counter}.mlir")
        self.counter += 1
        result = run([self.quant_opt, module, f"--qnt-quantize={config}", "-o", out])
        return out, result.stderr


# --- the table -------------------------------------------------------------

def header(width):
    """The table's header, its config column `width` characters wide."""
    return (f"{'config':<{width}} {'layers':>9} {'top-1':>7} {'agree':>7} {'SQNR dB':>8} "
            f"{'dense KB':>9} {'params KB':>9} {'ms/1000':>8}")


def row(width, config, layers, acc, agree, sqnr, dense, params, ms):
    sqnr_s = "-" if sqnr is None else f"{sqnr:8.2f}"
    return (f"{config:<{width}} {layers:>9} {acc:7.4f} {agree:7.4f} {sqnr_s:>8} "
            f"{dense / 1024:9.1f} {params / 1024:9.1f} {ms:8.1f}")


def sqnr_db(ref, got):
    noise = float(np.sum((got.astype(np.float64) - ref) ** 2))
    signal = float(np.sum(ref.astype(np.float64) ** 2))
    return None if noise == 0 else 10 * np.log10(signal / noise)


def evaluate_model(ev, model, dialect, module, images, labels, timing_images, configs):
    x_path = os.path.join(ev.tmp, f"{model}.x.npy")
    t_path = os.path.join(ev.tmp, f"{model}.x{TIMING_IMAGES}.npy")
    np.save(x_path, fmnist.model_input(images, model))
    np.save(t_path, fmnist.model_input(timing_images, model))

    print(f"\n{model.upper()} ({dialect}, {os.path.relpath(module)}), {len(labels)} test images; "
          f"layers = integer/weight-only/float")
    # The config column fits the longest configuration.
    width = max([len("float (f32)")] + [len(c) for c in configs])
    print(header(width))
    print("-" * len(header(width)))
    ref = ev.logits(module, x_path)
    with open(module) as f:
        dense, params = storage_bytes(f.read())
    ref_top1 = ref.argmax(1)
    print(row(width, "float (f32)", "-", float(np.mean(ref_top1 == labels)), 1.0, None, dense, params,
              ev.time_ms(module, t_path)), flush=True)

    notes = []
    for config in configs:
        try:
            qmodule, stderr = ev.quantize(module, config, model)
            layers, summary = summary_remark(stderr)
            got = ev.logits(qmodule, x_path)
            with open(qmodule) as f:
                dense, params = storage_bytes(f.read())
            top1 = got.argmax(1)
            print(row(width, config, layers, float(np.mean(top1 == labels)), float(np.mean(top1 == ref_top1)),
                      sqnr_db(ref, got), dense, params, ev.time_ms(qmodule, t_path)), flush=True)
            kept = [l.split("remark:", 1)[1].strip() for l in stderr.splitlines()
                    if "remark:" in l and "kept in float:" in l]
            notes.append(f"  [{config}] {summary}" + "".join(f"\n      {k}" for k in kept))
        except ToolError as e:
            print(f"{config:<{width}} FAILED (see below)", flush=True)
            notes.append(f"  [{config}] {e}")
    print("Remarks of --qnt-quantize:")
    print("\n".join(notes))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bindir", help="directory of quant-opt and quant-run (e.g. build/bin)")
    parser.add_argument("--model", choices=list(fmnist.MODELS) + ["all"], default="all")
    parser.add_argument("--dialect", choices=fmnist.DIALECTS, default="linalg")
    parser.add_argument("--images", type=int, default=10000, help="first N test images (default 10000)")
    parser.add_argument("--config", action="append",
                        help="a --qnt-quantize option string; repeat for several (default: a list of 5)")
    parser.add_argument("--models-dir", default=fmnist.HERE,
                        help="where {mlp,cnn}.{linalg,tosa}.mlir are (default: this directory)")
    args = parser.parse_args()

    all_images, all_labels = fmnist.load_split("t10k")
    if not 0 < args.images <= len(all_labels):
        sys.exit(f"error: --images must be in 1..{len(all_labels)}")
    images, labels = all_images[:args.images], all_labels[:args.images]
    timing_images = all_images[:TIMING_IMAGES]  # whatever --images says
    configs = args.config or DEFAULT_CONFIGS
    with tempfile.TemporaryDirectory() as tmp:
        ev = Evaluator(args.bindir, tmp)
        for model in fmnist.MODELS if args.model == "all" else [args.model]:
            module = os.path.join(args.models_dir, f"{model}.{args.dialect}.mlir")
            if not os.path.exists(module):
                sys.exit(f"error: {module} not found (run export_mlir.py first)")
            model_configs = list(configs)
            stats = os.path.join(STATS_DIR, f"{model}-stats.json")
            if not args.config and os.path.exists(stats):
                model_configs.append(f"activations=static stats={os.path.abspath(stats)}")
            try:
                evaluate_model(ev, model, args.dialect, module, images, labels, timing_images,
                               model_configs)
            except ToolError as e:
                sys.exit(f"error: the float model failed: {e}")


if __name__ == "__main__":
    main()
