#!/usr/bin/python3
"""Writes the language model of lm.py as ONNX (torch.onnx, opset 17), with a
fixed input of [batch, context] int64 tokens and logits [batch, context,
vocab] as output:

    /usr/bin/python3 examples/lm/export_onnx.py WEIGHTS.npz OUT.onnx [--batch 8]

WEIGHTS may be "random" (an untrained model, for tests of the import)."""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("weights")
p.add_argument("out")
p.add_argument("--batch", type=int, default=8)
args = p.parse_args()
torch.manual_seed(0)
model = lm.build(torch)
if args.weights != "random":
    lm.load_weights(torch, model, args.weights)
model.eval()
idx = torch.zeros(args.batch, lm.CONFIG["context"], dtype=torch.int64)
torch.onnx.export(model, (idx,), args.out, input_names=["tokens"], output_names=["logits"],
                  opset_version=17, do_constant_folding=True)
