"""The small decoder-only transformer language model of examples/lm: a
character-level GPT (pre-LayerNorm blocks of causal self-attention and a GELU
MLP) over printable ASCII, trained on the fortune cookies of Debian's
`fortunes` package (/usr/share/games/fortunes). Shared by train_lm.py,
export_onnx.py and lm_demo.py.

Tokens: 0 is newline, 1..95 are the characters ' '..'~', 96 stands for
anything else."""
import glob
import math
import os

import numpy as np

FORTUNES = "/usr/share/games/fortunes"
VOCAB = 97
CONFIG = {"vocab": VOCAB, "d": 192, "heads": 6, "layers": 4, "ff": 768, "context": 64}


def encode(text):
    codes = np.frombuffer(text.encode("ascii", "replace"), np.uint8).astype(np.int64)
    tokens = np.where(codes == 10, 0, np.where((codes >= 32) & (codes <= 126), codes - 31, 96))
    return tokens


def decode(tokens):
    return "".join("\n" if t == 0 else chr(t + 31) if t < 96 else "?" for t in tokens)


def load_fortunes():
    """Every fortune of the package (files in name order, split at lines of
    '%'), then a fixed shuffle: 90 % for training, 10 % held out."""
    files = sorted(f for f in glob.glob(os.path.join(FORTUNES, "*"))
                   if not f.endswith((".dat", ".u8")) and os.path.isfile(f))
    if not files:
        raise SystemExit("examples/lm: no fortunes in %s (apt-get install fortunes)" % FORTUNES)
    items = []
    for f in files:
        text = open(f, "rb").read().decode("utf-8", "replace")
        items += [t.strip("\n") + "\n" for t in text.split("\n%\n") if t.strip()]
    order = np.random.default_rng(2026).permutation(len(items))
    items = [items[i] for i in order]
    cut = len(items) * 9 // 10
    return "\n".join(items[:cut]), "\n".join(items[cut:])


def build(torch, config=CONFIG):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            d, self.h = config["d"], config["heads"]
            self.ln1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d)
            self.fc1 = nn.Linear(d, config["ff"])
            self.fc2 = nn.Linear(config["ff"], d)
            t = config["context"]
            mask = torch.triu(torch.full((t, t), -1e9), diagonal=1)
            self.register_buffer("mask", mask)

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            shape = (b, t, self.h, d // self.h)
            q, k, v = (z.reshape(shape).transpose(1, 2) for z in (q, k, v))
            att = q @ k.transpose(2, 3) * (1.0 / math.sqrt(d // self.h)) + self.mask[:t, :t]
            y = torch.softmax(att, dim=-1) @ v
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
            return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            d = config["d"]
            self.tok = nn.Embedding(config["vocab"], d)
            self.pos = nn.Parameter(torch.zeros(config["context"], d))
            self.blocks = nn.ModuleList(Block() for _ in range(config["layers"]))
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, config["vocab"])

        def forward(self, idx):
            x = self.tok(idx) + self.pos[: idx.shape[1]]
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln(x))

    return GPT()


def load_weights(torch, model, path):
    data = np.load(path)
    state = {k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files}
    for name, buf in model.named_buffers():
        state[name] = buf
    model.load_state_dict(state)
    return model


def held_out_windows(text, count, context=CONFIG["context"]):
    """`count` windows of context + 1 tokens, evenly spread over `text`."""
    tokens = encode(text)
    starts = np.linspace(0, len(tokens) - context - 2, count).astype(np.int64)
    return np.stack([tokens[s:s + context + 1] for s in starts])


def perplexity(logits, targets):
    """exp(mean cross-entropy) of float logits [N, T, V] for targets [N, T]."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1).mean()
    return float(np.exp(nll))
