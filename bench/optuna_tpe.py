#!/usr/bin/env python3
"""Optuna's TPE on a charlab TPE experiment's space and budget: the benchmark peer of
charlab's own TPE ("search": {"method": "tpe"}). Optuna is a peer here, never a dependency
of charlab; run it with a Python that has it (Debian's python3-optuna: /usr/bin/python3).

Each trial is one configuration drawn by optuna.samplers.TPESampler (seed --seed, n_startup_trials
= search.startup, n_ei_candidates = search.candidates, Optuna's other defaults) from search.space;
its objective is the mean over the experiment's seeds of the held-out bpc that
`charlab train ... --json` reports for it, trained with the experiment's budget, corpus,
validation, backend and Markov order, and the grid's value for every knob outside the space
(the same runs a charlab sweep makes). A diverged run scores +inf (charlab's TPE counts such a
configuration among the bad ones too). Trials run one after another (each sees every result
before it, as charlab's TPE with "round": 1); a trial's seeds train in parallel (--workers).

    npm run build
    /usr/bin/python3 bench/optuna_tpe.py experiments/holmes-tpe.json --seed 1 --out results/holmes-tpe-compare/optuna-s1.csv

Writes one CSV row per trial (params, value, best so far, training characters so far) and prints
a JSON summary on stdout. An existing CSV with every trial is read back instead (resume by
running again: unfinished files are started over).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import optuna

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO, "dist", "cli", "main.js")

# charlab's knobs (src/results/knobs.ts) and their `charlab train` flags.
FLAGS = {
    "hiddenSize": "--hidden", "unroll": "--unroll", "clip": "--clip", "learningRate": "--lr",
    "cell": "--cell", "layers": "--layers", "optimizer": "--optimizer", "batch": "--batch",
    "clipNorm": "--clip-norm", "dropout": "--dropout", "lrDecay": "--lr-decay",
    "lrDecayAfter": "--lr-decay-after", "init": "--init",
}
INT_KNOBS = {"hiddenSize", "unroll", "layers", "batch", "lrDecayAfter"}
SHORT = {"hiddenSize": "h", "unroll": "u", "clip": "c", "learningRate": "lr"}


def suggest(trial, key, dist):
    """One knob from its charlab distribution, as the matching Optuna distribution."""
    (kind, value), = dist.items()
    if kind == "choice":
        return trial.suggest_categorical(key, value)
    a, b = value
    if kind == "intRange":
        return trial.suggest_int(key, a, b)
    if kind == "logIntRange":
        return trial.suggest_int(key, a, b, log=True)
    x = trial.suggest_float(key, a, b, log=(kind == "logUniform"))
    return round(x) if key in INT_KNOBS else x


def corpus_arg(exp, exp_dir):
    path = os.path.join(exp_dir, exp["corpus"])
    return path if os.path.exists(path) else exp["corpus"]


def train(exp, exp_dir, knobs, seed):
    """charlab train's held-out bpc for one configuration and seed (inf when it diverged)."""
    args = ["node", CLI, "train", "--corpus", corpus_arg(exp, exp_dir), "--chars", str(exp["budget"]["chars"]),
            "--seed", str(seed), "--validation", str(exp.get("validation", 0.05)),
            "--markov-order", str(exp.get("markov", {}).get("order", 4)), "--backend", exp.get("backend", "wasm"), "--json"]
    for key, value in knobs.items():
        args += [FLAGS[key], repr(value) if isinstance(value, float) else str(value)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 3):
        raise RuntimeError(f"charlab train failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    out = json.loads(done.stdout)
    rnn = out.get("rnn", out)
    value = rnn.get("valBpc")
    return math.inf if value is None or rnn.get("status", "done") != "done" else float(value)


def config_id(knobs):
    """Like a charlab configuration id (knobs in charlab's order, reals to 3 significant digits)."""
    parts = [(k, knobs[k]) for k in FLAGS if k in knobs]
    return "-".join(f"{SHORT.get(k, k)}{v:.3g}" if isinstance(v, float) else f"{SHORT.get(k, k)}{v}" for k, v in parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("experiment")
    ap.add_argument("--seed", type=int, required=True, help="seed of Optuna's TPESampler")
    ap.add_argument("--out", required=True, help="CSV of the trials")
    ap.add_argument("--workers", type=int, default=2, help="seeds of a trial trained at once (default 2)")
    a = ap.parse_args()
    exp_dir = os.path.dirname(os.path.abspath(a.experiment))
    with open(a.experiment, encoding="utf-8") as f:
        exp = json.load(f)
    search = exp["search"]
    if search.get("method") != "tpe":
        sys.exit(f"{a.experiment}: expected a TPE experiment (\"search\": {{\"method\": \"tpe\", ...}})")
    samples, space = search["samples"], search["space"]
    fixed = {k: v[0] for k, v in exp.get("grid", {}).items()}
    seeds = exp["seeds"]
    chars = exp["budget"]["chars"] * len(seeds)

    rows = read_done(a.out, samples)
    if rows is None:
        rows = run_study(exp, exp_dir, search, space, fixed, seeds, chars, a)
    best = min(rows, key=lambda r: (float(r["value"]), int(r["trial"])))
    print(json.dumps({
        "sampler": "optuna-tpe", "optuna": optuna.__version__, "seed": a.seed, "trials": len(rows),
        "trainChars": int(rows[-1]["chars"]), "best": {"config": best["config"], "value": float(best["value"])},
    }))


def read_done(path, samples):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows if len(rows) == samples else None


def run_study(exp, exp_dir, search, space, fixed, seeds, chars, a):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=a.seed, n_startup_trials=search.get("startup", 10),
                                         n_ei_candidates=search.get("candidates", 24))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    rows = []
    pool = ThreadPoolExecutor(max_workers=a.workers)

    def objective(trial):
        knobs = dict(fixed)
        knobs.update({k: suggest(trial, k, d) for k, d in space.items()})
        values = list(pool.map(lambda s: train(exp, exp_dir, knobs, s), seeds))
        value = sum(values) / len(values)
        best = min([value] + [float(r["value"]) for r in rows])
        rows.append({"trial": trial.number, "config": config_id(knobs), **{k: knobs[k] for k in space},
                     "value": value, "best": best, "chars": chars * (trial.number + 1)})
        print(f"trial {trial.number}: {config_id(knobs)} {value:.4f} (best {best:.4f})", file=sys.stderr)
        return value

    study.optimize(objective, n_trials=search["samples"])
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return rows


if __name__ == "__main__":
    main()
