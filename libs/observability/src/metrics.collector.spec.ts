import { AppConfig } from '@app/config';
import { RedisConnection } from '@app/queue';
import { MetricsCollector } from './metrics.collector';
import { MetricsService } from './metrics.service';

/** A collector watching no queue: it never touches Redis, so none is given. */
function collector(): { metrics: MetricsService; collector: MetricsCollector } {
  const metrics = new MetricsService();
  return { metrics, collector: new MetricsCollector(metrics, {} as AppConfig, { service: 'test' }, undefined as unknown as RedisConnection) };
}

const line = (text: string, series: string): string | undefined => text.split('\n').find((l) => l.startsWith(`${series} `));

describe('MetricsCollector scrape sources', () => {
  it("refreshes every source's gauges before the text is produced, and reports its dependency up", async () => {
    const { collector: c } = collector();
    let pending = 3;
    c.addScrapeSource('outbox', { dependency: 'postgres', refresh: async (metrics) => void metrics.outboxBacklog.set(pending) });

    expect(line(await c.scrape(), 'outbox_backlog')).toBe('outbox_backlog 3');
    pending = 0;
    const text = await c.scrape();
    expect(line(text, 'outbox_backlog')).toBe('outbox_backlog 0');
    expect(line(text, 'dependency_up{dependency="postgres"}')).toBe('dependency_up{dependency="postgres"} 1');
  });

  it('answers within its bound when a source hangs: its gauges keep their values, and its dependency reads 0 only when none of its sources answered', async () => {
    const { collector: c } = collector();
    let hangOutbox = false;
    let hangRuns = false;
    c.addScrapeSource('outbox', {
      dependency: 'postgres',
      refresh: async (metrics) => {
        if (hangOutbox) await new Promise(() => undefined);
        metrics.outboxBacklog.set(7);
      },
    });
    c.addScrapeSource('runs', {
      dependency: 'postgres',
      refresh: async (metrics) => {
        if (hangRuns) await new Promise(() => undefined);
        metrics.oldestActiveRunAge.set(0);
      },
    });
    await c.scrape();

    // One slow query is not the database down.
    hangOutbox = true;
    const started = Date.now();
    let text = await c.scrape();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(line(text, 'dependency_up{dependency="postgres"}')).toBe('dependency_up{dependency="postgres"} 1');
    expect(line(text, 'outbox_backlog')).toBe('outbox_backlog 7');

    hangRuns = true;
    text = await c.scrape();
    expect(line(text, 'dependency_up{dependency="postgres"}')).toBe('dependency_up{dependency="postgres"} 0');
    expect(line(text, 'outbox_backlog')).toBe('outbox_backlog 7');
  });

  it('reports a dependency down when its source fails, and keeps the first source added under a name', async () => {
    const { collector: c } = collector();
    c.addScrapeSource('outbox', { dependency: 'postgres', refresh: () => Promise.reject(new Error('connection refused')) });
    c.addScrapeSource('outbox', { dependency: 'postgres', refresh: async () => undefined });

    const text = await c.scrape();
    expect(line(text, 'dependency_up{dependency="postgres"}')).toBe('dependency_up{dependency="postgres"} 0');
    expect(line(text, 'dependency_up{dependency="redis"}')).toBeUndefined();
  });
});
