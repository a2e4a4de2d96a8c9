#!/usr/bin/env node
/**
 * TPE against Optuna's TPE and random search, at the same space and budget, over several sampler
 * seeds: for each seed, charlab's TPE sweep of a TPE experiment, a random-search sweep of the same
 * space and number of configurations (the same seed), and Optuna's TPESampler through
 * bench/optuna_tpe.py (the objective: `charlab train … --json`'s held-out bpc, mean over the
 * experiment's seeds). Every search trains the same number of configurations × seeds × budget.
 *
 *   npm run build
 *   node bench/search_compare.mjs experiments/holmes-tpe.json --seeds 1,2,3 [--methods tpe,random,optuna]
 *        [--out results/holmes-tpe-compare] [--workers 2] [--python /usr/bin/python3]
 *
 * Writes <out>/<method>-s<seed>/ (charlab's results folders; run again, each resumes) and
 * <out>/optuna-s<seed>.csv, then <out>/compare.csv and <out>/compare.md: each search's best
 * configuration (mean held-out bpc over its seeds) per sampler seed, the median per method, and
 * the seed noise: the median over the best configurations of the standard deviation between
 * their seeds. Runs the searches one after another (each uses the workers).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';

const REPO = resolve(dirname(new URL(import.meta.url).pathname), '..');
const CLI = join(REPO, 'dist/cli/main.js');

function options(argv) {
  const [experiment, ...rest] = argv;
  const get = (flag, fallback) => (rest.includes(flag) ? rest[rest.indexOf(flag) + 1] : fallback);
  if (!experiment) {
    process.stderr.write(
      'usage: node bench/search_compare.mjs TPE_EXPERIMENT.json --seeds 1,2,3 [--methods tpe,random,optuna] [--out DIR] [--workers N] [--python PATH]\n',
    );
    process.exit(2);
  }
  const exp = JSON.parse(readFileSync(experiment, 'utf8'));
  if (exp.search?.method !== 'tpe')
    throw new Error(`${experiment}: expected a TPE experiment ("search": {"method": "tpe", …})`);
  return {
    experiment: resolve(experiment),
    exp,
    seeds: get('--seeds', '1,2,3').split(',').map(Number),
    methods: get('--methods', 'tpe,random,optuna').split(','),
    out: resolve(get('--out', join('results', `${exp.name}-compare`))),
    workers: get('--workers', '2'),
    python: get('--python', '/usr/bin/python3'),
  };
}

/** The experiment for one method and sampler seed, written into the output folder (a corpus file named by its absolute path). */
function variant(o, method, seed) {
  const s = o.exp.search;
  const search = method === 'random' ? { method: 'random', samples: s.samples, seed, space: s.space } : { ...s, seed };
  const file = resolve(dirname(o.experiment), o.exp.corpus);
  const { $schema: _schema, ...rest } = o.exp;
  const exp = {
    ...rest,
    corpus: existsSync(file) ? file : o.exp.corpus,
    name: `${o.exp.name}-${method}-s${seed}`,
    search,
    workers: Number(o.workers),
  };
  const path = join(o.out, `${method === 'optuna' ? 'tpe' : method}-s${seed}.json`);
  writeFileSync(path, `${JSON.stringify(exp, null, 2)}\n`);
  return path;
}

function run(cmd, args) {
  process.stderr.write(`$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`${cmd} exited ${r.status}`);
  return r.stdout;
}

/** A charlab sweep's best configuration: the lowest mean held-out bpc over seeds, and the sd between its seeds. */
function sweepBest(o, method, seed) {
  const dir = join(o.out, `${method}-s${seed}`);
  run('node', [CLI, 'sweep', variant(o, method, seed), '--out', dir, '--json']);
  const rows = parse(readFileSync(join(dir, 'summary.csv')), { columns: true });
  const byConfig = new Map();
  for (const r of rows) {
    const id = r.run_id.replace(/-s\d+$/, '');
    byConfig.set(id, [...(byConfig.get(id) ?? []), r.status === 'done' ? Number(r.val_bpc) : Infinity]);
  }
  const [config, values] = [...byConfig].sort((a, b) => mean(a[1]) - mean(b[1]))[0];
  return { config, value: mean(values), sd: sd(values), chars: rows.reduce((s, r) => s + Number(r.chars || 0), 0) };
}

function optunaBest(o, seed) {
  const csv = join(o.out, `optuna-s${seed}.csv`);
  const summary = JSON.parse(
    run(o.python, [
      join(REPO, 'bench/optuna_tpe.py'),
      variant(o, 'tpe', seed),
      '--seed',
      String(seed),
      '--out',
      csv,
      '--workers',
      o.workers,
    ])
      .trim()
      .split('\n')
      .pop(),
  );
  return { config: summary.best.config, value: summary.best.value, sd: null, chars: summary.trainChars };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) =>
  xs.length < 2 ? null : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main() {
  const o = options(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const results = [];
  for (const seed of o.seeds) {
    for (const method of o.methods) {
      const best = method === 'optuna' ? optunaBest(o, seed) : sweepBest(o, method, seed);
      results.push({ method, seed, ...best });
      process.stderr.write(`${method} seed ${seed}: ${best.config} ${best.value.toFixed(4)}\n`);
    }
  }
  const csv = [
    'method,seed,best_config,best_val_bpc,seed_sd,train_chars',
    ...results.map((r) => [r.method, r.seed, r.config, r.value, r.sd ?? '', r.chars].join(',')),
  ];
  writeFileSync(join(o.out, 'compare.csv'), `${csv.join('\n')}\n`);
  const noise = median(results.map((r) => r.sd).filter((x) => x !== null));
  const lines = [
    `| method | ${o.seeds.map((s) => `seed ${s}`).join(' | ')} | median best | training chars (each) |`,
    `| --- | ${o.seeds.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...o.methods.map((m) => {
      const rs = results.filter((r) => r.method === m);
      return `| ${m} | ${rs.map((r) => `${r.value.toFixed(3)} (\`${r.config}\`)`).join(' | ')} | **${median(rs.map((r) => r.value)).toFixed(3)}** | ${rs[0].chars.toLocaleString('en-US')} |`;
    }),
    '',
    `Seed noise: the median over the charlab searches' best configurations of the sd between their seeds, ${noise?.toFixed(3) ?? '—'} bpc.`,
  ];
  writeFileSync(join(o.out, 'compare.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
