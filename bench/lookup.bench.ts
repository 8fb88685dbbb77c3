// The cost of proving a create absent upstream (issue: "measure it at 100k upstream customers"):
// the lookup that runs before a create in doubt is sent again, against the sandbox holding N
// customers. One full scan serves every create in doubt of a batch; an email filter that Celar
// honours turns it into one call per email.
import { CelarClient } from '@app/celar-client';
import { findCreatedUpstream, WantedCreate } from '@app/sync';
import { startSandbox } from '@app/testing';
import { BenchContext } from './lib/bench-context';
import { BenchRow, BenchSection, round } from './lib/bench-report';

export async function runLookupBench(ctx: BenchContext): Promise<BenchSection> {
  const upstreamCount = ctx.settings.quick ? 10_000 : 100_000;
  const sandbox = await startSandbox();
  const client = new CelarClient({ baseUrl: sandbox.baseUrl, apiKey: sandbox.apiKey, timeoutMs: 10_000 });
  try {
    const firstAttemptAt = new Date(Date.now() - 60_000);
    await seed(sandbox.baseUrl, sandbox.apiKey, upstreamCount);
    const wanted = (i: number): WantedCreate => ({
      email: `lookup-${i}@example.com`,
      taxId: `T${i}`,
      type: 'individual',
      country: 'KEN',
      firstAttemptAt,
    });
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { upstreamCount };
    const measure = async (name: string, creates: WantedCreate[], settings: Record<string, unknown>) => {
      await sandbox.control.setSettings(settings as never);
      const before = (await sandbox.control.stats()).requestsTotal;
      const started = performance.now();
      const found = await findCreatedUpstream(client, creates, { linked: async () => new Set() });
      const ms = performance.now() - started;
      const calls = (await sandbox.control.stats()).requestsTotal - before;
      details[name] = { ms: round(ms, 1), calls, found: found.filter(Boolean).length, settings };
      rows.push({
        benchmark: `lookup: ${name}`,
        unit: 'ms',
        ours: round(ms, 1),
        baseline: null,
        ratio: null,
        target: '',
        pass: null,
        extra: { list_calls: calls, upstream: upstreamCount, found: found.filter(Boolean).length, of: creates.length },
        note: `${calls} list calls; at the default budget of 20 req/s that is ${round(calls / 20, 1)} s of Celar budget`,
      });
    };
    // The last customer created is at the end of an oldest-first list: the scan reads it all.
    const last = upstreamCount - 1;
    await measure('1 create, email filter honoured', [wanted(last)], { emailFilter: 'honoured', listOrder: 'oldest', pageCap: null });
    await measure('1 create, filter ignored (full scan)', [wanted(last)], { emailFilter: 'ignored', listOrder: 'oldest', pageCap: null });
    await measure('50 creates, filter ignored (one scan for all)', Array.from({ length: 50 }, (_, i) => wanted(last - i * 97)), {
      emailFilter: 'ignored',
      listOrder: 'oldest',
      pageCap: null,
    });
    await measure('50 creates, pages capped at 20, no total', Array.from({ length: 50 }, (_, i) => wanted(last - i * 97)), {
      emailFilter: 'ignored',
      listOrder: 'oldest',
      pageCap: 20,
      listTotal: false,
    });
    return { name: 'lookup', title: `Upstream lookup of creates in doubt, ${upstreamCount} customers upstream`, rows, details };
  } finally {
    client.close();
    await sandbox.close();
  }
}

async function seed(baseUrl: string, apiKey: string, count: number): Promise<void> {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  for (let i = 0; i < count; i += 100) {
    const items = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({
      type: 'individual',
      name: `Lookup ${i + j}`,
      email: `lookup-${i + j}@example.com`,
      country: 'KEN',
      document_type: 'passport',
      tax_id: `T${i + j}`,
    }));
    const res = await fetch(`${baseUrl}/customers`, { method: 'POST', headers, body: JSON.stringify(items.length === 1 ? items[0] : items) });
    if (!res.ok) throw new Error(`seeding the sandbox failed: ${res.status}`);
  }
}
