import { Injectable } from '@nestjs/common';
import { CaseCounts, CasesService } from '@app/cases';
import { CustomerCounts, CustomersService } from '@app/customers';
import { ReconciliationRunsService, RunView } from '@app/reconciliation';

export interface Summary {
  customers: CustomerCounts;
  outbox: { pending: number; oldest_pending_age_s: number | null };
  cases: CaseCounts;
  last_runs: { balances: RunView | null; records: RunView | null };
  totals: { currency: string; total: string }[];
}

/** The state of the whole book at a glance (GET /admin/summary, the console's first page): reads only. */
@Injectable()
export class SummaryService {
  constructor(
    private readonly customers: CustomersService,
    private readonly cases: CasesService,
    private readonly runs: ReconciliationRunsService,
  ) {}

  async get(): Promise<Summary> {
    const [sync, cases, latest] = await Promise.all([this.customers.syncOverview(), this.cases.counts(), this.runs.latest()]);
    return { customers: sync.customers, outbox: sync.outbox, cases, last_runs: latest.last_runs, totals: latest.totals };
  }
}
