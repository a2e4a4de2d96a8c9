#!/usr/bin/env python3
"""
Training throughput of a PyTorch CPU char-LSTM (or char-GRU, --cell gru): the peer charlab's native
and wasm cells are measured against (`charlab bench`, section "cells").

The model and loop: one-hot input (V symbols) -> nn.LSTM(V, H) (1 layer; PyTorch's gates i, f, g, o;
W_ih [4H x V], W_hh [4H x H], b_ih, b_hh), or nn.GRU(V, H) -> nn.Linear(H, V) -> softmax
cross-entropy (mean over the T*B predictions), torch.optim.Adam(lr 2e-3), clip_grad_norm_(5).
The training text is cut into B contiguous streams (char-rnn's loader); each iteration takes the next
T characters of every stream, and the hidden state (h, c) is carried between iterations, detached.

Prints one JSON object on stdout:
  {"chars_per_s": ..., "threads": ..., "chars": ..., "seconds": ..., "hidden": ..., "batch": ...,
   "unroll": ..., "vocab": ..., "loss_first": ..., "loss_last": ..., "torch": "2.x", ...}
chars_per_s counts predicted characters (T*B per iteration) per second; after a warm-up the timed
part stops after --chars characters or --seconds seconds, whichever comes first; it is cut into
--windows equal windows and chars_per_s is the median window's rate.

Exits with status 3 and a one-line message on stderr when torch cannot be imported.

usage: lstm_torch.py --corpus PATH [--cell lstm|gru] [--threads 1] [--hidden 256] [--batch 32] [--unroll 64]
                     [--chars N] [--seconds S] [--warmup-iters 3] [--windows 3] [--seed 1]
"""
import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as err:  # torch missing or broken: the caller skips the peer
    sys.stderr.write(f"lstm_torch.py: skipped: torch does not import ({err})\n")
    sys.exit(3)


class CharRnn(nn.Module):
    def __init__(self, vocab, hidden, cell):
        super().__init__()
        self.vocab = vocab
        self.lstm = (nn.LSTM if cell == "lstm" else nn.GRU)(vocab, hidden, num_layers=1, batch_first=False)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        # x [T, B] symbol ids -> one-hot [T, B, V] -> hs [T, B, H] -> logits [T, B, V]
        hs, state = self.lstm(F.one_hot(x, self.vocab).float(), state)
        return self.out(hs), state


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--unroll", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip-norm", type=float, default=5.0)
    ap.add_argument("--chars", type=float, default=float("inf"), help="character budget of the timed part")
    ap.add_argument("--seconds", type=float, default=20.0, help="time budget of the timed part")
    ap.add_argument("--warmup-iters", type=int, default=3)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.corpus, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    V, H, B, T = len(chars), args.hidden, args.batch, args.unroll
    ix = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([ix[ch] for ch in text], dtype=torch.long)
    per = (len(data) - 1) // B  # B contiguous streams of `per` characters (plus the next as target)
    streams = torch.stack([data[b * per : b * per + per + 1] for b in range(B)], dim=1)  # [per+1, B]

    model = CharRnn(V, H, args.cell)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    state = {"p": 0, "hc": None, "losses": []}

    def step():
        p = state["p"]
        if p + T + 1 > streams.shape[0]:
            p, state["hc"] = 0, None
        x, y = streams[p : p + T], streams[p + 1 : p + T + 1]
        logits, hc = model(x, state["hc"])
        loss = F.cross_entropy(logits.reshape(T * B, V), y.reshape(T * B))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
        opt.step()
        state["hc"] = tuple(h.detach() for h in hc) if args.cell == "lstm" else hc.detach()
        state["p"] = p + T
        state["losses"].append(loss.item())

    def train(max_chars, max_seconds):
        done = 0
        t0 = time.perf_counter()
        while done < max_chars and time.perf_counter() - t0 < max_seconds:
            step()
            done += T * B
        return done, time.perf_counter() - t0

    for _ in range(max(1, args.warmup_iters)):
        step()
    rates, done, seconds = [], 0, 0.0
    cpu0 = time.process_time()
    for _ in range(max(1, args.windows)):
        d, s = train(args.chars / args.windows, args.seconds / args.windows)
        rates.append(d / s)
        done += d
        seconds += s
    cpu = time.process_time() - cpu0
    rates.sort()
    out = {
        "chars_per_s": rates[len(rates) // 2],
        "chars_per_s_mean": done / seconds,
        "window_chars_per_s": rates,
        "cpu_seconds": cpu,
        "threads": torch.get_num_threads(),
        "chars": done,
        "seconds": seconds,
        "iterations": len(state["losses"]),
        "cell": args.cell,
        "hidden": H,
        "batch": B,
        "unroll": T,
        "vocab": V,
        "params": sum(p.numel() for p in model.parameters()),
        "loss_first": state["losses"][0],
        "loss_last": state["losses"][-1],
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "python": sys.version.split()[0],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
