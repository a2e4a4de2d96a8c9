/**
 * The served pages' script (runs in the browser; built by tsconfig.client.json). The server renders
 * every section as escaped HTML; this script only follows the server's events, swaps the sections
 * whose HTML changed, embeds the charts (vega-embed, SVG renderer, expressions interpreted rather
 * than compiled so the Content-Security-Policy needs no eval), keeps the picked runs and the knob
 * filters across updates (the picks in the URL's fragment, so a view can be shared), and asks the
 * server for the overlay of the picked runs' curves.
 */

interface EmbedResult {
  view: { finalize(): void };
}
declare const vegaEmbed: (el: HTMLElement, spec: unknown, opts: object) => Promise<EmbedResult>;

interface ChartJson {
  name: string;
  hash: string;
  spec: unknown;
}
interface PageJson {
  version: number;
  sections: Record<string, string>;
  charts?: ChartJson[];
}
interface Versions {
  index: number;
  folders: Record<string, number>;
}

const body = document.body;
const page = body.dataset.page ?? 'static';
const api = body.dataset.api ?? '';
const folder = body.dataset.folder ?? '';
let version = Number(body.dataset.version ?? 0);
const shown = new Map<string, string>();
const views = new Map<HTMLElement, EmbedResult>();
const unticked = new Map<string, Set<string>>();
let picks = readPicks();

const EMBED = {
  renderer: 'svg',
  actions: false,
  ast: true,
  defaultStyle: false,
  tooltip: { disableDefaultStyle: true },
};

async function embed(el: HTMLElement, spec: unknown, hash: string): Promise<void> {
  if (el.dataset.hash === hash) return;
  views.get(el)?.view.finalize();
  el.dataset.state = 'drawing';
  const result = await vegaEmbed(el, spec, EMBED);
  views.set(el, result);
  el.dataset.hash = hash;
  el.dataset.state = 'ready';
}

function setLive(text: string, on: boolean): void {
  const el = document.getElementById('live');
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('on', on);
}

/** Swap the sections whose HTML changed; then picks, filters and charts are put back. */
async function apply(data: PageJson, first: boolean): Promise<void> {
  const fresh = first && data.version === Number(body.dataset.version); // the page as served is this version
  for (const [name, html] of Object.entries(data.sections)) {
    const el = document.querySelector<HTMLElement>(`[data-section="${CSS.escape(name)}"]`);
    if (!el || shown.get(name) === html) continue;
    if (!fresh) el.innerHTML = html;
    shown.set(name, html);
  }
  restorePicks();
  restoreFilters();
  for (const c of data.charts ?? []) {
    const el = document.querySelector<HTMLElement>(`[data-chart="${CSS.escape(c.name)}"]`);
    if (el) await embed(el, c.spec, c.hash);
  }
  body.dataset.version = String(data.version);
  body.dataset.refreshes = String(Number(body.dataset.refreshes ?? 0) + 1);
}

let busy = false;
let again = false;
async function refresh(first = false): Promise<void> {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  try {
    const res = await fetch(api, { cache: 'no-store' });
    if (!res.ok) {
      setLive(
        res.status === 404 ? 'gone: this folder or run is no longer there' : `server answered ${res.status}`,
        false,
      );
      return;
    }
    await apply((await res.json()) as PageJson, first);
    if (page === 'folder' && picks.size > 0) await drawCompare();
  } finally {
    busy = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

function follow(): void {
  const es = new EventSource('/events');
  es.addEventListener('open', () => setLive('live', true));
  es.addEventListener('error', () => setLive('reconnecting…', false));
  es.addEventListener('change', (ev) => {
    const v = JSON.parse((ev as MessageEvent<string>).data) as Versions;
    const mine = page === 'index' ? v.index : v.folders[folder];
    if (mine === undefined) return setLive('gone: this folder is no longer there', false);
    if (mine !== version) {
      version = mine;
      void refresh();
    }
  });
}

// ---- picked runs and configurations ----

function readPicks(): Set<string> {
  const m = /(?:^#|&)pick=([^&]*)/.exec(location.hash);
  return new Set(m ? m[1].split(',').filter(Boolean).map(decodeURIComponent) : []);
}

function writePicks(): void {
  const value = [...picks].map(encodeURIComponent).join(',');
  history.replaceState(null, '', value ? `#pick=${value}` : location.pathname + location.search);
}

function restorePicks(): void {
  for (const box of document.querySelectorAll<HTMLInputElement>('input.pick'))
    box.checked = picks.has(`${box.dataset.pick}:${box.value}`);
}

async function drawCompare(): Promise<void> {
  const el = document.getElementById('compare-chart');
  const label = document.getElementById('picked');
  if (!el || !label) return;
  const q = new URLSearchParams();
  for (const p of picks) {
    const [kind, ...rest] = p.split(':');
    q.append(kind, rest.join(':'));
  }
  if (picks.size === 0) {
    views.get(el)?.view.finalize();
    views.delete(el);
    el.replaceChildren();
    delete el.dataset.hash;
    el.dataset.state = 'empty';
    label.textContent = 'Tick runs or configurations in the leaderboard to overlay their curves here.';
    return;
  }
  const res = await fetch(`/api/f/${encodeURIComponent(folder)}/compare?${q}`, { cache: 'no-store' });
  const data = (await res.json()) as { spec: unknown; picks: Array<{ label: string }> };
  label.textContent = `${data.picks.length} picked: ${data.picks.map((p) => p.label).join(', ')}`;
  if (data.spec) await embed(el, data.spec, JSON.stringify(data.spec).length + ':' + [...picks].join(','));
}

function onPick(box: HTMLInputElement): void {
  const key = `${box.dataset.pick}:${box.value}`;
  if (box.checked) picks.add(key);
  else picks.delete(key);
  writePicks();
  void drawCompare();
}

// ---- knob filters ----

function restoreFilters(): void {
  for (const box of document.querySelectorAll<HTMLInputElement>('input[data-filter]'))
    box.checked = !unticked.get(box.dataset.filter ?? '')?.has(box.value);
  for (const row of document.querySelectorAll<HTMLTableRowElement>('tr')) {
    let hide = false;
    for (const [slug, values] of unticked) {
      const v = row.getAttribute(`data-k-${slug}`);
      if (v !== null && values.has(v)) hide = true;
    }
    row.classList.toggle('filtered', hide);
  }
}

function onFilter(box: HTMLInputElement): void {
  const slug = box.dataset.filter ?? '';
  const set = unticked.get(slug) ?? new Set<string>();
  if (box.checked) set.delete(box.value);
  else set.add(box.value);
  unticked.set(slug, set);
  restoreFilters();
}

document.addEventListener('change', (ev) => {
  const box = ev.target;
  if (!(box instanceof HTMLInputElement)) return;
  if (box.classList.contains('pick')) onPick(box);
  else if (box.dataset.filter !== undefined) onFilter(box);
});
document.getElementById('clear-picks')?.addEventListener('click', () => {
  picks = new Set();
  writePicks();
  restorePicks();
  void drawCompare();
});

if (page !== 'static') {
  void refresh(true).then(() => (page === 'folder' ? drawCompare() : undefined));
  follow();
}
