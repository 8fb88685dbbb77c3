import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '@app/common';
import { QueueProducer, QueueUnavailableError, Queues } from '@app/queue';
import { findingCsvRow, findingsCsvHeader } from './findings-csv';
import { ReconciliationRunsRepository, RunInProgressError, toRunView } from './reconciliation-runs.repository';
import { RECONCILIATION_JOBS, ReconciliationJobs } from './reconciliation.jobs';
import { FindingView, RunKind, RunTrigger, RunView } from './reconciliation.types';

/** Runs as operators see them: start one, list them, read one with its findings, export them. */
@Injectable()
export class ReconciliationRunsService {
  private readonly logger = new Logger(ReconciliationRunsService.name);
  private readonly queue: QueueProducer<ReconciliationJobs>;

  constructor(
    private readonly runs: ReconciliationRunsRepository,
    queues: Queues,
  ) {
    this.queue = queues.producer(RECONCILIATION_JOBS);
  }

  /**
   * Creates a queued run, then enqueues its start (committed first, so the job always finds
   * it); if the job cannot be queued (Redis down) the run is removed again. A run of that kind
   * already queued or running: `run_in_progress` (409) naming it in `details[0].run_id`.
   */
  async start(kind: RunKind, trigger: RunTrigger): Promise<RunView> {
    try {
      const run = await this.runs.createRun(kind, trigger);
      try {
        await this.queue.add('start', { runId: run.id });
      } catch (error) {
        await this.runs.deleteUnstarted(run.id);
        throw error;
      }
      this.logger.log(`${kind} run ${run.id} queued (${trigger})`);
      return toRunView(run);
    } catch (error) {
      if (error instanceof RunInProgressError) {
        const id = error.activeRunId;
        throw new AppError(
          'run_in_progress',
          `A ${kind} run is already queued or running${id ? `: ${id}` : ''}`,
          [{ field: 'kind', message: 'a run of this kind is already active', run_id: id }],
          { run_id: id },
        );
      }
      if (error instanceof QueueUnavailableError) {
        throw new AppError('dependency_down', 'The job queue (Redis) is unavailable: the run was not started; try again later');
      }
      throw error;
    }
  }

  /** A scheduled start: nothing happens while a run of that kind is active. Answers the run, or null. */
  async startScheduled(kind: RunKind): Promise<RunView | null> {
    try {
      return await this.start(kind, 'schedule');
    } catch (error) {
      if (error instanceof AppError && error.code === 'run_in_progress') {
        this.logger.log(`scheduled ${kind} run skipped: ${error.message}`);
        return null;
      }
      throw error;
    }
  }

  async list(limit: number, offset: number): Promise<{ runs: RunView[]; total: number; limit: number; offset: number }> {
    const { runs, total } = await this.runs.list(limit, offset);
    return { runs: runs.map(toRunView), total, limit, offset };
  }

  /** For the admin summary: the latest run of each kind, and the totals of the last completed balance run. */
  async latest(): Promise<{ last_runs: Record<RunKind, RunView | null>; totals: { currency: string; total: string }[] }> {
    const rows = await this.runs.latestOfEachKind();
    const byKind = (kind: RunKind) => rows.find((r) => r.kind === kind);
    const [lastCompleted] = await this.runs.completedBalanceTotals(1);
    return {
      last_runs: { balances: maybeView(byKind('balances')), records: maybeView(byKind('records')) },
      totals: lastCompleted?.totals ?? [],
    };
  }

  /** The last `limit` completed balance runs, oldest first (for a chart of totals over runs). */
  async balanceTotalsOverRuns(limit: number): Promise<RunView[]> {
    return (await this.runs.completedBalanceTotals(limit)).map(toRunView);
  }

  async get(id: string): Promise<RunView> {
    const run = await this.runs.get(id);
    if (!run) throw new AppError('not_found', `No reconciliation run ${id}`);
    return toRunView(run);
  }

  async getWithFindings(
    id: string,
    limit: number,
    offset: number,
  ): Promise<RunView & { findings: FindingView[]; findings_total: number; limit: number; offset: number }> {
    const run = await this.get(id);
    const { findings, total } = await this.runs.findingsPage(id, limit, offset);
    return { ...run, findings, findings_total: total, limit, offset };
  }

  /** The run's findings as CSV lines, header first, read in batches (404 before the first line if unknown). */
  async findingsCsv(id: string): Promise<AsyncIterable<string>> {
    await this.get(id);
    const findings = this.runs.allFindings(id);
    return (async function* () {
      yield findingsCsvHeader();
      for await (const finding of findings) yield findingCsvRow(finding);
    })();
  }
}

function maybeView(row: Parameters<typeof toRunView>[0] | undefined): RunView | null {
  return row ? toRunView(row) : null;
}
