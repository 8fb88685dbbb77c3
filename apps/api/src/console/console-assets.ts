import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The console's static files: htmx and Chart.js straight from node_modules, and our own small
// stylesheet and script. Read once at start; nothing is fetched from another host.

const CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#f6f7f9; --accent:#1d4ed8; --bad:#b42318; --ok:#067647; --warn:#b54708; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline:3px solid #f59e0b; outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:4px 8px; }
header { background:#101828; color:#fff; padding:0 24px; display:flex; align-items:center; gap:24px; min-height:52px; flex-wrap:wrap; }
header nav { display:flex; gap:20px; }
header a { color:#e4e7ec; text-decoration:none; padding:14px 0; border-bottom:3px solid transparent; }
header a[aria-current="page"] { color:#fff; border-bottom-color:#f59e0b; }
header .brand { font-weight:700; color:#fff; }
header form { margin-left:auto; }
main { max-width:1200px; margin:0 auto; padding:20px 24px 48px; }
h1 { font-size:1.5rem; margin:8px 0 16px; } h2 { font-size:1.15rem; margin:24px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(200px, 1fr)); gap:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
.card .n { font-size:1.6rem; font-weight:700; } .card .l { color:var(--muted); font-size:.9rem; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(360px, 1fr)); gap:16px; }
.chart { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px; min-height:260px; }
.chart canvas { max-height:260px; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef0f4; font-weight:600; font-size:.9rem; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:0 8px; border-radius:10px; font-size:.85rem; background:#eef0f4; }
.badge.open, .badge.failed { background:#fee4e2; color:var(--bad); }
.badge.acknowledged, .badge.running, .badge.queued, .badge.pending, .badge.partial { background:#fef0c7; color:var(--warn); }
.badge.resolved, .badge.completed, .badge.synced, .badge.done { background:#dcfae6; color:var(--ok); }
.badge.accepted { background:#e0eaff; color:#3538cd; }
form.inline { display:inline; }
button, .button { font:inherit; padding:6px 14px; border-radius:6px; border:1px solid #98a2b3; background:#fff; cursor:pointer; color:var(--fg); text-decoration:none; display:inline-block; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
input, select, textarea { font:inherit; padding:5px 8px; border:1px solid #98a2b3; border-radius:6px; }
textarea { width:100%; min-height:60px; }
.filters { display:flex; gap:12px; flex-wrap:wrap; align-items:end; margin-bottom:12px; }
.filters label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); }
.actions { display:grid; grid-template-columns:repeat(auto-fit, minmax(240px, 1fr)); gap:12px; margin:12px 0; }
.actions form { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px; display:flex; flex-direction:column; gap:8px; }
.notice { padding:10px 14px; border-radius:6px; background:#dcfae6; border:1px solid #a6f4c5; margin-bottom:12px; }
.error { padding:10px 14px; border-radius:6px; background:#fee4e2; border:1px solid #fecdca; margin-bottom:12px; }
progress { width:100%; height:18px; }
dl.fields { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
dl.fields dt { color:var(--muted); } dl.fields dd { margin:0; word-break:break-all; }
.pager { margin:8px 0; display:flex; gap:12px; align-items:center; }
.muted { color:var(--muted); }
.signin { max-width:420px; margin:10vh auto; background:#fff; border:1px solid var(--line); border-radius:8px; padding:24px; }
.signin form { display:flex; flex-direction:column; gap:12px; }
`;

// Builds a Chart.js chart for every <script type="application/json" class="chart-data"> block.
const JS = `
(function () {
  function draw() {
    if (!window.Chart) return;
    document.querySelectorAll('script.chart-data').forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = '1';
      var spec = JSON.parse(el.textContent);
      var canvas = document.getElementById(el.dataset.canvas);
      if (!canvas) return;
      new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: spec.datasets.length > 1 } },
                   scales: { y: { beginAtZero: spec.type === 'bar' } } }
      });
    });
  }
  document.addEventListener('DOMContentLoaded', draw);
  document.addEventListener('htmx:afterSettle', draw);
})();
`;

/** A file beside a package's entry point (Chart.js exports no path to its UMD build). */
function vendor(pkg: string, file: string): string {
  return readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
}

export interface ConsoleAsset {
  type: string;
  body: string;
}

let assets: Map<string, ConsoleAsset> | undefined;

/** By file name under /console/assets/. */
export function consoleAsset(name: string): ConsoleAsset | undefined {
  assets ??= new Map([
    ['htmx.min.js', { type: 'text/javascript; charset=utf-8', body: vendor('htmx.org', 'htmx.min.js') }],
    ['chart.umd.js', { type: 'text/javascript; charset=utf-8', body: vendor('chart.js', 'chart.umd.js') }],
    ['console.css', { type: 'text/css; charset=utf-8', body: CSS }],
    ['console.js', { type: 'text/javascript; charset=utf-8', body: JS }],
  ]);
  return assets.get(name);
}
