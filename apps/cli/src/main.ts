// `npm run cli -- <command>`: the operators' CLI. It drives the running API over HTTP
// (API_URL, default http://localhost:$PORT) with the first of ADMIN_API_KEYS.
import { setTimeout as sleep } from 'node:timers/promises';
import { SingleBar } from 'cli-progress';
import { Argument, Command, CommanderError, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ConfigError, loadConfig } from '@app/config';
import type { RunKind, RunView } from '@app/reconciliation';
import { AdminApiClient, CliError } from './admin-api.client';
import { formatCase, formatCases } from './case-format';
import { exitCodeFor, FINISHED, formatFindings, formatSummary } from './run-format';
import { formatDeliveries, formatEndpoints } from './webhook-format';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Where `.env` is read from when env is the process's own. */
  envFile?: string;
}

interface Context {
  io: CliIo;
  client: () => AdminApiClient;
  exitCode: number;
  /** Aborted by Ctrl-C while following a run. */
  signal: AbortSignal;
}

function apiClient(io: CliIo): AdminApiClient {
  let config;
  try {
    config = loadConfig(io.env as NodeJS.ProcessEnv, io.envFile ?? '.env', 'cli');
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const base = (io.env.API_URL ?? `http://localhost:${config.port}`).replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  if (!/^https?:\/\/[^/]+/.test(base)) throw new CliError(`API_URL must be an http(s) URL, got ${base}`);
  return new AdminApiClient(base, config.adminApiKeys[0]);
}

function buildProgram(ctx: Context): Command {
  const program = new Command()
    .name('npm run cli --')
    .description('customer-sync operators: reconciliation runs, cases and re-syncs, through the running API')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) })
    .showHelpAfterError('(see --help)');

  program
    .command('reconcile')
    .description('start a reconciliation run and follow it to its end (exit 0 completed, 2 partial, 1 failed)')
    .addArgument(new Argument('<kind>', 'balances or records').choices(['balances', 'records']))
    .option('--no-follow', 'print the queued run and return at once')
    .addOption(new Option('--interval <ms>', 'how often to poll the run').default('500').argParser(positiveInt('--interval')))
    .action(async (kind: RunKind, options: { follow: boolean; interval: number }) => {
      const client = ctx.client();
      const { run, alreadyActive } = await client.startRun(kind);
      if (alreadyActive) {
        if (!options.follow) throw new CliError(`a ${kind} run is already ${run.status}: ${run.id}`);
        ctx.io.stderr.write(`a ${kind} run is already ${run.status} (${run.id}); following it\n`);
      } else {
        ctx.io.stderr.write(`started ${kind} run ${run.id}\n`);
      }
      if (!options.follow) {
        ctx.io.stdout.write(`${formatSummary(run)}\n`);
        return;
      }
      const ended = await follow(ctx, client, run, Number(options.interval));
      ctx.io.stdout.write(`${formatSummary(ended)}\n`);
      ctx.exitCode = exitCodeFor(ended);
    });

  program
    .command('report')
    .description("print a run's summary and its first findings")
    .argument('<run-id>')
    .addOption(new Option('--limit <n>', 'findings to show (1..100)').default('20').argParser(positiveInt('--limit', 100)))
    .action(async (runId: string, options: { limit: number }) => {
      const run = await ctx.client().getRun(runId, Number(options.limit));
      ctx.io.stdout.write(`${formatSummary(run)}\n\n${formatFindings(run.findings, run.findings_total, run.id)}\n`);
    });

  program
    .command('export')
    .description("write a run's findings as CSV (header row first)")
    .argument('<run-id>')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (runId: string, options: { out?: string }) => {
      const body = await ctx.client().exportCsv(runId);
      const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
      if (options.out) {
        await pipeline(source, createWriteStream(options.out));
        ctx.io.stderr.write(`findings of run ${runId} written to ${options.out}\n`);
      } else {
        // Not pipeline(): it would end the caller's stdout.
        for await (const chunk of source) ctx.io.stdout.write(chunk as Buffer);
      }
    });

  program
    .command('cases')
    .description('list reconciliation cases, oldest first (default: open and acknowledged)')
    .option('--status <list>', 'comma-separated: open, acknowledged, resolved, accepted', 'open,acknowledged')
    .option('--kind <kind>', 'one case kind, e.g. field_drift')
    .option('--customer <id>', "our id or Celar's cr_ id")
    .option('--min-age-hours <hours>', 'first seen at least this many hours ago')
    .addOption(new Option('--limit <n>', 'cases to show (1..100)').default('20').argParser(positiveInt('--limit', 100)))
    .option('--offset <n>', 'skip this many', '0')
    .action(async (options: { status: string; kind?: string; customer?: string; minAgeHours?: string; limit: number; offset: string }) => {
      const query: Record<string, string> = { status: options.status, limit: String(options.limit), offset: options.offset };
      if (options.kind) query.kind = options.kind;
      if (options.customer) query.customer_id = options.customer;
      if (options.minAgeHours) query.min_age_hours = options.minAgeHours;
      ctx.io.stdout.write(`${formatCases(await ctx.client().listCases(query))}
`);
    });

  program
    .command('case')
    .description('show one case with its timeline')
    .argument('<case-id>')
    .action(async (caseId: string) => {
      ctx.io.stdout.write(`${formatCase(await ctx.client().getCase(caseId))}
`);
    });

  program
    .command('resync')
    .description("re-queue a failed customer's held operations")
    .argument('<customer-id>', "our id or Celar's cr_ id")
    .action(async (customerId: string) => {
      const { message, customer } = await ctx.client().resync(customerId);
      ctx.io.stdout.write(`${message}: customer ${customer.id} is ${customer.sync_status}\n`);
    });

  const webhooks = program.command('webhooks').description("PSP apps' webhook endpoints and their deliveries");
  webhooks
    .command('list')
    .description('every endpoint: id, enabled, types, url')
    .action(async () => {
      ctx.io.stdout.write(`${formatEndpoints(await ctx.client().webhookEndpoints())}\n`);
    });
  webhooks
    .command('deliveries')
    .description("an endpoint's delivery log, newest event first")
    .argument('<endpoint-id>')
    .addOption(new Option('--limit <n>', 'rows to show (1..100)').default('20').argParser(positiveInt('--limit', 100)))
    .addOption(new Option('--offset <n>', 'rows to skip').default('0').argParser(nonNegativeInt('--offset')))
    .action(async (endpointId: string, options: { limit: number; offset: number }) => {
      const page = await ctx.client().webhookDeliveries(endpointId, Number(options.limit), Number(options.offset));
      ctx.io.stdout.write(`${formatDeliveries(page)}\n`);
    });

  return program;
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d{1,9}$/.test(value)) throw new CliError(`${name} must be an integer from 0`);
    return Number(value);
  };
}

function positiveInt(name: string, max = 3_600_000): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) throw new CliError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

/** The API's estimate, as 1h 02m / 4m 10s / 12s; '-' when it has none. */
function etaText(run: RunView): string {
  const s = run.eta_seconds;
  if (s === null || s === undefined) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Polls the run until it ends, with a progress bar on a terminal, or a line now and then otherwise. */
async function follow(ctx: Context, client: AdminApiClient, start: RunView, intervalMs: number): Promise<RunView> {
  const tty = ctx.io.stderr.isTTY === true;
  const bar = tty
    ? new SingleBar({
        stream: ctx.io.stderr as NodeJS.WritableStream as never,
        format: `${start.kind} [{bar}] {percentage}% | {value}/{total} customers | {status} | findings {findings} | ETA {eta_left}`,
        hideCursor: true,
        barsize: 30,
      })
    : undefined;
  bar?.start(Math.max(start.progress.total, 1), start.progress.done, { status: start.status, findings: start.counts.findings, eta_left: etaText(start) });
  let run = start;
  let lastLine = '';
  let lastLineAt = 0;
  try {
    while (!FINISHED.includes(run.status)) {
      await sleep(intervalMs, undefined, { signal: ctx.signal });
      run = await client.getRun(run.id, 1);
      if (bar) {
        bar.setTotal(Math.max(run.progress.total, 1));
        bar.update(run.progress.done, { status: run.status, findings: run.counts.findings, eta_left: etaText(run) });
      } else {
        const line = `${run.status} ${run.progress.done}/${run.progress.total} customers, ${run.counts.findings} finding(s), ETA ${etaText(run)}`;
        if (line !== lastLine && (Date.now() - lastLineAt > 2000 || FINISHED.includes(run.status))) {
          ctx.io.stderr.write(`${line}\n`);
          lastLine = line;
          lastLineAt = Date.now();
        }
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) throw new CliError(`stopped following; run ${run.id} goes on (npm run cli -- report ${run.id})`, 130);
    throw error;
  } finally {
    bar?.stop();
  }
  return run;
}

/** Runs one command line (without `node main.js`); answers the exit code. */
export async function runCli(argv: string[], io: CliIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let client: AdminApiClient | undefined;
  const ctx: Context = { io, exitCode: 0, signal, client: () => (client ??= apiClient(io)) };
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  const abort = new AbortController();
  process.on('SIGINT', () => abort.abort());
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, abort.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
