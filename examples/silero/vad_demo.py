#!/usr/bin/env python3
"""Silero voice-activity detection (npm's @ricky0123/vad-web 0.0.31,
silero_vad_v5.onnx) in ONNX Runtime and in QuantOpt, on speech synthesized
by Debian's espeak-ng with silences between the sentences.

    python3 examples/silero/vad_demo.py BUILD/bin WORK [--model v5|legacy] [--json FILE]
                                        [--report]

ONNX Runtime runs the stream as a VAD does (chunks of 512 samples at 16 kHz,
the recurrent state carried from chunk to chunk) and records every chunk's
input and state; QuantOpt imports the model with the sample rate frozen
(--input-value sr=16000, so the model's If nodes fold to the 16 kHz branch)
and runs the same N steps as one batch of N (the state each chunk saw comes
from ONNX Runtime's run). Printed: the largest difference of the speech
probabilities, float and int8, and how often the speech decisions (p > 0.5)
agree with ONNX Runtime's and with where speech was put.

With --report, the per-layer error report (tools/quant-report) of the int8
model against the float one on the first 256 chunks, the model imported
with a batch of 64 (the state's samples are on axis 1: --data-axis), is
written to WORK/report.html and WORK/report.txt and its table printed."""
import json
import os
import subprocess
import sys
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT = os.path.join(ROOT, "bench", "ort")
MODELS = os.path.join(ORT, "node_modules", "@ricky0123", "vad-web", "dist")
# The recurrent state inputs of each model: (name, width).
STATES = {"v5": [("state", 128)], "legacy": [("h", 64), ("c", 64)]}
SENTENCES = ["The quick brown fox jumps over the lazy dog.",
             "Quantization maps real numbers to a few integers.",
             "Please call me back after lunch."]
RATE, CHUNK = 16000, 512


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def speech(text, path):
    run(["espeak-ng", "-v", "en", "-s", "150", "-w", path, text])
    with wave.open(path) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    x = data.astype(np.float64) / 32768
    t = np.arange(int(len(x) * RATE / rate)) / RATE
    return np.interp(t, np.arange(len(x)) / rate, x)


def per_layer_report(bindir, work, model, version, data):
    batch = 64
    shapes = ["--input-shape", "input=%d,%d" % (batch, CHUNK)]
    for name, width in STATES[version]:
        shapes += ["--input-shape", "%s=2,%d,%d" % (name, batch, width)]
    base = os.path.join(work, "vad%d" % batch)
    run([os.path.join(bindir, "quant-import-onnx"), model, "-o", base + ".mlir",
         "--input-value", "sr=16000"] + shapes)
    # The layer names live in the locations: keep them in the quantized model.
    run([os.path.join(bindir, "quant-opt"), base + ".mlir", "--qnt-quantize",
         "--mlir-print-debuginfo", "-o", base + ".q.mlir"], stderr=subprocess.DEVNULL)
    axes = ",".join(["0"] + ["1"] * len(STATES[version]))
    cmd = [sys.executable, os.path.join(ROOT, "tools", "quant-report", "quant-report.py"),
           "--float", base + ".mlir", "--quantized", base + ".q.mlir",
           "--tools-dir", bindir, "--data-axis", axes, "--output-axis", axes,
           "--max-samples", "256", "--html", os.path.join(work, "report.html"),
           "--text", os.path.join(work, "report.txt"),
           "--title", "silero_vad_%s: int8 against float, per layer" % version]
    for d in data:
        cmd += ["--data", d]
    run(cmd)


def stream(work, version):
    """Synthesizes the speech, streams it through ONNX Runtime and returns
    (model path, the chunks [N, 512], {state name: [2, N, width]} as each
    chunk saw it, ONNX Runtime's probabilities [N], the labels [N])."""
    model = os.path.join(MODELS, "silero_vad_%s.onnx" % version)
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(0)
    parts, truth = [], []
    for i, text in enumerate(SENTENCES):
        gap = np.zeros(int(RATE * (0.8 + 0.2 * i)))
        s = speech(text, os.path.join(work, "s%d.wav" % i))
        parts += [gap, s]
        truth += [np.zeros(len(gap), bool), np.abs(s) > 0.02]
    parts.append(np.zeros(RATE))
    truth.append(np.zeros(RATE, bool))
    audio = np.concatenate(parts)
    audio = (audio + rng.normal(0, 0.002, audio.shape)).astype(np.float32)
    voiced = np.concatenate(truth)
    n = len(audio) // CHUNK
    # A chunk is speech when a tenth of its samples are voiced.
    labels = voiced[:n * CHUNK].reshape(n, CHUNK).mean(axis=1) > 0.1
    audio.tofile(os.path.join(work, "audio.f32"))
    prefix = os.path.join(work, "ort")
    run(["node", os.path.join(ORT, "vad_ort.mjs"),
         model, os.path.join(work, "audio.f32"), prefix], stdout=subprocess.DEVNULL)
    p_ort = np.fromfile(prefix + ".prob.f32", np.float32)
    chunks = np.fromfile(prefix + ".chunks.f32", np.float32).reshape(n, CHUNK)
    states = {name: np.fromfile(prefix + ".%s.f32" % name, np.float32).reshape(2, n, width)
              for name, width in STATES[version]}
    return model, chunks, states, p_ort, labels


def main():
    bindir, work = sys.argv[1], sys.argv[2]
    version = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else "v5"
    model, chunks, states, p_ort, labels = stream(work, version)
    n = len(chunks)
    np.save(os.path.join(work, "chunks.npy"), chunks)
    inputs = ["--input", os.path.join(work, "chunks.npy")]
    shapes = ["--input-shape", "input=%d,%d" % (n, CHUNK)]
    for name, width in STATES[version]:
        np.save(os.path.join(work, name + ".npy"), states[name])
        inputs += ["--input", os.path.join(work, name + ".npy")]
        shapes += ["--input-shape", "%s=2,%d,%d" % (name, n, width)]
    mlir = os.path.join(work, "vad.mlir")
    run([os.path.join(bindir, "quant-import-onnx"), model, "-o", mlir,
         "--input-value", "sr=16000"] + shapes)
    results = {}
    for kind, passes in (("float", []), ("int8", ["--qnt-quantize"])):
        fast = os.path.join(work, kind + ".ll.mlir")
        run([os.path.join(bindir, "quant-opt"), mlir] + passes +
            ["--qnt-codegen", "-o", fast], stderr=subprocess.DEVNULL)
        out = os.path.join(work, kind)
        run([os.path.join(bindir, "quant-run"), fast, "--entry", "main"] + inputs +
            ["--output-dir", out], stdout=subprocess.DEVNULL)
        results[kind] = np.load(os.path.join(out, "out0.npy")).reshape(-1)  # [N, 1]
    if "--report" in sys.argv:
        per_layer_report(bindir, work, model, version, inputs[1::2])
    report = {"chunks": int(n), "speech_chunks": int(labels.sum()),
              "ort_vs_truth": float(np.mean((p_ort > 0.5) == labels))}
    for kind, p in results.items():
        report[kind] = {"max_abs_diff": float(np.abs(p - p_ort).max()),
                        "agreement": float(np.mean((p > 0.5) == (p_ort > 0.5))),
                        "vs_truth": float(np.mean((p > 0.5) == labels))}
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump(report, f, indent=1)
    print("silero_vad_%s: %d chunks of 32 ms, %d with speech" % (version, n, labels.sum()))
    print("ONNX Runtime: decisions agree with the speech put in on %.3f of the chunks"
          % np.mean((p_ort > 0.5) == labels))
    for kind, p in results.items():
        print("QuantOpt %-5s: max |p - p_ort| = %.2e, decisions agree with ONNX "
              "Runtime on %.3f, with the speech put in on %.3f"
              % (kind, np.abs(p - p_ort).max(), np.mean((p > 0.5) == (p_ort > 0.5)),
                 np.mean((p > 0.5) == labels)))


if __name__ == "__main__":
    main()
