#!/usr/bin/python3
"""The small transformer language model of examples/lm, quantized every way
QuantOpt knows, with held-out perplexity, weight size and speed:

    /usr/bin/python3 examples/lm/lm_demo.py BUILD/bin WORK [--weights W.npz]
                                            [--json FILE] [--variants a,b,...]

The model (lm.py: a character-level GPT, 4 blocks, d = 192, 1.8 M
parameters, trained by train_lm.py on Debian's fortunes) is exported to ONNX
(export_onnx.py, batches of 128 windows of 64 characters), imported with
quant-import-onnx, instrumented with --qnt-insert-observers="moments=hessian"
and calibrated on 256 windows of the training text. Each variant is
quantized with --qnt-quantize, compiled with --qnt-codegen and run by
quant-run on 128 windows of the held-out fortunes; perplexity is
exp(mean cross-entropy) per character, computed here with numpy.

Weight size counts the 17 linear layers (4 x qkv, proj, fc1, fc2 and the
head: 1.79 M weights) and the token embedding (--qnt-quantize embeddings=true,
18.6 K) at their storage width plus one float32 scale (and a zero point of
the storage width for asymmetric ones) per group; the position embedding,
LayerNorms and biases stay float32 in every variant and are counted too. Time: the median of --repeat calls (default 5) of one
batch (128 x 64 characters), one thread."""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lm  # noqa: E402

BATCH = 128
# name -> (label, --qnt-quantize options or None for the float model,
#          weight bits, group size (0: per channel), asymmetric)
I4 = ("weights=i4 weight-scheme=asymmetric weight-granularity=block activations=none "
      "embeddings=true")
I2 = ("weights=i2 weight-scheme=asymmetric weight-granularity=block activations=none "
      "embeddings=true")
MP = ("weight-scheme=asymmetric activations=none embeddings=true "
      "mixed-precision=i2:block:32,i4:block:32,i8:channel,float")
VARIANTS = {
    "fp32": ("fp32", None, 32, 0, False),
    "w8a8-dynamic": ("W8A8 dynamic, per-row activations",
                     "act-granularity=row embeddings=true", 8, 0, False),
    # The two matmuls of attention (q k^T, p v) quantized too: both
    # operands u8 per tensor at run time (the first per row).
    "w8a8-dynamic-attn": ("W8A8 dynamic + attention matmuls dynamic",
                          "act-granularity=row act-matmuls=dynamic embeddings=true",
                          8, 0, False),
    "w8a8-static": ("W8A8 static", "activations=static embeddings=true", 8, 0, False),
    "w8a8-static-sq": ("W8A8 static + SmoothQuant 0.5",
                       "activations=static smoothquant=0.5 embeddings=true", 8, 0, False),
    "w4g32-rtn": ("int4 g32 round to nearest", I4 + " block-size=32", 4, 32, True),
    "w4g32-awq": ("int4 g32 AWQ", I4 + " block-size=32 weight-method=awq", 4, 32, True),
    "w4g32-gptq": ("int4 g32 GPTQ", I4 + " block-size=32 weight-method=gptq", 4, 32, True),
    "w4g128-rtn": ("int4 g128 round to nearest", I4 + " block-size=128", 4, 128, True),
    "w4g128-awq": ("int4 g128 AWQ", I4 + " block-size=128 weight-method=awq", 4, 128, True),
    "w4g128-gptq": ("int4 g128 GPTQ", I4 + " block-size=128 weight-method=gptq", 4, 128, True),
    # 3-bit values in i4 storage (weight-bits=3): sized as the i4 they are.
    "w3g32-rtn": ("int3 g32 round to nearest", I4 + " weight-bits=3 block-size=32", 4, 32, True),
    "w3g32-awq": ("int3 g32 AWQ", I4 + " weight-bits=3 block-size=32 weight-method=awq",
                  4, 32, True),
    "w3g32-gptq": ("int3 g32 GPTQ", I4 + " weight-bits=3 block-size=32 weight-method=gptq",
                   4, 32, True),
    "w2g32-rtn": ("int2 g32 round to nearest", I2 + " block-size=32", 2, 32, True),
    "w2g32-awq": ("int2 g32 AWQ", I2 + " block-size=32 weight-method=awq", 2, 32, True),
    "w2g32-gptq": ("int2 g32 GPTQ", I2 + " block-size=32 weight-method=gptq", 2, 32, True),
    # Mixed precision: each linear layer takes the smallest of int2 g32, int4
    # g32, int8 per channel and float whose output SQNR on the calibration
    # data reaches the budget; weight-only, the embedding int8 per row.
    "mp-low": ("mixed precision, 14 dB per layer", MP + " mp-min-sqnr=14", "mp", 0, True),
    "mp-high": ("mixed precision, 28 dB per layer", MP + " mp-min-sqnr=28", "mp", 0, True),
}
# lm.build's parameter count (train_lm.py prints it).
PARAMETERS = 1829473
NEEDS_STATS = ("static", "awq", "gptq", "smoothquant", "mixed-precision")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("lm_demo: %s failed:\n%s" % (" ".join(cmd), r.stderr[-3000:]))
    return r.stdout + r.stderr


def linear_shapes():
    """(group axis length, rows) of every quantized table: the linear
    layers' weights (input channels, outputs) and the token embedding (its
    rows are quantized along the embedding dimension)."""
    c = lm.CONFIG
    d, ff = c["d"], c["ff"]
    per_block = [(d, 3 * d), (d, d), (d, ff), (ff, d)]  # (in, out)
    return per_block * c["layers"] + [(d, c["vocab"]), (d, c["vocab"])]


def weight_bytes(bits, group, asym, report=None):
    """Bytes of the model's weights under a variant (module docstring); for
    mixed precision, the linear layers' bytes come from the pass's report."""
    if bits == "mp":
        chosen = 0.0
        for entry in report["layers"].values():
            pick = next(c for c in entry["candidates"] if c["name"] == entry["choice"])
            chosen += pick["bytes"]
        d, vocab = lm.CONFIG["d"], lm.CONFIG["vocab"]
        embedding = d * vocab + 4 * vocab  # int8 per row
        linear = sum(k * n for k, n in linear_shapes())
        return chosen + embedding + 4 * (PARAMETERS - linear)
    total = 0.0
    linear = 0
    for k, n in linear_shapes():
        linear += k * n
        if bits == 32:
            total += 4 * k * n
            continue
        groups = n * (-(-k // group) if group else 1)
        total += k * n * bits / 8 + groups * (4 + (bits / 8 if asym else 0))
    return total + 4 * (PARAMETERS - linear)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bindir")
    p.add_argument("work")
    p.add_argument("--weights", default=os.path.join(HERE, "weights", "lm.npz"))
    p.add_argument("--json")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--repeat", type=int, default=5,
                   help="calls timed per variant (0: run once, no time)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    w = lambda name: os.path.join(args.work, name)  # noqa: E731
    tool = lambda name: os.path.join(args.bindir, name)  # noqa: E731

    train, held = lm.load_fortunes()
    evaluation = lm.held_out_windows(held, BATCH)
    calibration = lm.held_out_windows(train, 2 * BATCH)
    np.save(w("eval.npy"), evaluation[:, :-1])
    np.save(w("calib.npy"), calibration[:, :-1])

    run([sys.executable, os.path.join(HERE, "export_onnx.py"), args.weights, w("lm.onnx"),
         "--batch", str(BATCH)])
    run([tool("quant-import-onnx"), w("lm.onnx"), "-o", w("lm.mlir")])
    run([tool("quant-opt"), w("lm.mlir"), "--qnt-insert-observers=moments=hessian",
         "-o", w("lm.observed.mlir")])
    run([tool("quant-run"), w("lm.observed.mlir"), "--entry", "main", "--calibrate",
         "--data", w("calib.npy"), "--stats", w("stats.json"), "--no-progress"])

    results = {}
    for name in args.variants.split(","):
        label, options, bits, group, asym = VARIANTS[name]
        model = w("lm.mlir")
        if options:
            if any(k in options for k in NEEDS_STATS):
                options += " stats=" + w("stats.json")
            if "mixed-precision" in options:
                options += " mp-report=" + w(name + ".mp.json")
            model = w(name + ".q.mlir")
            run([tool("quant-opt"), w("lm.mlir"), "--qnt-quantize=" + options, "-o", model])
        fast = w(name + ".fast.mlir")
        run([tool("quant-opt"), model, "--qnt-codegen", "-o", fast])
        out = w(name + ".out")
        text = run([tool("quant-run"), fast, "--entry", "main", "--input", w("eval.npy"),
                    "--output-dir", out] + (["--repeat", str(args.repeat)] if args.repeat else []))
        ms = float(re.search(r"median ([0-9.]+) ms", text).group(1)) if args.repeat else float("nan")
        logits = np.load(os.path.join(out, "out0.npy"))
        ppl = lm.perplexity(logits, evaluation[:, 1:])
        report = (json.load(open(w(name + ".mp.json"))) if bits == "mp" else None)
        results[name] = {"label": label, "perplexity": ppl,
                         "weight_mb": weight_bytes(bits, group, asym, report) / 1e6, "ms": ms}
        if report:
            results[name]["choices"] = {k: v.get("choice") for k, v in report["layers"].items()}
        print("%-36s perplexity %7.3f  weights %5.2f MB  %7.1f ms" %
              (label, ppl, results[name]["weight_mb"], ms), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
