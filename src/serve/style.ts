/**
 * The served pages' style sheet: the report's (src/report/html.ts), then what only the live pages
 * have (header, state badges, progress, filters, charts, vega-tooltip's look: vega-embed and
 * vega-tooltip are told not to inject styles, which the Content-Security-Policy would refuse).
 */
import { STYLE as REPORT_STYLE } from '../report/html.js';

const SERVE_STYLE = `
main { max-width: 1360px; }
header.top { background: #1d1f21; color: #ddd; padding: 8px 28px; font-size: 14px; }
header.top a { color: #fff; text-decoration: none; } header.top a:hover { text-decoration: underline; }
h1.run-id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 22px; word-break: break-all; }
header.top .live { float: right; color: #9ca3af; } header.top .live.on { color: #86efac; }
.banner { background: #fdecea; border: 1px solid #f5c2c0; color: #7f1d1d; padding: 8px 12px; border-radius: 6px; margin: 12px 0; word-break: break-word; }
.banner.warn { background: #fff7e6; border-color: #f5d9a8; color: #7c4a03; }
p.phase { font-size: 14px; } .count b { font-variant-numeric: tabular-nums; }
.badge.running { background: #1d4ed8; } .badge.quiet { background: #b45309; } .badge.stopped { background: #b91c1c; }
.badge.finished { background: var(--done); } .badge.incomplete, .badge.unread { background: var(--missing); }
table.running td, table.running th { font-size: 13px; }
progress { width: 140px; height: 10px; vertical-align: middle; }
.filters fieldset { display: inline-block; border: 1px solid var(--line); border-radius: 6px; margin: 0 8px 8px 0; padding: 2px 10px 4px; font-size: 13px; }
.filters legend { color: var(--muted); font-size: 12px; } .filters label { white-space: nowrap; margin-right: 6px; }
tr.filtered { display: none; }
td.lead { text-align: center; width: 28px; }
.compare-bar { display: flex; gap: 12px; align-items: center; font-size: 13px; color: var(--muted); }
.chart { width: 100%; min-height: 20px; }
#compare-chart { min-height: 60px; }
.vega-embed { width: 100%; display: block; position: relative; }
.vega-embed svg { max-width: 100%; height: auto; }
figure .chart { overflow-x: auto; }
pre.cmd { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; margin: 4px 0 10px; white-space: pre-wrap; word-break: break-all; font-size: 12.5px; }
ul.files { padding-left: 20px; }
.samples.over-time { grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
table.knobs-of-run th { background: none; font-weight: normal; color: var(--muted); }
#vg-tooltip-element { visibility: hidden; padding: 8px; position: fixed; z-index: 1000; font: 11px sans-serif; border-radius: 3px;
  box-shadow: 2px 2px 4px rgba(0,0,0,.1); background: rgba(255,255,255,.95); border: 1px solid #d9d9d9; color: #000; }
#vg-tooltip-element.visible { visibility: visible; }
#vg-tooltip-element h2 { margin: 0 0 5px; font-size: 13px; }
#vg-tooltip-element table { border-spacing: 0; } #vg-tooltip-element td { padding: 2px 4px; border: 0; }
#vg-tooltip-element td.key { color: #808080; text-align: right; } #vg-tooltip-element td.value { max-width: 240px; text-align: left; }
`;

export const PAGE_STYLE = `${REPORT_STYLE}${SERVE_STYLE}`;
