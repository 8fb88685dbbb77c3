import type { DeliveryListView, EndpointView } from '@app/webhooks';

/** Columns padded to their widest cell; the last one is left as it is. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatEndpoints(endpoints: EndpointView[]): string {
  if (endpoints.length === 0) return 'no webhook endpoints';
  return table(
    ['id', 'enabled', 'types', 'url'],
    endpoints.map((e) => [e.id, e.enabled ? 'yes' : 'NO', e.types ? e.types.join(',') : 'all', e.url]),
  );
}

export function formatDeliveries(page: DeliveryListView): string {
  if (page.total === 0) return 'no deliveries';
  const rows = page.deliveries.map((d) => [
    d.event_id,
    d.type,
    d.status,
    String(d.attempts),
    d.last_status_code === null ? '-' : String(d.last_status_code),
    d.last_attempt_at ?? '-',
    d.next_attempt_at ?? '-',
  ]);
  const shown = `${page.offset + 1}-${page.offset + page.deliveries.length} of ${page.total} (newest event first)`;
  return `${table(['event', 'type', 'status', 'attempts', 'last code', 'last attempt', 'next attempt'], rows)}\n${shown}`;
}
