"""The two PyTorch models of the Fashion-MNIST example (used by train.py to
train them and by export_mlir.py as the reference the MLIR must reproduce).

Parameter names are the keys of weights/{mlp,cnn}.npz (torch layouts:
Linear weight [out, in], Conv2d weight [OC, IC, KH, KW]).
"""
import numpy as np
import torch
from torch import nn


class MLP(nn.Module):
    """784 -> 128 -> 64 -> 10, ReLU between the layers. Input [N, 784]."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class CNN(nn.Module):
    """conv3x3(1->8, pad 1) + ReLU + maxpool 2, conv3x3(8->16, pad 1) + ReLU +
    maxpool 2, flatten (NCHW order: c*49 + h*7 + w), fc 784 -> 10.
    Input [N, 1, 28, 28] (NCHW, as torch wants it)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def build(model):
    return {"mlp": MLP, "cnn": CNN}[model]()


def to_torch_input(x, model):
    """model_input() arrays (flat or NHWC float32) -> the torch model's input."""
    t = torch.from_numpy(np.ascontiguousarray(x))
    return t if model == "mlp" else t.permute(0, 3, 1, 2).contiguous()


def state_dict_from_npz(weights):
    return {k: torch.from_numpy(v) for k, v in weights.items()}
