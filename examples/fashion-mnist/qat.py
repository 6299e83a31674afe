"""Quantization-aware training (QAT) of the example CNN with Debian's
python3-torch (torch.ao fake-quant modules), exported to ONNX as QDQ, then
imported, folded into integer layers and run by QuantOpt; compared with
QuantOpt's post-training quantization (PTQ) of the same float model.

    /usr/bin/python3 qat.py BUILD_BIN_DIR WORKDIR [--weight-bits 4] [--epochs 2]
                                                  [--json FILE]

1. The float CNN (weights/cnn.npz, NCHW as export_onnx.py writes it) becomes
   a torch model with QuantStub/DeQuantStub, Conv+ReLU fused, and the QAT
   qconfig: activations uint8 asymmetric per tensor (moving-average
   min/max), weights signed per output channel, symmetric, with
   `--weight-bits` bits (quant_min = -2^(b-1), quant_max = 2^(b-1) - 1).
2. It is fine-tuned for `--epochs` epochs on the Fashion-MNIST training set
   (Adam, lr 1e-4, observers first run on 1000 images, frozen for the
   last epoch when there are several), then evaluated on
   the test set as a fake-quantized torch model: the reference.
3. Export: torch.onnx (opset 13) writes every fake-quant as a
   QuantizeLinear/DequantizeLinear pair; ONNX's int8 QDQ allows only 8-bit
   ranges, so each weight is replaced by its fake-quantized value first
   (integers in the b-bit range times the scale) and exported with the
   int8 range: the same numbers, stored as int8.
4. quant-import-onnx -> quant-opt --qnt-convert-to-nhwc
   --qnt-fold-dequantized-layers --qnt-chain-layers (typed integer layers,
   chained through ReLU and max pooling) -> --qnt-codegen -> quant-run on the 10000 test images:
   accuracy and agreement with the fake-quantized torch model.
5. ONNX Runtime (bench/ort, when installed) on the same QDQ file:
   accuracy, agreement and identical logits with QuantOpt's.
6. PTQ of the float model at the same precision: quant-run --calibrate on
   1000 training images, --qnt-quantize "weights=i<b> activations=static",
   --qnt-codegen: accuracy.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.ao.quantization as tq

import fmnist

parser = argparse.ArgumentParser()
parser.add_argument("bindir")
parser.add_argument("work")
parser.add_argument("--weight-bits", type=int, default=4, choices=(2, 4, 8))
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--json")
args = parser.parse_args()
os.makedirs(args.work, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(2)
here = os.path.dirname(os.path.abspath(__file__))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc = nn.Linear(784, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(self.quant(x))))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.dequant(self.fc(torch.flatten(x, 1)))


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"qat: {' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return r.stdout + r.stderr


# --- 1. The float model with the QAT qconfig ----------------------------------
net = Net()
weights = np.load(os.path.join(here, "weights", "cnn.npz"))
net.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in weights.items()},
                    strict=False)
bits = args.weight_bits
qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
qconfig = tq.QConfig(
    activation=tq.FakeQuantize.with_args(
        observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
        dtype=torch.quint8, qscheme=torch.per_tensor_affine),
    weight=tq.FakeQuantize.with_args(
        observer=tq.MovingAveragePerChannelMinMaxObserver, quant_min=qmin,
        quant_max=qmax, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
        ch_axis=0))
net.train()
net = tq.fuse_modules_qat(net, [["conv1", "relu1"], ["conv2", "relu2"]])
net.qconfig = qconfig
tq.prepare_qat(net, inplace=True)

# --- 2. Fine-tuning --------------------------------------------------------------
train_images, train_labels = fmnist.load_split("train")
test_images, test_labels = fmnist.load_split("t10k")
x_train = torch.from_numpy((train_images.astype(np.float32) / 255).reshape(-1, 1, 28, 28))
y_train = torch.from_numpy(train_labels.astype(np.int64))
x_test = (test_images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
# The observers see 1000 training images before the first step, so that
# every fake-quant has its scales.
with torch.no_grad():
    net(x_train[:1000])
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
for epoch in range(args.epochs):
    if epoch == args.epochs - 1 and epoch > 0:
        net.apply(tq.disable_observer)
    order = torch.randperm(len(x_train))
    total = 0.0
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
        total += float(loss) * len(idx)
    print(f"qat: epoch {epoch + 1}/{args.epochs}: train loss {total / len(order):.4f}")
net.apply(tq.disable_observer)
net.eval()
with torch.no_grad():
    torch_logits = net(torch.from_numpy(x_test)).numpy()
torch_pred = torch_logits.argmax(1)

# --- 3. Export as QDQ --------------------------------------------------------------
with torch.no_grad():
    for m in (net.conv1, net.conv2, net.fc):
        m.weight.copy_(m.weight_fake_quant(m.weight))
        # FakeQuantize's forward reads the range from its observer.
        for holder in (m.weight_fake_quant, m.weight_fake_quant.activation_post_process):
            holder.quant_min, holder.quant_max = -128, 127
onnx_path = os.path.join(args.work, f"cnn.qat.w{bits}.onnx")
torch.onnx.export(net, torch.from_numpy(x_test[:2]), onnx_path, opset_version=13,
                  input_names=["x"], output_names=["logits"],
                  dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
with torch.no_grad():
    exported_logits = net(torch.from_numpy(x_test)).numpy()
assert (exported_logits.argmax(1) == torch_pred).all(), "weight export changed the model"

# --- 4. QuantOpt: import, fold into integer layers, kernels ------------------------
x_npy = os.path.join(args.work, "x.npy")
np.save(x_npy, x_test)
mlir = os.path.join(args.work, "qat.mlir")
run(f"{args.bindir}/quant-import-onnx", onnx_path, "-o", mlir)
folded = os.path.join(args.work, "qat.folded.mlir")
remarks = run(f"{args.bindir}/quant-opt", mlir, "--qnt-convert-to-nhwc",
              "--qnt-fold-dequantized-layers", "--qnt-chain-layers", "-o", folded)
contracts = len(re.findall(r"qnt\.contract", open(folded).read()))
fast = os.path.join(args.work, "qat.fast.mlir")
run(f"{args.bindir}/quant-opt", folded, "--qnt-codegen", "-o", fast)
out = os.path.join(args.work, "qat.out")
run(f"{args.bindir}/quant-run", fast, "--entry", "main", "--input", x_npy, "--output-dir", out)
ours = np.load(os.path.join(out, "out0.npy"))
ours_pred = ours.argmax(1)

# --- 5. PTQ of the float model at the same precision -------------------------------
float_onnx = os.path.join(args.work, "cnn.onnx")
run(sys.executable, os.path.join(here, "export_onnx.py"), float_onnx)
float_mlir = os.path.join(args.work, "cnn.mlir")
run(f"{args.bindir}/quant-import-onnx", float_onnx, "-o", float_mlir)
calib = os.path.join(args.work, "calib.npy")
np.save(calib, x_train[:1000].numpy())
ptq = os.path.join(args.work, "ptq.mlir")
run(f"{args.bindir}/quant-run", float_mlir, "--entry", "main", "--calibrate", "--data", calib,
    "--stats", os.path.join(args.work, "stats.json"), "--quantize-output", ptq,
    "--quantize-options", f"weights=i{bits}", "--no-progress")
results = {"weight_bits": bits}
for name, model in (("float", float_mlir), ("ptq", ptq)):
    compiled = model + ".fast.mlir"
    run(f"{args.bindir}/quant-opt", model, "--qnt-codegen", "-o", compiled)
    o = os.path.join(args.work, name + ".out")
    run(f"{args.bindir}/quant-run", compiled, "--entry", "main", "--input", x_npy,
        "--output-dir", o)
    results[name + "_accuracy"] = float(
        (np.load(os.path.join(o, "out0.npy")).argmax(1) == test_labels).mean())
results.update(
    qat_torch_accuracy=float((torch_pred == test_labels).mean()),
    qat_quantopt_accuracy=float((ours_pred == test_labels).mean()),
    qat_agreement=float((ours_pred == torch_pred).mean()),
    qat_max_abs_logit_diff=float(np.abs(ours - torch_logits).max()),
    qat_integer_layers=contracts)
# ONNX Runtime on the same QDQ file, when bench/ort has it installed: it
# fuses the QDQ pairs into its own integer kernels (QLinearConv, ...).
ort_dir = os.path.join(here, "..", "..", "bench", "ort")
if os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")):
    x_f32 = os.path.join(args.work, "x.f32")
    x_test.tofile(x_f32)
    ort_out = os.path.join(args.work, "ort.f32")
    run("node", os.path.join(ort_dir, "run_ort.mjs"), onnx_path, x_f32,
        ",".join(map(str, x_test.shape)), ort_out, "1", "1")
    ort_logits = np.fromfile(ort_out, np.float32).reshape(len(x_test), -1)
    results.update(
        ort_accuracy=float((ort_logits.argmax(1) == test_labels).mean()),
        ort_agreement=float((ort_logits.argmax(1) == ours_pred).mean()),
        ort_max_abs_logit_diff=float(np.abs(ort_logits - ours).max()),
        ort_equal_logits=float(np.mean(np.all(ort_logits == ours, axis=1))))
print(f"\nThe example CNN, weights {bits}-bit per channel, activations uint8 (10000 test images)")
print(f"  float model (QuantOpt fp32)                  accuracy {results['float_accuracy']:.4f}")
print(f"  PTQ of the float model (QuantOpt, static)    accuracy {results['ptq_accuracy']:.4f}")
print(f"  QAT, fake-quantized in torch                 accuracy {results['qat_torch_accuracy']:.4f}")
print(f"  QAT exported as QDQ, QuantOpt int8 kernels   accuracy "
      f"{results['qat_quantopt_accuracy']:.4f}, agreement with torch "
      f"{results['qat_agreement']:.4f} ({contracts} integer layers; max |logit diff| "
      f"{results['qat_max_abs_logit_diff']:.2e})")
if "ort_accuracy" in results:
    print(f"  QAT QDQ model in ONNX Runtime                accuracy "
          f"{results['ort_accuracy']:.4f}, agreement with QuantOpt "
          f"{results['ort_agreement']:.4f}, identical logits on "
          f"{results['ort_equal_logits']:.4f} of the images (max |diff| "
          f"{results['ort_max_abs_logit_diff']:.2e})")
if args.json:
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
