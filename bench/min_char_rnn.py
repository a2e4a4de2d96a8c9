#!/usr/bin/env python3
"""
Training throughput of Andrej Karpathy's min-char-rnn (numpy, Float64), the peer `charlab bench`
compares its backends with. lossFun and the update loop are the original's, line for line
(softmax exp(y)/sum(exp(y)), clipping to [-5, 5], Adagrad); the periodic sampling and printing
are left out, as they are in the TypeScript measurements. Prints one JSON object on stdout:

  {"chars_per_sec": ..., "chars": ..., "seconds": ..., "hidden": ..., "unroll": ...,
   "numpy": "2.x", "blas": {...}}

usage: min_char_rnn.py --corpus PATH [--hidden 100] [--unroll 16] [--lr 0.1]
                       [--chars N] [--seconds S] [--warmup-seconds S] [--windows K]
After a warm-up, the timed part stops after --chars characters or --seconds seconds, whichever
comes first; it is cut into K equal windows and chars_per_sec is the median window's rate
(chars_per_sec_mean is the whole timed part's, cpu_chars_per_sec the same over process CPU time).
"""
import argparse
import ctypes
import json
import os
import sys
import time

import numpy as np


def blas_info():
    """Which BLAS numpy uses: build configuration, plus the runtime view when it can be had."""
    info = {}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["name"] = blas.get("name")
        info["version"] = blas.get("version")
        if blas.get("openblas configuration"):
            info["openblas_configuration"] = blas.get("openblas configuration")
    except Exception as err:  # older numpy: no mode="dicts"
        info["config_error"] = str(err)
    try:
        from threadpoolctl import threadpool_info

        info["threadpoolctl"] = [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")}
            for lib in threadpool_info()
        ]
        return info
    except Exception:
        pass
    # No threadpoolctl: ask a loaded OpenBLAS directly (its symbols carry a build-specific prefix/suffix).
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and line.split()[-1].startswith("/")})
        for path in paths:
            lib = ctypes.CDLL(path)

            def call(names, restype):
                for name in names:
                    fn = getattr(lib, name, None)
                    if fn is not None:
                        fn.restype = restype
                        return fn()
                return None

            stems = ["openblas_", "scipy_openblas_"]
            suffixes = ["", "64_", "_64_"]
            corename = call([s + "get_corename" + x for s in stems for x in suffixes], ctypes.c_char_p)
            config = call([s + "get_config" + x for s in stems for x in suffixes], ctypes.c_char_p)
            threads = call([s + "get_num_threads" + x for s in stems for x in suffixes], ctypes.c_int)
            if corename is not None or config is not None:
                info["runtime"] = {
                    "library": os.path.basename(path),
                    "corename": corename.decode() if corename else None,
                    "config": config.decode() if config else None,
                    "num_threads": threads,
                }
                break
    except Exception as err:
        info["runtime_error"] = str(err)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--unroll", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-1)
    ap.add_argument("--chars", type=int, default=10**12, help="character budget of the timed part")
    ap.add_argument("--seconds", type=float, default=float("inf"), help="time budget of the timed part")
    ap.add_argument("--warmup-seconds", type=float, default=0.5)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        data = f.read()
    chars = sorted(set(data))
    vocab_size = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}

    hidden_size = args.hidden
    seq_length = args.unroll
    learning_rate = args.lr
    np.random.seed(args.seed)

    # model parameters (min-char-rnn)
    Wxh = np.random.randn(hidden_size, vocab_size) * 0.01  # input to hidden
    Whh = np.random.randn(hidden_size, hidden_size) * 0.01  # hidden to hidden
    Why = np.random.randn(vocab_size, hidden_size) * 0.01  # hidden to output
    bh = np.zeros((hidden_size, 1))  # hidden bias
    by = np.zeros((vocab_size, 1))  # output bias

    def lossFun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        # forward pass
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
            ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
            loss += -np.log(ps[t][targets[t], 0])  # softmax (cross-entropy loss)
        # backward pass: compute gradients going backwards
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1  # backprop into y
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext  # backprop into h
            dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh nonlinearity
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -5, 5, out=dparam)  # clip to mitigate exploding gradients
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    mbh, mby = np.zeros_like(bh), np.zeros_like(by)  # memory variables for Adagrad
    state = {"n": 0, "p": 0, "hprev": None, "smooth_loss": -np.log(1.0 / vocab_size) * seq_length}

    def train(max_chars, max_seconds):
        done = 0
        t0 = time.perf_counter()
        while done < max_chars and time.perf_counter() - t0 < max_seconds:
            n, p = state["n"], state["p"]
            if p + seq_length + 1 >= len(data) or n == 0:
                state["hprev"] = np.zeros((hidden_size, 1))  # reset RNN memory
                p = 0  # go from start of data
            inputs = [char_to_ix[ch] for ch in data[p : p + seq_length]]
            targets = [char_to_ix[ch] for ch in data[p + 1 : p + seq_length + 1]]
            loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, state["hprev"])
            state["hprev"] = hprev
            state["smooth_loss"] = state["smooth_loss"] * 0.999 + loss * 0.001
            # perform parameter update with Adagrad
            for param, dparam, mem in zip([Wxh, Whh, Why, bh, by], [dWxh, dWhh, dWhy, dbh, dby], [mWxh, mWhh, mWhy, mbh, mby]):
                mem += dparam * dparam
                param += -learning_rate * dparam / np.sqrt(mem + 1e-8)  # adagrad update
            state["p"] = p + seq_length  # move data pointer
            state["n"] = n + 1  # iteration counter
            done += seq_length
        return done, time.perf_counter() - t0

    train(seq_length, float("inf"))  # at least one iteration
    train(float("inf"), args.warmup_seconds)
    windows = max(1, args.windows)
    rates = []
    done = 0
    seconds = 0.0
    cpu0 = time.process_time()
    for _ in range(windows):
        d, s = train(args.chars / windows, args.seconds / windows)
        rates.append(d / s)
        done += d
        seconds += s
    cpu = time.process_time() - cpu0
    rates.sort()
    out = {
        "chars_per_sec": rates[len(rates) // 2],
        "chars_per_sec_mean": done / seconds,
        "cpu_chars_per_sec": done / cpu if cpu > 0 else None,
        "window_chars_per_sec": rates,
        "chars": done,
        "seconds": seconds,
        "hidden": hidden_size,
        "unroll": seq_length,
        "vocab": vocab_size,
        "smooth_loss": float(state["smooth_loss"]),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": blas_info(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
