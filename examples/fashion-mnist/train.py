"""Trains the two Fashion-MNIST models of this example on the CPU with one
thread, deterministically, and saves their weights to weights/{mlp,cnn}.npz.

    /usr/bin/python3 train.py [--model mlp|cnn|all]

(Debian's python3, which has numpy and torch.) Inputs are x/255 in float32;
Adam with a cosine learning-rate decay, cross entropy, a fixed seed, a fixed
shuffling generator and deterministic kernels, so two runs give the same
weights. Whole run: about 2 minutes on one thread (Debian's torch uses a
generic BLAS, so the MLP's matmuls are the slow part; the CNN's convolutions
go through oneDNN). Test accuracy: MLP 0.8789, CNN 0.9056.
"""
import argparse
import os
import time

import numpy as np
import torch
from torch import nn

import fmnist
import models

SEED = 20261122
# Per model: epochs, batch size, learning rate (Adam). Chosen so that both
# models together train in well under 4 minutes on one thread.
HYPER = {
    "mlp": dict(epochs=10, batch=128, lr=1e-3),
    "cnn": dict(epochs=12, batch=64, lr=2e-3),
}


def evaluate(net, x, y, model, batch=1000):
    """Top-1 accuracy of net on (x, y)."""
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = net(models.to_torch_input(x[i:i + batch], model))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)


def train(model, train_set, test_set):
    hp = HYPER[model]
    torch.manual_seed(SEED)
    net = models.build(model)
    x_train = models.to_torch_input(fmnist.model_input(train_set[0], model), model)
    y_train = torch.from_numpy(train_set[1].astype(np.int64))
    x_test, y_test = fmnist.model_input(test_set[0], model), test_set[1]

    opt = torch.optim.Adam(net.parameters(), lr=hp["lr"])
    # Cosine decay of the learning rate over the epochs (stepped per epoch).
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=hp["epochs"])
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    start = time.time()
    for epoch in range(hp["epochs"]):
        net.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(perm), hp["batch"]):
            idx = perm[i:i + hp["batch"]]
            opt.zero_grad()
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        acc = evaluate(net, x_test, y_test, model)
        print(f"[{model}] epoch {epoch + 1}/{hp['epochs']}: train loss "
              f"{total / len(perm):.4f}, test accuracy {acc:.4f} "
              f"({time.time() - start:.1f} s)", flush=True)

    os.makedirs(fmnist.WEIGHTS_DIR, exist_ok=True)
    weights = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    np.savez(fmnist.weights_path(model), **weights)
    print(f"[{model}] test accuracy {acc:.4f} (10000 images); weights -> "
          f"{os.path.relpath(fmnist.weights_path(model))}", flush=True)
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=list(fmnist.MODELS) + ["all"], default="all")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.random.seed(SEED)
    train_set, test_set = fmnist.load_split("train"), fmnist.load_split("t10k")
    for model in fmnist.MODELS if args.model == "all" else [args.model]:
        train(model, train_set, test_set)


if __name__ == "__main__":
    main()
