"""The QuantOpt foundation demo: quantize example tensors with every storage
type, granularity and scheme through qnt ops (and the OCP MX and NVFP4
block formats), lower and execute them with quant-run, and print the
quantization error; beside them, the 16-bit floats bf16 and f16 (a rounding
to nearest even, arith.truncf, and back: no scale; what --qnt-quantize
weights=bf16 / f16 does to weights and activations).

Parameters come from `quant-params` (the numerics library's solver); the
quantize-dequantize round trip is one `qnt.fake_quant` op per configuration,
lowered with --qnt-lower-to-llvm and JIT-executed by quant-run. This script
only writes the MLIR, runs the tools and computes the error metrics.

Usage: error_table.py BUILD_BIN_DIR [TENSOR.npy ...]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

INT_STORAGE = ["i16", "i8", "u8", "i4", "u4", "i2"]
FLOAT_STORAGE = ["f8E5M2", "f8E4M3FN", "f4E2M1FN"]
SCHEMES = ["symmetric", "asymmetric", "minval"]
BLOCK = 32


def granularities(shape):
    yield "per-tensor", []
    yield "per-channel", ["--axis", "0"]
    if shape[1] % BLOCK == 0:
        yield f"per-block({BLOCK})", ["--axis", "1", "--block", str(BLOCK)]


def configurations(shape):
    for storage in INT_STORAGE + FLOAT_STORAGE:
        schemes = ["symmetric"] if storage in FLOAT_STORAGE else SCHEMES
        for gran, gran_args in granularities(shape):
            for scheme in schemes:
                yield storage, gran, scheme, gran_args
    # The block formats, beside int4 per block above: OCP MX (E8M0
    # power-of-two scales per block of 32: MXFP8, MXFP6, MXFP4, MXINT8) and
    # NVFP4 (E4M3 scales per block of 16 times one float32 tensor scale).
    if shape[1] % BLOCK == 0:
        for storage in ["f8E4M3FN", "f6E2M3FN", "f4E2M1FN", "i8"]:
            yield storage, f"per-block({BLOCK})", "mx", ["--axis", "1", "--block", str(BLOCK)]
    if shape[1] % 16 == 0:
        yield "f4E2M1FN", "per-block(16)", "nvfp4", ["--axis", "1", "--block", "16"]


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{result.stderr}")
    return result.stdout


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bindir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    tensors = sys.argv[2:] or [os.path.join(here, "weights.npy"),
                               os.path.join(here, "activations.npy")]
    header = (f"{'tensor':<12} {'storage':<9} {'granularity':<14} {'scheme':<10} "
              f"{'max abs err':>12} {'MSE':>11} {'SQNR dB':>8}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for path in tensors:
            x = np.load(path)
            assert x.dtype == np.float32 and x.ndim == 2, path
            name = os.path.splitext(os.path.basename(path))[0]
            ttype = f"tensor<{x.shape[0]}x{x.shape[1]}xf32>"
            configs, body, results = [], [], []
            for i, (storage, gran, scheme, gran_args) in enumerate(configurations(x.shape)):
                params = run([os.path.join(bindir, "quant-params"), path,
                              "--storage", storage, "--scheme", scheme] + gran_args).strip()
                configs.append((storage, gran, scheme))
                body.append(f"  %r{i} = qnt.fake_quant %x : {ttype} as {params}")
                results.append(f"%r{i}")
            # The 16-bit floats: round to nearest even and back, no scale.
            for half in ("bf16", "f16"):
                i = len(results)
                htype = ttype.replace("xf32>", f"x{half}>")
                configs.append((half, "-", "cast"))
                body.append(f"  %h{i} = arith.truncf %x : {ttype} to {htype}")
                body.append(f"  %r{i} = arith.extf %h{i} : {htype} to {ttype}")
                results.append(f"%r{i}")
            module = os.path.join(tmp, f"{name}.mlir")
            with open(module, "w") as f:
                f.write(f"func.func @main(%x: {ttype}) -> ({', '.join([ttype] * len(results))}) {{\n")
                f.write("\n".join(body) + "\n")
                f.write(f"  return {', '.join(results)} : {', '.join([ttype] * len(results))}\n}}\n")
            outdir = os.path.join(tmp, name)
            run([os.path.join(bindir, "quant-run"), module, "--entry", "main",
                 "--input", path, "--output-dir", outdir])
            signal = float(np.mean(x.astype(np.float64) ** 2))
            for i, (storage, gran, scheme) in enumerate(configs):
                y = np.load(os.path.join(outdir, f"out{i}.npy")).astype(np.float64)
                err = y - x.astype(np.float64)
                mse = float(np.mean(err ** 2))
                sqnr = 10 * np.log10(signal / mse) if mse > 0 else float("inf")
                print(f"{name:<12} {storage:<9} {gran:<14} {scheme:<10} "
                      f"{np.max(np.abs(err)):>12.4e} {mse:>11.3e} {sqnr:>8.2f}")
            print()


if __name__ == "__main__":
    main()
