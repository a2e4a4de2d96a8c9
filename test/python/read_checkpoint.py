"""Read a charlab checkpoint with python3 + numpy only (the safetensors layout parsed by hand) and
print, as JSON, the next-symbol probabilities after one step from the saved hidden state:

    python3 read_checkpoint.py CKPT SYMBOL_ID   ->   {"cell": ..., "probs": [...]}

Supports the rnn and lstm cells, any number of layers, the last stream of the saved state.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).astype(np.float64)
        tensors[name] = arr.reshape(e["shape"])
    return meta, tensors


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def step(cell, p, layer, x, h, c):
    """One layer's step: x is a one-hot index (layer 0) or a vector."""
    sfx = "" if layer == 0 else "." + str(layer)
    if cell == "rnn":
        wx = p["param.Wxh" + sfx]
        a = (wx[:, x] if isinstance(x, int) else wx @ x) + p["param.bh" + sfx] + p["param.Whh" + sfx] @ h
        return np.tanh(a), None
    if cell == "lstm":
        wx = p["param.Wx" + sfx]
        a = (wx[:, x] if isinstance(x, int) else wx @ x) + p["param.b" + sfx] + p["param.Wh" + sfx] @ h
        H = h.shape[0]
        i, f, g, o = sigmoid(a[:H]), sigmoid(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H]), sigmoid(a[3 * H :])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2
    raise SystemExit("cell %s is not supported by this reader" % cell)


def main():
    path, symbol = sys.argv[1], int(sys.argv[2])
    meta, t = read_safetensors(path)
    config = json.loads(meta["config"])
    cell, layers = config.get("cell", "rnn"), config.get("layers", 1)
    x = symbol
    for layer in range(layers):
        sfx = "" if layer == 0 else "." + str(layer)
        h = t["hidden.h" + sfx][-1]  # the last stream's state
        c = t["hidden.c" + sfx][-1] if cell == "lstm" else None
        x, _ = step(cell, t, layer, x, h, c)
    y = t["param.Why"] @ x + t["param.by"]
    e = np.exp(y - y.max())
    print(json.dumps({"cell": cell, "vocab": json.loads(meta["vocab"]), "probs": (e / e.sum()).tolist()}))


main()
