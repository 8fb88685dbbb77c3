import { Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiParam, ApiProduces, ApiResponse as ApiDocResponse, ApiTags } from '@nestjs/swagger';
import { CasesService } from '@app/cases';
import { AppError, Public } from '@app/common';
import { CustomersService } from '@app/customers';
import { BalancesService, ReconciliationRunsService, RUN_KINDS, RunKind } from '@app/reconciliation';
import { ApiResponse } from '../http/api-request';
import { streamCsv } from '../http/csv-stream';
import { SummaryService } from '../summary/summary.service';
import { consoleAsset } from './console-assets';
import { ConsoleRequest, redirect, sessionCookie, SESSION_COOKIE, SIGN_IN_PATH } from './console-http.hooks';
import { ConsoleSessionsService } from './console-sessions.service';
import { escapeHtml } from './html';
import { casePage, casesPage, customerPage, customersPage, PageContext, runPage, runProgress, runsPage, signInPage, summaryPage } from './console-views';

const HTML = 'text/html; charset=utf-8';

/** Console query strings are forms: first value of each, strings only. */
function formQuery(query: Record<string, unknown>, known: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of known) {
    const value = query[key];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' && first !== '') out[key] = first;
  }
  return out;
}

/**
 * The operators' console: server-rendered pages (htmx for live parts, Chart.js for charts),
 * signed in with an admin key. The session hook (console-http.hooks.ts) has already
 * checked the session and, on anything that changes state, its CSRF token. Actions go through
 * the same services, and so the same rules, as the admin API.
 */
@ApiTags('console')
@ApiCookieAuth('console_session')
@Public()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly summary: SummaryService,
    private readonly runs: ReconciliationRunsService,
    private readonly cases: CasesService,
    private readonly customers: CustomersService,
    private readonly balances: BalancesService,
  ) {}

  // ---- signing in and out ----

  @Get('sign-in')
  @ApiOperation({ summary: 'The sign-in page (no session needed)', security: [] })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  signInForm(@Res() res: ApiResponse): void {
    send(res, 200, signInPage());
  }

  @Post('session')
  @ApiOperation({
    summary: 'Sign in with an admin key (form field `key`, or JSON {"key"}): 303 to /console with an HttpOnly, SameSite=Strict session cookie; an app key 403, a wrong or missing one 401, both without a cookie',
    security: [],
  })
  @ApiDocResponse({ status: 303, description: 'Signed in: Set-Cookie console_session, Location /console' })
  @ApiDocResponse({ status: 401, description: 'A wrong or missing key' })
  @ApiDocResponse({ status: 403, description: 'An app key' })
  async signIn(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const key = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>).key : undefined;
    const result = await this.sessions.signIn(key);
    if (result.ok) {
      res.header('Set-Cookie', sessionCookie(req, result.token));
      redirect(res, '/console');
      return;
    }
    const message = result.status === 403 ? 'This is an app key: the console needs an admin key' : 'Unknown or missing key';
    if (/^application\/json/i.test(req.headers['content-type'] ?? '')) {
      res.status(result.status).send({ error: { code: result.status === 403 ? 'forbidden' : 'unauthorized', message } });
    } else {
      send(res, result.status, signInPage(message));
    }
  }

  @Delete('session')
  @ApiOperation({ summary: 'Sign out: ends the session, clears the cookie, 303 to the sign-in page', security: [] })
  @ApiDocResponse({ status: 303, description: 'Location /console/sign-in' })
  signOut(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    return this.end(req, res);
  }

  @Post('session/logout')
  @ApiOperation({ summary: 'Sign out (for an HTML form): as DELETE /console/session', security: [] })
  @ApiDocResponse({ status: 303, description: 'Location /console/sign-in' })
  logout(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    return this.end(req, res);
  }

  private async end(req: ConsoleRequest, res: ApiResponse): Promise<void> {
    await this.sessions.end(req.cookies?.[SESSION_COOKIE]);
    res.header('Set-Cookie', sessionCookie(req, null));
    redirect(res, SIGN_IN_PATH);
  }

  @Get('assets/:file')
  @ApiOperation({ summary: "The console's static files (htmx, Chart.js, its stylesheet and script); no session needed", security: [] })
  @ApiParam({ name: 'file', example: 'console.css' })
  @ApiDocResponse({ status: 200, description: 'The file' })
  @ApiDocResponse({ status: 404, description: 'No such file' })
  asset(@Param('file') file: string, @Res() res: ApiResponse): void {
    const asset = consoleAsset(file);
    if (!asset) throw new AppError('not_found', 'No such console asset');
    res.header('Content-Type', asset.type);
    res.header('Cache-Control', 'public, max-age=3600');
    res.status(200).send(asset.body);
  }

  // ---- pages (303 to the sign-in page without a session) ----

  @Get()
  @ApiOperation({ summary: 'The console: the summary with charts (without a session: 303 to the sign-in page)' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  @ApiDocResponse({ status: 303, description: 'No session: to /console/sign-in' })
  async home(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const [summary, overRuns] = await Promise.all([this.summary.get(), this.runs.balanceTotalsOverRuns(30)]);
    send(res, 200, summaryPage(this.ctx(req), summary, overRuns));
  }

  @Get('runs')
  @ApiOperation({ summary: 'Reconciliation runs, newest first, and a form to start one' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async runsList(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const offset = pageOffset(req.query);
    send(res, 200, runsPage(this.ctx(req), await this.runs.list(25, offset)));
  }

  @Post('runs')
  @ApiOperation({ summary: 'Start a run (form field kind): 303 to its page; one of that kind already active: the runs page with the error (409)' })
  @ApiDocResponse({ status: 303, description: "To the run's page" })
  @ApiDocResponse({ status: 409, description: 'A run of that kind is already queued or running' })
  async startRun(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const kind = (req.body as Record<string, unknown> | undefined)?.kind;
    try {
      if (!RUN_KINDS.includes(kind as RunKind)) throw new AppError('validation_failed', `kind must be one of ${RUN_KINDS.join(', ')}`);
      const run = await this.runs.start(kind as RunKind, 'manual');
      redirect(res, `/console/runs/${run.id}`);
    } catch (error) {
      const e = asAppError(error);
      send(res, e.status, runsPage(this.ctx(req, { error: e.message }), await this.runs.list(25, 0)));
    }
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'A run with its findings (paged), a CSV download, and a live progress bar while it runs' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async run(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    await this.render(res, async () => runPage(this.ctx(req), await this.runs.getWithFindings(id, 50, pageOffset(req.query))));
  }

  @Get('cases')
  @ApiOperation({ summary: 'The cases inbox (open and acknowledged first of all), with filters and a CSV download' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async casesList(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const query = formQuery(req.query, ['status', 'kind', 'customer_id', 'min_age_hours', 'offset']);
    query.status ??= 'open,acknowledged';
    try {
      send(res, 200, casesPage(this.ctx(req), await this.cases.list({ ...query, limit: '50' }), query));
    } catch (error) {
      const e = asAppError(error);
      const fallback = await this.cases.list({ status: 'open,acknowledged', limit: '50' });
      send(res, e.status, casesPage(this.ctx(req, { error: describe(e) }), fallback, { status: 'open,acknowledged' }));
    }
  }

  @Get('cases/:id')
  @ApiOperation({ summary: 'One case: its fields, timeline and the actions its status allows' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async case(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const done = formQuery(req.query, ['done']).done;
    await this.render(res, async () => casePage(this.ctx(req, { notice: done ? `Done: ${done}.` : null }), await this.cases.get(id)));
  }

  @Post('cases/:id/:action')
  @ApiOperation({ summary: 'acknowledge | resolve | accept | reopen | repush (form field note): 303 back to the case; refused: the case page with the error (400/404/409)' })
  @ApiParam({ name: 'action', enum: ['acknowledge', 'resolve', 'accept', 'reopen', 'repush'] })
  @ApiDocResponse({ status: 303, description: 'Done: back to the case' })
  @ApiDocResponse({ status: 409, description: "The case's status does not allow it" })
  async caseAction(@Param('id') id: string, @Param('action') action: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const actor = req.consoleSession!.actor;
    const note = (req.body as Record<string, unknown> | undefined)?.note;
    const body = typeof note === 'string' && note.trim() !== '' ? { note } : {};
    const actions: Record<string, () => Promise<unknown>> = {
      acknowledge: () => this.cases.acknowledge(id, body, actor),
      resolve: () => this.cases.resolve(id, body, actor),
      accept: () => this.cases.accept(id, body, actor),
      reopen: () => this.cases.reopen(id, body, actor),
      repush: () => this.cases.repush(id, body, actor, req.requestId ?? null),
    };
    try {
      const run = actions[action];
      if (!run) throw new AppError('not_found', `No case action ${action}`);
      await run();
      redirect(res, `/console/cases/${encodeURIComponent(id)}?done=${action}`);
    } catch (error) {
      const e = asAppError(error);
      if (e.code === 'not_found') return void send(res, 404, casesPage(this.ctx(req, { error: e.message }), await this.cases.list({ status: 'open,acknowledged', limit: '50' }), { status: 'open,acknowledged' }));
      send(res, e.status, casePage(this.ctx(req, { error: describe(e) }), await this.cases.get(id)));
    }
  }

  @Get('customers')
  @ApiOperation({ summary: 'Failed customers, with re-sync' })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async failedCustomers(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const done = formQuery(req.query, ['resynced']).resynced;
    const list = await this.customers.list({ sync_status: 'failed', limit: '50', offset: String(pageOffset(req.query)) });
    send(res, 200, customersPage(this.ctx(req, { notice: done ? `Re-sync queued for ${done}.` : null }), list));
  }

  @Get('customers/:id')
  @ApiOperation({ summary: "A customer's page: fields (kyc_status included), sync history of its operations, balance history, cases" })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML' })
  async customer(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    await this.render(res, async () => {
      const customer = await this.customers.get(id);
      const [history, balances, cases] = await Promise.all([
        this.customers.syncHistory(customer.id),
        this.balances.history(customer.id),
        this.cases.list({ customer_id: customer.id, limit: '100' }),
      ]);
      return customerPage(this.ctx(req), customer, history, balances, cases.cases);
    });
  }

  @Post('customers/:id/sync')
  @ApiOperation({ summary: "Re-sync a failed customer: 303 to the failed customers' page; not failed: 409 with the page" })
  @ApiDocResponse({ status: 303, description: "To the failed customers' page" })
  @ApiDocResponse({ status: 409, description: 'The customer is not failed' })
  async resync(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    try {
      const { customer } = await this.customers.resync(id);
      redirect(res, `/console/customers?resynced=${encodeURIComponent(customer.name)}`);
    } catch (error) {
      const e = asAppError(error);
      const list = await this.customers.list({ sync_status: 'failed', limit: '50' });
      send(res, e.status, customersPage(this.ctx(req, { error: describe(e) }), list));
    }
  }

  // ---- data routes (401 without a session) ----

  @Get('api/runs/:id/progress')
  @ApiOperation({ summary: "A run's progress bar (HTML fragment, polled by the run page while the run is active)" })
  @ApiProduces('text/html')
  @ApiDocResponse({ status: 200, description: 'HTML fragment' })
  @ApiDocResponse({ status: 401, description: 'No session' })
  async progress(@Param('id') id: string, @Res() res: ApiResponse): Promise<void> {
    const run = await this.runs.get(id);
    // Once over, the whole page reloads to show the findings.
    if (run.status !== 'queued' && run.status !== 'running') res.header('HX-Refresh', 'true');
    send(res, 200, runProgress(run).text);
  }

  @Get('api/runs/:id/findings.csv')
  @ApiOperation({ summary: "All of a run's findings as CSV (as GET /api/v1/admin/reconciliations/:id?format=csv)" })
  @ApiProduces('text/csv')
  @ApiDocResponse({ status: 200, description: 'CSV' })
  @ApiDocResponse({ status: 401, description: 'No session' })
  async findingsCsv(@Param('id') id: string, @Res() res: ApiResponse): Promise<void> {
    await streamCsv(res, await this.runs.findingsCsv(id), `reconciliation-${id}-findings.csv`);
  }

  @Get('api/cases.csv')
  @ApiOperation({ summary: 'Every case matching the filters as CSV (as GET /api/v1/admin/cases?format=csv)' })
  @ApiProduces('text/csv')
  @ApiDocResponse({ status: 200, description: 'CSV' })
  @ApiDocResponse({ status: 401, description: 'No session' })
  async casesCsv(@Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    await streamCsv(res, this.cases.csv(formQuery(req.query, ['status', 'kind', 'customer_id', 'min_age_hours'])), 'reconciliation-cases.csv');
  }

  @Get('api/cases/:id/status')
  @ApiOperation({ summary: "A case's status (JSON); with ?was=<status>, asks the page to reload (HX-Refresh) once it differs" })
  @ApiDocResponse({ status: 200, description: '{"status"}' })
  @ApiDocResponse({ status: 401, description: 'No session' })
  async caseStatus(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: ApiResponse): Promise<void> {
    const { status } = await this.cases.get(id);
    const was = formQuery(req.query, ['was']).was;
    if (was && was !== status) res.header('HX-Refresh', 'true');
    res.status(200).send({ status });
  }

  private ctx(req: ConsoleRequest, extra: Partial<PageContext> = {}): PageContext {
    const session = req.consoleSession!;
    return { csrfToken: session.csrfToken, actor: session.actor, ...extra };
  }

  /** A page, or its error (not found, bad id) as a short HTML page with the right status. */
  private async render(res: ApiResponse, build: () => Promise<string>): Promise<void> {
    try {
      send(res, 200, await build());
    } catch (error) {
      const e = asAppError(error);
      send(res, e.status, `<!doctype html><title>${e.status}</title><link rel="stylesheet" href="/console/assets/console.css"><main><p class="error">${escapeHtml(e.message)}</p><p><a href="/console">Back to the console</a></p></main>`);
    }
  }
}

function send(res: ApiResponse, status: number, body: string): void {
  res.status(status);
  res.header('Content-Type', HTML);
  res.send(body);
}

function pageOffset(query: Record<string, unknown>): number {
  const raw = formQuery(query, ['offset']).offset;
  return raw && /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
}

function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  throw error;
}

function describe(e: AppError): string {
  const details = (e.details ?? []).map((d) => `${d.field ?? ''} ${d.message}`.trim());
  return details.length ? `${e.message}: ${details.join('; ')}` : e.message;
}
