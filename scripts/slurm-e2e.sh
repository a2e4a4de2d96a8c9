#!/usr/bin/env bash
# End-to-end test on a real Slurm: a one-node cluster on this machine (set up when none answers),
# the sbatch script `charlab slurm` generates for a small experiment (8 runs, 4 array tasks),
# submitted, waited for, merged and reported by its own dependent job; then its merged tables are
# compared with a one-machine sweep of the same experiment (every column but the timing ones).
#
# Needs root and Debian's slurm-wlm and munge (installed with apt-get when absent). Uses a private
# slurm.conf (SLURM_CONF, ports 16817/16818, state under a temp folder) so a system Slurm is never
# touched; stops the daemons it started, by pid, and removes its temp folder at the end.
# Usage: scripts/slurm-e2e.sh   (from anywhere; the repository must be built: npm run build)
#   CHARLAB_E2E_EXPERIMENT=experiments/quick.json CHARLAB_E2E_SHARDS=4 scripts/slurm-e2e.sh
#   runs another experiment instead (its corpus "holmes" from CHARLAB_DATA_DIR, or downloaded once);
#   CHARLAB_E2E_COMPARE=results/holmes compares with those tables instead of running the one-machine sweep.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHARLAB_JS="$REPO/dist/cli/main.js"
CORPUS=${CHARLAB_E2E_CORPUS:-"$REPO/../shared/corpora/holmes.txt"}
TIMEOUT=${CHARLAB_E2E_TIMEOUT:-600}
EXPERIMENT=${CHARLAB_E2E_EXPERIMENT:-}
[ -z "$EXPERIMENT" ] || EXPERIMENT=$(readlink -f "$EXPERIMENT")
SHARDS=${CHARLAB_E2E_SHARDS:-4}
COMPARE=${CHARLAB_E2E_COMPARE:-}
[ -z "$COMPARE" ] || COMPARE=$(readlink -f "$COMPARE")
started=$(date +%s)
say() { echo "slurm-e2e [$(($(date +%s) - started)) s]: $*"; }
fail() { echo "slurm-e2e: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (it starts munged, slurmctld and slurmd)"
[ -f "$CHARLAB_JS" ] || fail "$CHARLAB_JS missing: run npm run build first"
[ -f "$CORPUS" ] || fail "corpus $CORPUS missing (set CHARLAB_E2E_CORPUS to a text file of 60 kB or more)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/charlab-slurm-e2e.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local rc=$?
  [ -n "${SLURM_CONF:-}" ] && [ -n "${ARRAY:-}" ] && scancel "$ARRAY" "$MERGE" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ $rc -ne 0 ] && [ -d "$WORK/slurm" ]; then tail -n 20 "$WORK"/slurm/*.log "$WORK"/run/results/*/slurm/*.out 2>/dev/null >&2 || true; fi
  rm -rf "$WORK"
  [ ${#PIDS[@]} -gt 0 ] && say "stopped the daemons it started (pids ${PIDS[*]})"
  exit $rc
}
trap cleanup EXIT

# ---- munge: reuse a running munged, else start one ----
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munge answers: using it"
else
  [ -f /etc/munge/munge.key ] || mungekey -c
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  pidfile=/run/munge/charlab-e2e-munged.pid
  rm -f "$pidfile"
  runuser -u munge -- munged --pid-file="$pidfile"
  for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  [ -s "$pidfile" ] || fail "munged did not start (no $pidfile)"
  PIDS+=("$(cat "$pidfile")")
  munge -n | unmunge >/dev/null || fail "munged does not answer"
  say "started munged (pid ${PIDS[*]})"
fi

# ---- a private one-node Slurm ----
S="$WORK/slurm"
mkdir -p "$S/state" "$S/spool"
NODE=$(hostname -s)
cat >"$S/slurm.conf" <<EOF
ClusterName=charlab-e2e
SlurmctldHost=$NODE
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$NODE CPUs=2 State=UNKNOWN
PartitionName=e2e Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$S/slurm.conf"
slurmctld -f "$SLURM_CONF" -i
for _ in $(seq 50); do [ -s "$S/slurmctld.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$S/slurmctld.pid")")
slurmd -f "$SLURM_CONF"
for _ in $(seq 50); do [ -s "$S/slurmd.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$S/slurmd.pid")")
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -qx idle && break; sleep 1; done
sinfo -h -o %t | grep -qx idle || fail "the node did not become idle: $(sinfo 2>&1)"
say "slurmctld and slurmd up (pids ${PIDS[*]}); node $NODE idle"

# ---- the experiment, the generated script, the submission ----
R="$WORK/run"
mkdir -p "$R"
if [ -n "$EXPERIMENT" ]; then
  cp "$EXPERIMENT" "$R/exp.json"
else
  head -c 60000 "$CORPUS" >"$R/small.txt"
  cat >"$R/exp.json" <<'EOF'
{ "name": "tiny", "corpus": "small.txt", "budget": { "chars": 3000 }, "seeds": [1, 2],
  "grid": { "hiddenSize": [8, 12], "unroll": [8], "clip": [5], "learningRate": [0.05, 0.1] },
  "curves": { "every": 1000 }, "evaluation": { "every": 1500, "chars": 300 }, "samples": { "length": 30 } }
EOF
fi
NAME=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).name)' "$R/exp.json")
cd "$R"
node "$CHARLAB_JS" slurm exp.json --shards "$SHARDS" --cpus-per-task 1 --time 30:00 --out exp.sbatch
export CHARLAB="node $CHARLAB_JS"
submitted=$(bash exp.sbatch)
echo "$submitted"
ARRAY=$(sed -n 's/^submitted job array \([0-9]*\).*/\1/p' <<<"$submitted")
MERGE=$(sed -n 's/.*merge + report job \([0-9]*\).*/\1/p' <<<"$submitted")
[ -n "$ARRAY" ] && [ -n "$MERGE" ] || fail "could not read the job ids from: $submitted"
deadline=$(($(date +%s) + TIMEOUT))
while [ -n "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the jobs did not finish within $TIMEOUT s: $(squeue)"
  sleep 2
done
say "array $ARRAY and merge job $MERGE finished"
cat "results/$NAME/slurm/charlab-$NAME-merge-$MERGE.out"
for i in $(seq 0 $((SHARDS - 1))); do
  [ -f "results/$NAME/shards/$i-of-$SHARDS/manifest.json" ] || fail "shard $i-of-$SHARDS wrote no manifest (see results/$NAME/slurm/charlab-$NAME-${ARRAY}_$i.out)"
done
[ -f "results/$NAME/report.md" ] || fail "the merge job wrote no report"

# ---- the one-machine sweep, and the comparison ----
if [ -z "$COMPARE" ]; then
  node "$CHARLAB_JS" sweep exp.json --out one-machine --workers 2 >/dev/null 2>&1
  COMPARE=one-machine
  say "one-machine sweep done"
fi
node --input-type=module - "$REPO" "results/$NAME" "$COMPARE" <<'EOF'
const [repo, merged, single] = process.argv.slice(2);
const { readTable, TIMING_COLUMNS } = await import(`${repo}/dist/results/tables.js`);
for (const t of ['summary', 'curves', 'samples']) {
  const strip = (dir) => readTable(dir, t).rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));
  const a = JSON.stringify(strip(merged));
  const b = JSON.stringify(strip(single));
  if (a !== b) { console.error(`slurm-e2e: ${t}.csv: the merged table differs from the one-machine sweep's`); process.exit(1); }
  console.log(`slurm-e2e: ${t}.csv: ${strip(merged).length} rows, identical to the one-machine sweep's apart from timing columns`);
}
const rows = readTable(merged, 'summary').rows;
for (const r of rows) console.log(`  ${r.run_id.padEnd(22)} val_bpc ${r.val_bpc}  markov ${r.markov_val_bpc}  (${r.status})`);
EOF
say "passed"
