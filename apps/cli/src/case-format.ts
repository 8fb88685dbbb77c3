import type { CaseList, CaseView, CaseWithEvents } from '@app/cases';

const ageOf = (iso: string): string => {
  const hours = (Date.now() - Date.parse(iso)) / 3_600_000;
  return hours < 48 ? `${Math.floor(hours)}h` : `${Math.floor(hours / 24)}d`;
};

const who = (c: CaseView): string => c.celar_id ?? c.customer_id ?? '-';

/** One line per case: id, status, kind, customer, field, expected -> actual, runs, age. */
export function formatCases(list: CaseList): string {
  if (list.cases.length === 0) return `no case (${list.total} match)`;
  const lines = list.cases.map((c) =>
    [c.id, c.status.padEnd(12), c.kind.padEnd(24), who(c).padEnd(16), (c.field ?? '').padEnd(14), `${c.expected ?? '∅'} -> ${c.actual ?? '∅'}`, `x${c.occurrence_count}`, ageOf(c.first_seen_at)].join('  '),
  );
  const shown = `${list.offset + 1}-${list.offset + list.cases.length} of ${list.total}`;
  return `${lines.join('\n')}\n(${shown}; npm run cli -- case <id> for one with its timeline)`;
}

/** The case's fields, then its timeline, oldest first. */
export function formatCase(c: CaseWithEvents): string {
  const fields: [string, unknown][] = [
    ['case', c.id], ['kind', c.kind], ['status', c.resolution ? `${c.status} (${c.resolution})` : c.status],
    ['customer', c.customer_id], ['celar_id', c.celar_id], ['field', c.field], ['expected', c.expected], ['actual', c.actual],
    ['delta', c.delta === null ? null : `${c.delta} ${c.currency ?? ''}`.trim()], ['currency', c.delta === null ? c.currency : null],
    ['seen', `${c.occurrence_count} run(s), first ${c.first_seen_at}, last ${c.last_seen_at}`], ['note', c.note],
  ];
  const head = fields.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k.padEnd(9)} ${String(v)}`);
  const events = c.events.map((e) => `  ${e.at}  ${e.action.padEnd(12)} ${e.actor}${e.note ? `  "${e.note}"` : ''}`);
  return `${head.join('\n')}\ntimeline:\n${events.join('\n')}`;
}
