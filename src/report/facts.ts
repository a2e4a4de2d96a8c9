/**
 * The sweep facts (pure): first as data gathered from the manifests and tables (factsOf), then as
 * one description of the report's "Sweep facts" section, groups of labelled plain-text values
 * (factGroups), which the Markdown and HTML renderers only lay out and escape.
 */
import { ladderFactGroup } from './ladder.js';
import type {
  CurveText,
  FactGroup,
  FactItem,
  Facts,
  FolderFacts,
  FolderTables,
  Knob,
  KnobValue,
  Manifest,
  ReportData,
  SummaryRow,
} from './types.js';
import { curveLabel } from './curveText.js';
import { KNOB_LABELS, KNOBS } from './types.js';
import { shownKnobs, type KnobValues } from '../results/knobs.js';
import { fmtCompact, fmtDuration, fmtInt } from './format.js';
import { machineOf, num, str, time, validationOf } from './manifests.js';

function folderFacts(f: FolderTables, notes: string[]): FolderFacts {
  const m = f.manifest;
  const start = time(m?.startedAt);
  const end = time(m?.finishedAt);
  if (m && (m.finishedAt === null || m.finishedAt === undefined)) {
    notes.push(`${f.dir}: manifest has no finishedAt: that sweep is still running or was interrupted.`);
  }
  return {
    dir: f.dir,
    startedAt: str(m?.startedAt),
    finishedAt: str(m?.finishedAt),
    wallS: start !== null && end !== null ? (end - start) / 1000 : null,
    machine: machineOf(m),
    node: str(m?.node),
    charlab: str(m?.charlab),
  };
}

/** Notes when the folders disagree on the corpus or the experiment's name. */
function consistencyNotes(manifests: Array<Manifest | null>, notes: string[]): void {
  const corpora = new Set(manifests.map((m) => str(m?.corpus?.sha256)).filter((s) => s !== null));
  if (corpora.size > 1)
    notes.push(
      `The folders were run on different corpora (sha256 ${[...corpora].join(', ')}): comparisons across them are suspect.`,
    );
  const names = new Set(manifests.map((m) => str(m?.experiment?.name)).filter((s) => s !== null));
  if (names.size > 1) notes.push(`The folders come from differently named experiments: ${[...names].join(', ')}.`);
}

/** Earliest start to latest finish, and the sum of the folders' wall times (null while any folder runs). */
function spans(
  manifests: Array<Manifest | null>,
  folders: FolderFacts[],
): { spanS: number | null; sumFolderWallS: number | null } {
  const starts = manifests.map((m) => time(m?.startedAt));
  const ends = manifests.map((m) => time(m?.finishedAt));
  const allTimed = manifests.length > 0 && starts.every((t) => t !== null) && ends.every((t) => t !== null);
  return {
    spanS: allTimed ? (Math.max(...ends) - Math.min(...starts)) / 1000 : null,
    sumFolderWallS: folders.every((f) => f.wallS !== null)
      ? folders.reduce((a, f) => a + (f.wallS as number), 0)
      : null,
  };
}

export function factsOf(
  folders: FolderTables[],
  summary: SummaryRow[],
  { grid, seeds, search }: { grid: Record<Knob, KnobValue[]>; seeds: string[]; search: string | null },
  expectedCount: number,
  notes: string[],
): Facts {
  const manifests = folders.map((f) => f.manifest);
  const first = manifests.find((m): m is Manifest => m !== null && m !== undefined) ?? null;
  const exp = first?.experiment;
  const perFolder = folders.map((f) => folderFacts(f, notes));
  consistencyNotes(manifests, notes);
  return {
    experimentName: str(exp?.name),
    backend: backendOf(first, exp),
    workers: num(exp?.workers),
    budgetChars: num(exp?.budget?.chars),
    seeds,
    grid,
    search,
    markovOrder: num(exp?.markov?.order),
    validation: validationOf(exp?.validation),
    corpus: first?.corpus && typeof first.corpus === 'object' ? first.corpus : null,
    folders: perFolder,
    ...spans(manifests, perFolder),
    sumRunWallS: summary.reduce((a, r) => a + (r.wallS ?? 0), 0),
    totalChars: summary.reduce((a, r) => a + (r.chars ?? 0), 0),
    expectedRuns: expectedCount,
    seenRuns: summary.length,
  };
}

/** The backend the runs used: as resolved (with its code path) where the manifest records it, else as the experiment wrote it. */
function backendOf(m: Manifest | null, exp: Manifest['experiment']): string | null {
  const resolved = str(m?.backend);
  if (resolved === null) return str(exp?.backend);
  const isa = str(m?.isa);
  const threads = num(m?.threads);
  return `${resolved}${isa ? ` (${isa}${resolved === 'native' && threads ? `, ${threads} thread(s) per run` : ''})` : ''}`;
}

/** One configuration per value of each knob (enough to tell which knobs leave their default). */
function gridConfigsOf(grid: Record<Knob, KnobValue[]>): KnobValues[] {
  const width = Math.max(...KNOBS.map((k) => grid[k].length));
  return Array.from(
    { length: width },
    (_, i) => Object.fromEntries(KNOBS.map((k) => [k, grid[k][Math.min(i, grid[k].length - 1)]])) as KnobValues,
  );
}

// ---- the description the renderers lay out ----

/** Items whose value is null or empty are left out. */
function items(pairs: Array<[string, string | null]>): FactItem[] {
  return pairs
    .filter((p): p is [string, string] => p[1] !== null && p[1] !== '')
    .map(([label, value]) => ({ label, value }));
}

function experimentGroup(f: Facts, ct: CurveText): FactGroup {
  const es = ct.earlyStopping;
  return {
    title: 'Experiment',
    items: items([
      ['name', f.experimentName],
      ['backend', f.backend],
      ['workers', f.workers === null ? null : String(f.workers)],
      ['budget', f.budgetChars === null ? null : `${fmtInt(f.budgetChars)} training characters per run`],
      ['seeds', f.seeds.join(', ')],
      ['search', f.search],
      ...shownKnobs(KNOBS.map((k) => f.grid[k]).some((l) => l.length === 0) ? [] : gridConfigsOf(f.grid)).map(
        (d): [string, string] => [
          `${f.search === null ? 'grid' : 'values of'} ${KNOB_LABELS[d.key as Knob]}`,
          f.grid[d.key as Knob].join(', '),
        ],
      ),
      ['Markov order', f.markovOrder === null ? null : String(f.markovOrder)],
      ['validation', f.validation],
      ['curve scores', `each reads ${curveLabel(ct)}${ct.legacy ? ' (tables recorded before issue 21)' : ''}`],
      [
        'early stopping',
        es === null
          ? null
          : `after ${es.patience} curve score(s) in a row without an improvement of more than ${es.minDelta} bpc`,
      ],
    ]),
  };
}

function corpusGroup(f: Facts): FactGroup {
  const cp = f.corpus;
  if (cp === null) return { title: 'Corpus', items: [], unknown: 'no manifest: unknown' };
  return {
    title: 'Corpus',
    items: items([
      ['path', typeof cp.path === 'string' ? cp.path : null],
      [
        'slice',
        cp.slice && typeof cp.slice.chars === 'number'
          ? `its first ${fmtInt(cp.slice.chars)} of ${fmtInt(cp.slice.fileChars ?? NaN)} characters`
          : null,
      ],
      [
        'sha256',
        typeof cp.sha256 === 'string' ? `${cp.sha256} (of the text read${cp.slice ? ': the slice' : ''})` : null,
      ],
      ['file sha256', typeof cp.fileSha256 === 'string' && cp.fileSha256 !== cp.sha256 ? cp.fileSha256 : null],
      ['characters', typeof cp.chars === 'number' ? fmtInt(cp.chars) : null],
      ['vocabulary', typeof cp.vocabSize === 'number' ? `${cp.vocabSize} symbols` : null],
      ['training characters', typeof cp.trainChars === 'number' ? fmtInt(cp.trainChars) : null],
      ['validation characters', typeof cp.validationChars === 'number' ? fmtInt(cp.validationChars) : null],
    ]),
  };
}

/** One folder's machine, versions and times, as one line. */
function folderLine(d: FolderFacts): string {
  return [
    d.machine,
    d.node === null ? null : `Node ${d.node}`,
    d.charlab === null ? null : `charlab ${d.charlab}`,
    `started ${d.startedAt ?? '—'}`,
    `finished ${d.finishedAt ?? 'not yet (running or interrupted)'}`,
    `wall ${fmtDuration(d.wallS)}`,
  ]
    .filter((x) => x !== null)
    .join('; ');
}

function timingGroup(f: Facts): FactGroup {
  return {
    title: 'Machine and timing',
    items: items([
      ...f.folders.map((d): [string, string] => [d.dir, folderLine(d)]),
      [
        'sweep wall time (earliest start to latest finish)',
        f.spanS === null ? 'unknown (a folder has not finished)' : fmtDuration(f.spanS),
      ],
      ['sum of the folders\u2019 wall times', f.folders.length > 1 ? fmtDuration(f.sumFolderWallS) : null],
      ['sum of the runs\u2019 wall_s', fmtDuration(f.sumRunWallS)],
      [
        'runs\u2019 time / sweep wall time',
        f.spanS !== null && f.spanS > 0 ? `${(f.sumRunWallS / f.spanS).toFixed(2)}× (effective parallelism)` : null,
      ],
      ['characters trained, all runs', `${fmtInt(f.totalChars)} (${fmtCompact(f.totalChars)})`],
      [
        'aggregate throughput',
        f.sumRunWallS > 0 ? `${fmtCompact(f.totalChars / f.sumRunWallS)} chars/s per run-second` : null,
      ],
    ]),
  };
}

/** The "Sweep facts" section: experiment, corpus, machine and timing. */
export function factGroups(data: ReportData): FactGroup[] {
  return [
    experimentGroup(data.facts, data.curveText),
    corpusGroup(data.facts),
    ladderFactGroup(data),
    timingGroup(data.facts),
  ];
}
