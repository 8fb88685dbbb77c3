import { CASE_KINDS, CASE_STATUSES, CaseList, CaseView, CaseWithEvents } from '@app/cases';
import type { CustomerListResponse, CustomerResponse, OperationHistoryRow } from '@app/customers';
import type { FindingView, RunView } from '@app/reconciliation';
import type { Summary } from '../summary/summary.service';
import { Html, html, jsonScript } from './html';

export interface PageContext {
  csrfToken: string;
  actor: string;
  notice?: string | null;
  error?: string | null;
}

type Section = 'summary' | 'runs' | 'cases' | 'customers';

const NAV: [Section, string, string][] = [
  ['summary', 'Summary', '/console'],
  ['runs', 'Runs', '/console/runs'],
  ['cases', 'Cases', '/console/cases'],
  ['customers', 'Failed customers', '/console/customers'],
];

const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
const badge = (status: string): Html => html`<span class="badge ${status}">${status}</span>`;
const csrf = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;

function page(title: string, section: Section | null, ctx: PageContext | null, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false}'>
<title>${title} · customer-sync console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/htmx.min.js" defer></script>
<script src="/console/assets/chart.umd.js" defer></script>
<script src="/console/assets/console.js" defer></script>
</head>
<body${ctx ? html` hx-headers='${JSON.stringify({ 'X-CSRF-Token': ctx.csrfToken })}'` : ''}>
<a class="skip" href="#main">Skip to content</a>
${ctx
  ? html`<header>
  <span class="brand">customer-sync</span>
  <nav aria-label="Console">${NAV.map(([key, label, href]) => html`<a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}</a> `)}</nav>
  <form method="post" action="/console/session/logout">${csrf(ctx)}<span class="muted" style="color:#d0d5dd">${ctx.actor}</span> <button type="submit">Sign out</button></form>
</header>`
  : ''}
<main id="main">
${ctx?.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}
${ctx?.error ? html`<p class="error" role="alert">${ctx.error}</p>` : ''}
${body}
</main>
</body>
</html>`.text;
}

export function signInPage(error?: string): string {
  return page(
    'Sign in',
    null,
    null,
    html`<div class="signin">
  <h1>Operators' console</h1>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/console/session">
    <label for="key">Admin API key</label>
    <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
    <button class="primary" type="submit">Sign in</button>
  </form>
  <p class="muted">A key of ADMIN_API_KEYS. The session lasts 12 hours, or until you sign out.</p>
</div>`,
  );
}

/** A Chart.js chart (drawn by console.js from the JSON beside it); each chart's figures are also in a table. */
function chart(id: string, title: string, spec: { type: 'bar' | 'line'; labels: string[]; datasets: { label: string; data: number[] }[] }): Html {
  return html`<figure class="chart"><figcaption><strong>${title}</strong></figcaption>
<canvas id="${id}" role="img" aria-label="${title}"></canvas>${jsonScript(id, spec)}</figure>`;
}

export function summaryPage(ctx: PageContext, s: Summary, totalsOverRuns: RunView[]): string {
  const currencies = [...new Set(totalsOverRuns.flatMap((r) => r.totals.map((t) => t.currency)))];
  const age = s.cases.by_age;
  return page(
    'Summary',
    'summary',
    ctx,
    html`<h1>Summary</h1>
<section class="cards" aria-label="Figures">
  <div class="card"><div class="n">${s.customers.total}</div><div class="l">customers (${s.customers.active} active)</div></div>
  <div class="card"><div class="n">${s.customers.synced}</div><div class="l">synced</div></div>
  <div class="card"><div class="n">${s.customers.pending}</div><div class="l">pending sync</div></div>
  <div class="card"><div class="n"><a href="/console/customers">${s.customers.failed}</a></div><div class="l">failed sync</div></div>
  <div class="card"><div class="n">${s.outbox.pending}</div><div class="l">changes waiting for Celar${s.outbox.oldest_pending_age_s !== null ? html` (oldest ${s.outbox.oldest_pending_age_s} s)` : ''}</div></div>
  <div class="card"><div class="n"><a href="/console/cases?status=open">${s.cases.open}</a></div><div class="l">open cases</div></div>
  <div class="card"><div class="n"><a href="/console/cases?status=acknowledged">${s.cases.acknowledged}</a></div><div class="l">acknowledged cases</div></div>
</section>
<h2>Charts</h2>
<div class="charts">
${chart('cases-by-age', 'Open and acknowledged cases by age', {
  type: 'bar',
  labels: ['< 1 day', '1–3 days', '3–7 days', '> 7 days'],
  datasets: [{ label: 'cases', data: [age.lt_1d, age['1d_3d'], age['3d_7d'], age.gt_7d] }],
})}
${chart('balance-totals', 'Balance totals over completed balance runs', {
  type: 'line',
  labels: totalsOverRuns.map((r) => when(r.finished_at)),
  datasets: currencies.map((currency) => ({
    label: currency,
    data: totalsOverRuns.map((r) => Number(r.totals.find((t) => t.currency === currency)?.total ?? 0)),
  })),
})}
</div>
<h2>Open cases by kind</h2>
<table><thead><tr><th scope="col">kind</th><th scope="col">open + acknowledged</th></tr></thead><tbody>
${Object.entries(s.cases.by_kind).map(([kind, n]) => html`<tr><td><a href="/console/cases?kind=${kind}">${kind}</a></td><td class="num">${n}</td></tr>`)}
</tbody></table>
<h2>Last runs</h2>
<table><thead><tr><th scope="col">kind</th><th scope="col">status</th><th scope="col">progress</th><th scope="col">findings</th><th scope="col">finished</th></tr></thead><tbody>
${(['balances', 'records'] as const).map((kind) => {
  const run = s.last_runs[kind];
  return run
    ? html`<tr><td><a href="/console/runs/${run.id}">${kind}</a></td><td>${badge(run.status)}</td><td>${run.progress.done} / ${run.progress.total}</td><td class="num">${run.counts.findings}</td><td>${when(run.finished_at)}</td></tr>`
    : html`<tr><td>${kind}</td><td colspan="4" class="muted">no run yet</td></tr>`;
})}
</tbody></table>
<h2>Totals (last completed balance run)</h2>
${s.totals.length
  ? html`<table><thead><tr><th scope="col">currency</th><th scope="col">total</th></tr></thead><tbody>${s.totals.map((t) => html`<tr><td>${t.currency}</td><td class="num">${t.total}</td></tr>`)}</tbody></table>`
  : html`<p class="muted">No completed balance run yet.</p>`}`,
  );
}

export function runsPage(ctx: PageContext, list: { runs: RunView[]; total: number; limit: number; offset: number }): string {
  return page(
    'Runs',
    'runs',
    ctx,
    html`<h1>Reconciliation runs</h1>
<form method="post" action="/console/runs" class="filters">${csrf(ctx)}
  <label>Start a run now<select name="kind"><option value="balances">balances</option><option value="records">records</option></select></label>
  <button class="primary" type="submit">Start</button>
</form>
<table><thead><tr><th scope="col">run</th><th scope="col">kind</th><th scope="col">trigger</th><th scope="col">status</th><th scope="col">progress</th><th scope="col">checked</th><th scope="col">findings</th><th scope="col">errors</th><th scope="col">started</th></tr></thead><tbody>
${list.runs.map(
  (r) => html`<tr><td><a href="/console/runs/${r.id}">${r.id.slice(0, 8)}</a></td><td>${r.kind}</td><td>${r.trigger}</td><td>${badge(r.status)}</td><td>${r.progress.done} / ${r.progress.total}</td><td class="num">${r.counts.customers_checked}</td><td class="num">${r.counts.findings}</td><td class="num">${r.counts.errors}</td><td>${when(r.started_at)}</td></tr>`,
)}
</tbody></table>
${pager('/console/runs', {}, list)}`,
  );
}

function pager(path: string, params: Record<string, string>, list: { total: number; limit: number; offset: number }): Html {
  const link = (offset: number) => `${path}?${new URLSearchParams({ ...params, offset: String(offset) }).toString()}`;
  const last = Math.min(list.offset + list.limit, list.total);
  return html`<nav class="pager" aria-label="Pages">
${list.offset > 0 ? html`<a href="${link(Math.max(0, list.offset - list.limit))}">← Previous</a>` : ''}
<span class="muted">${list.total === 0 ? 'none' : `${list.offset + 1}–${last} of ${list.total}`}</span>
${last < list.total ? html`<a href="${link(list.offset + list.limit)}">Next →</a>` : ''}
</nav>`;
}

/** The live part of a run's page: polled every second while the run is active. */
export function runProgress(run: RunView): Html {
  const active = run.status === 'queued' || run.status === 'running';
  const label = `${run.progress.done} of ${run.progress.total} customers`;
  return html`<div id="run-progress"${active ? html` hx-get="/console/api/runs/${run.id}/progress" hx-trigger="every 1s" hx-swap="outerHTML"` : ''}>
<p>Status: ${badge(run.status)} ${run.error ? html`<span class="muted">${run.error}</span>` : ''}</p>
<label for="progress-bar">Progress: <span id="progress-text">${label}</span></label>
<progress id="progress-bar" max="${Math.max(run.progress.total, 1)}" value="${run.progress.done}">${label}</progress>
</div>`;
}

export function runPage(ctx: PageContext, run: RunView & { findings: FindingView[]; findings_total: number; limit: number; offset: number }): string {
  return page(
    `Run ${run.id.slice(0, 8)}`,
    'runs',
    ctx,
    html`<h1>${run.kind} run <span class="muted">${run.id}</span></h1>
${runProgress(run)}
<dl class="fields">
  <dt>trigger</dt><dd>${run.trigger}</dd>
  <dt>started</dt><dd>${when(run.started_at)}</dd><dt>finished</dt><dd>${when(run.finished_at)}</dd>
  <dt>customers checked</dt><dd>${run.counts.customers_checked}</dd><dt>balances changed</dt><dd>${run.counts.balances_changed}</dd>
  <dt>errors</dt><dd>${run.counts.errors}</dd>
  <dt>totals</dt><dd>${run.totals.length ? run.totals.map((t) => `${t.total} ${t.currency}`).join(', ') : '—'}</dd>
</dl>
<h2>Findings (${run.findings_total})</h2>
<p><a class="button" href="/console/api/runs/${run.id}/findings.csv" download>Download all findings (CSV)</a></p>
<table><thead><tr><th scope="col">kind</th><th scope="col">customer</th><th scope="col">field</th><th scope="col">expected</th><th scope="col">actual</th><th scope="col">delta</th><th scope="col">message</th></tr></thead><tbody>
${run.findings.map(
  (f) => html`<tr><td>${f.kind}</td><td>${f.customer_id ? html`<a href="/console/customers/${f.customer_id}">${f.celar_id ?? f.customer_id.slice(0, 8)}</a>` : f.celar_id}</td><td>${f.field}</td><td>${f.expected}</td><td>${f.actual}</td><td class="num">${f.delta}</td><td>${f.message}</td></tr>`,
)}
</tbody></table>
${pager(`/console/runs/${run.id}`, {}, { total: run.findings_total, limit: run.limit, offset: run.offset })}`,
  );
}

function caseRow(c: CaseView): Html {
  return html`<tr><td><a href="/console/cases/${c.id}">${c.kind}</a></td><td>${badge(c.status)}</td><td>${c.customer_id ? html`<a href="/console/customers/${c.customer_id}">${c.celar_id ?? c.customer_id.slice(0, 8)}</a>` : c.celar_id}</td><td>${c.field}</td><td>${c.expected}</td><td>${c.actual}</td><td class="num">${c.occurrence_count}</td><td>${when(c.first_seen_at)}</td><td>${when(c.last_seen_at)}</td></tr>`;
}

export function casesPage(ctx: PageContext, list: CaseList, query: Record<string, string>): string {
  const statuses = (query.status ?? '').split(',');
  const params = Object.fromEntries(Object.entries(query).filter(([k, v]) => k !== 'offset' && v !== ''));
  return page(
    'Cases',
    'cases',
    ctx,
    html`<h1>Cases</h1>
<form method="get" action="/console/cases" class="filters" aria-label="Filters">
  <label>Status<select name="status">
    <option value="open,acknowledged"${query.status === 'open,acknowledged' ? html` selected` : ''}>open + acknowledged</option>
    ${CASE_STATUSES.map((s) => html`<option value="${s}"${statuses.length === 1 && statuses[0] === s ? html` selected` : ''}>${s}</option>`)}
    <option value="open,acknowledged,resolved,accepted"${statuses.length === 4 ? html` selected` : ''}>any</option>
  </select></label>
  <label>Kind<select name="kind"><option value="">any</option>${CASE_KINDS.map((k) => html`<option value="${k}"${query.kind === k ? html` selected` : ''}>${k}</option>`)}</select></label>
  <label>Customer id<input name="customer_id" value="${query.customer_id ?? ''}" size="20"></label>
  <label>First seen at least … hours ago<input name="min_age_hours" value="${query.min_age_hours ?? ''}" size="6" inputmode="decimal"></label>
  <button type="submit">Filter</button>
  <a class="button" href="/console/api/cases.csv?${new URLSearchParams(params).toString()}" download>Download CSV</a>
</form>
<table><thead><tr><th scope="col">kind</th><th scope="col">status</th><th scope="col">customer</th><th scope="col">field</th><th scope="col">expected</th><th scope="col">actual</th><th scope="col">runs</th><th scope="col">first seen</th><th scope="col">last seen</th></tr></thead><tbody>
${list.cases.length ? list.cases.map(caseRow) : html`<tr><td colspan="9" class="muted">No case matches: the inbox is empty.</td></tr>`}
</tbody></table>
${pager('/console/cases', params, list)}`,
  );
}

export function casePage(ctx: PageContext, c: CaseWithEvents): string {
  const live = c.status === 'open' || c.status === 'acknowledged';
  const repushPending = live && c.events.at(-1)?.action === 'repushed';
  const action = (name: string, label: string, noteLabel: string, required = false, primary = false) => html`<form method="post" action="/console/cases/${c.id}/${name}">${csrf(ctx)}
  <label for="note-${name}">${noteLabel}</label>
  <textarea id="note-${name}" name="note"${required ? html` required` : ''}></textarea>
  <button type="submit"${primary ? html` class="primary"` : ''}>${label}</button></form>`;
  return page(
    `Case ${c.kind}`,
    'cases',
    ctx,
    html`<h1>${c.kind} ${badge(c.status)}</h1>
${repushPending
  ? html`<p id="repush-wait" class="notice" role="status" hx-get="/console/api/cases/${c.id}/status?was=${c.status}" hx-trigger="every 1s" hx-swap="none">Repush queued: waiting for Celar to take the mirror's value…</p>`
  : ''}
<dl class="fields">
  <dt>customer</dt><dd>${c.customer_id ? html`<a href="/console/customers/${c.customer_id}">${c.customer_id}</a>` : '—'}</dd>
  <dt>celar_id</dt><dd>${c.celar_id ?? '—'}</dd>
  <dt>field</dt><dd>${c.field ?? '—'}</dd>
  <dt>expected (ours)</dt><dd>${c.expected ?? '—'}</dd>
  <dt>actual (Celar)</dt><dd>${c.actual ?? '—'}</dd>
  ${c.delta !== null ? html`<dt>delta</dt><dd>${c.delta} ${c.currency ?? ''}</dd>` : ''}
  ${c.currency !== null && c.delta === null ? html`<dt>currency</dt><dd>${c.currency}</dd>` : ''}
  <dt>seen by</dt><dd>${c.occurrence_count} run(s), first ${when(c.first_seen_at)}, last ${when(c.last_seen_at)}</dd>
  <dt>resolution</dt><dd>${c.resolution ?? '—'}</dd>
  <dt>note</dt><dd>${c.note ?? '—'}</dd>
</dl>
<h2>Actions</h2>
<div class="actions">
${c.status === 'open' ? action('acknowledge', 'Acknowledge', 'Note (optional)') : ''}
${live ? action('resolve', 'Resolve (fixed)', 'Note (optional)') : ''}
${live ? action('accept', 'Accept as it is', 'Why it is accepted (required)', true) : ''}
${live && c.kind === 'field_drift' && !repushPending ? action('repush', "Repush the mirror's value to Celar", 'Note (optional)', false, true) : ''}
${!live ? action('reopen', 'Reopen', 'Note (optional)') : ''}
</div>
<h2>Timeline</h2>
<table><thead><tr><th scope="col">at</th><th scope="col">action</th><th scope="col">by</th><th scope="col">note</th></tr></thead><tbody>
${c.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.action}</td><td>${e.run_id ? html`<a href="/console/runs/${e.run_id}">${e.actor}</a>` : e.actor}</td><td>${e.note}</td></tr>`)}
</tbody></table>`,
  );
}

export function customersPage(ctx: PageContext, list: CustomerListResponse): string {
  return page(
    'Failed customers',
    'customers',
    ctx,
    html`<h1>Failed customers</h1>
<p class="muted">Customers whose change Celar refused. Re-sync sends their held changes again, in order.</p>
<table><thead><tr><th scope="col">customer</th><th scope="col">email</th><th scope="col">error</th><th scope="col">since</th><th scope="col"><span class="muted">action</span></th></tr></thead><tbody>
${list.customers.length
  ? list.customers.map(
      (c) => html`<tr><td><a href="/console/customers/${c.id}">${c.name}</a></td><td>${c.email}</td><td>${c.sync_error ? `${c.sync_error.code}: ${c.sync_error.message}` : ''}</td><td>${when(c.sync_error?.at)}</td>
<td><form method="post" action="/console/customers/${c.id}/sync">${csrf(ctx)}<button type="submit" aria-label="Re-sync ${c.name}">Re-sync</button></form></td></tr>`,
    )
  : html`<tr><td colspan="5" class="muted">No failed customer.</td></tr>`}
</tbody></table>
${pager('/console/customers', {}, list)}`,
  );
}

export function customerPage(
  ctx: PageContext,
  c: CustomerResponse & { kyc_status?: string | null },
  history: OperationHistoryRow[],
  balances: { currency: string; balance: string; observed_at: string }[],
  cases: CaseView[],
): string {
  const fields: [string, unknown][] = [
    ['id', c.id], ['celar_id', c.celar_id], ['psp_id', c.psp_id], ['type', c.type], ['name', c.name], ['email', c.email],
    ['country', c.country], ['document_type', c.document_type], ['address', c.address], ['wallet_address', c.wallet_address],
    ['is_active', String(c.is_active)], ['verification_document', c.verification_document], ['incorporation_certificate', c.incorporation_certificate],
    ['created_at', when(c.created_at)], ['updated_at', when(c.updated_at)], ['last_synced_at', when(c.last_synced_at)],
  ];
  if ('kyc_status' in c) fields.splice(3, 0, ['kyc_status', c.kyc_status]);
  const currencies = [...new Set(balances.map((b) => b.currency))];
  return page(
    c.name,
    'customers',
    ctx,
    html`<h1>${c.name} ${badge(c.sync_status)}</h1>
${c.sync_error ? html`<p class="error">Celar refused: ${c.sync_error.code}: ${c.sync_error.message}</p>` : ''}
${c.sync_status === 'failed' ? html`<form method="post" action="/console/customers/${c.id}/sync">${csrf(ctx)}<button class="primary" type="submit">Re-sync this customer</button></form>` : ''}
<h2>Fields</h2>
<dl class="fields">${fields.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '—'}</dd>`)}</dl>
<h2>Balance history</h2>
${balances.length
  ? html`<div class="charts">${chart('balance-history', 'Balance over time', {
      type: 'line',
      labels: balances.map((b) => when(b.observed_at)),
      datasets: currencies.map((currency) => ({ label: currency, data: balances.map((b) => (b.currency === currency ? Number(b.balance) : NaN)) })),
    })}</div>
<table><thead><tr><th scope="col">observed</th><th scope="col">balance</th></tr></thead><tbody>${balances.map((b) => html`<tr><td>${when(b.observed_at)}</td><td class="num">${b.balance} ${b.currency}</td></tr>`)}</tbody></table>`
  : html`<p class="muted">No balance fetched yet.</p>`}
<h2>Cases</h2>
${cases.length
  ? html`<table><thead><tr><th scope="col">kind</th><th scope="col">status</th><th scope="col">customer</th><th scope="col">field</th><th scope="col">expected</th><th scope="col">actual</th><th scope="col">runs</th><th scope="col">first seen</th><th scope="col">last seen</th></tr></thead><tbody>${cases.map(caseRow)}</tbody></table>`
  : html`<p class="muted">No case.</p>`}
<h2>Sync history</h2>
<table><thead><tr><th scope="col">seq</th><th scope="col">operation</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">created</th><th scope="col">done</th><th scope="col">last error</th></tr></thead><tbody>
${history.map((o) => html`<tr><td class="num">${o.seq}</td><td>${o.kind}</td><td>${badge(o.status)}</td><td class="num">${o.attempts}</td><td>${when(o.createdAt.toISOString())}</td><td>${when(o.completedAt?.toISOString())}</td><td>${o.errorCode ? `${o.errorCode}: ${o.errorMessage ?? ''}` : ''}</td></tr>`)}
</tbody></table>`,
  );
}
