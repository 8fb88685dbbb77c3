import { SandboxRequest, SandboxResponse } from '../common/http.types';
import { RequestLogService } from './request-log.service';
import { requestState } from './request-state';

/** Express middleware for /api/v1: records each call once, when it is answered or its connection closes. */
export function requestLogMiddleware(log: RequestLogService) {
  return (req: SandboxRequest, res: SandboxResponse, next: () => void): void => {
    const started = Date.now();
    const seq = log.nextSeq();
    const state = requestState(res);
    let done = false;
    const record = () => {
      const key = req.headers['idempotency-key'];
      const url = new URL(req.originalUrl, 'http://sandbox');
      const answered = res.writableFinished && !state.dropped;
      log.record({
        seq,
        at: new Date(started).toISOString(),
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        status: answered ? res.statusCode : null,
        idempotencyKey: typeof key === 'string' ? key : null,
        body: req.body ?? null,
        customerIds: state.customerIds,
        outcome: state.outcome,
        acted: state.acted,
        durationMs: Date.now() - started,
      });
    };
    const finish = () => {
      if (done) return;
      done = true;
      // A client that gave up closes the connection first: log the request once it has acted (or not).
      if (state.processing) state.whenSettled = record;
      else record();
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
