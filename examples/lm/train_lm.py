#!/usr/bin/python3
"""Trains the character-level GPT of lm.py on the training fortunes with
Debian's python3-torch and writes its weights (float16, numpy .npz) and a
log. The checked-in weights/lm.npz came from

    /usr/bin/python3 examples/lm/train_lm.py examples/lm/weights/lm.npz --steps 1000

(AdamW, learning rate 2e-3 with warm-up and cosine decay, batches of 16
windows of 64 characters, seed 0; one CPU thread: Debian's torch has a
generic BLAS, about 6 GFLOP/s here, so this took about 35 minutes)."""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--steps", type=int, default=1000)
p.add_argument("--threads", type=int, default=1)
args = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(args.threads)
train, held = lm.load_fortunes()
tokens = torch.from_numpy(lm.encode(train))
model = lm.build(torch)
opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05, betas=(0.9, 0.95))
T, B = lm.CONFIG["context"], 16
rng = np.random.default_rng(0)
val = torch.from_numpy(lm.held_out_windows(held, 64))
start = time.time()
for step in range(args.steps):
    lr = 2e-3 * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
    for g in opt.param_groups:
        g["lr"] = lr
    starts = rng.integers(0, len(tokens) - T - 1, B)
    batch = torch.stack([tokens[s:s + T + 1] for s in starts])
    logits = model(batch[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, lm.VOCAB), batch[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 100 == 0 or step == args.steps - 1:
        with torch.no_grad():
            v = model(val[:, :-1])
            vl = torch.nn.functional.cross_entropy(v.reshape(-1, lm.VOCAB), val[:, 1:].reshape(-1))
        print("step %d loss %.3f held-out perplexity %.3f (%.0f s)"
              % (step, loss.item(), math.exp(vl.item()), time.time() - start), flush=True)
state = {k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()
         if not k.endswith("mask")}
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
np.savez_compressed(args.out, **state)
n = sum(v.size for v in state.values())
print("wrote %s: %d parameters" % (args.out, n))
