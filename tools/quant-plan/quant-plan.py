#!/usr/bin/python3
"""quant-plan: mixed precision under a model-level accuracy budget.

    quant-plan.py --float F.mlir --stats S.json --input x.npy [--input y.npy ...]
                  --candidates i2:block:32,i4:block:32,i8:channel,float
                  --min-output-sqnr DB [--options "weight-scheme=asymmetric ..."]
                  -o Q.mlir [--report R.json] [--entry main] [--tools-dir DIR]

--qnt-quantize's mixed precision holds each layer to a per-layer output SQNR
budget (docs/Algorithms.md). This tool searches that per-layer budget so
that the *model's* outputs on the given inputs (the calibration data, or any
set the user trusts) keep at least --min-output-sqnr dB against the float
model, with the fewest bytes: a bisection over the per-layer budget (the
model's SQNR rises with it), each step quantizing with quant-opt and running
with quant-run. It writes the quantized model of the smallest budget that
meets the target, and with --report the per-layer choices, each step's
budget, model SQNR and bytes. Exit code 1, writing nothing, when even the
most accurate candidates miss the target."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tool(args, name):
    for d in ([args.tools_dir] if args.tools_dir else [os.path.join(ROOT, "build", "bin")]):
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    found = shutil.which(name)
    if not found:
        sys.exit(f"quant-plan: error: {name} not found (--tools-dir)")
    return found


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"quant-plan: error: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def outputs(args, model, out_dir):
    cmd = [tool(args, "quant-run"), model, "--entry", args.entry, "--output-dir", out_dir]
    for x in args.input:
        cmd += ["--input", x]
    run(cmd)
    return [np.load(os.path.join(out_dir, f)).astype(np.float64)
            for f in sorted(os.listdir(out_dir)) if f.startswith("out")]


def sqnr(ref, got):
    signal = sum(float(np.sum(r * r)) for r in ref)
    noise = sum(float(np.sum((r - g) ** 2)) for r, g in zip(ref, got))
    return float("inf") if noise == 0 else 10 * np.log10(signal / noise)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--float", dest="float_model", required=True)
    p.add_argument("--stats", required=True, help="stats with moments=hessian")
    p.add_argument("--input", action="append", required=True, help="one .npy per argument")
    p.add_argument("--candidates", required=True)
    p.add_argument("--min-output-sqnr", type=float, required=True)
    p.add_argument("--options", default="", help="more --qnt-quantize options")
    p.add_argument("-o", dest="output", required=True)
    p.add_argument("--report")
    p.add_argument("--entry", default="main")
    p.add_argument("--tools-dir")
    p.add_argument("--steps", type=int, default=8, help="bisection steps (default 8)")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="quant-plan-")
    try:
        ref = outputs(args, args.float_model, os.path.join(work, "float"))
        history = []

        def attempt(budget):
            name = f"b{len(history)}"
            model = os.path.join(work, name + ".mlir")
            report = os.path.join(work, name + ".json")
            run([tool(args, "quant-opt"), args.float_model,
                 f"--qnt-quantize={args.options} mixed-precision={args.candidates} "
                 f"mp-min-sqnr={budget} mp-report={report} stats={args.stats}",
                 "-o", model])
            layers = json.load(open(report))["layers"]
            nbytes = sum(next(c["bytes"] for c in e["candidates"] if c["name"] == e["choice"])
                         for e in layers.values() if "choice" in e)
            s = sqnr(ref, outputs(args, model, os.path.join(work, name + ".out")))
            history.append({"layer_budget_db": budget, "output_sqnr_db": s,
                            "layer_bytes": nbytes})
            return s, model, layers

        lo, hi = 0.0, 80.0
        s, model, layers = attempt(hi)
        if s < args.min_output_sqnr:
            sys.exit(f"quant-plan: error: the most accurate plan (every layer at least "
                     f"{hi:g} dB) gives {s:.2f} dB at the output, below "
                     f"{args.min_output_sqnr:g}")
        best = (hi, model, layers, s)
        for _ in range(args.steps):
            mid = (lo + hi) / 2
            s, model, layers = attempt(mid)
            if s >= args.min_output_sqnr:
                hi, best = mid, (mid, model, layers, s)
            else:
                lo = mid
        budget, model, layers, s = best
        # All or nothing: a temporary file beside the output, renamed over it.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.output)),
                                   prefix=".quant-plan-")
        os.close(fd)
        shutil.copyfile(model, tmp)
        os.replace(tmp, args.output)
        if args.report:
            with open(args.report, "w") as f:
                json.dump({"min_output_sqnr_db": args.min_output_sqnr,
                           "layer_budget_db": budget, "output_sqnr_db": s,
                           "choices": {k: v.get("choice") for k, v in layers.items()},
                           "steps": history}, f, indent=1)
        print(f"quant-plan: per-layer budget {budget:.2f} dB gives {s:.2f} dB at the output "
              f"(target {args.min_output_sqnr:g}); "
              + ", ".join(f"{n} {c}" for c, n in sorted(
                  {c: sum(1 for v in layers.values() if v.get('choice') == c)
                   for c in set(v.get('choice') for v in layers.values())}.items(),
                  key=lambda t: str(t[0]))))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
