import { SandboxResponse } from '../common/http.types';

/** What the gateway learnt about one API request, read by the request log when the response ends. */
export interface RequestState {
  /** 'ok' (the API answered), 'replayed', 'rate_limited' (the rateLimit setting) or 'fault:<kind>'. */
  outcome: string;
  /** Whether the request changed state (created, updated or deactivated a customer). */
  acted: boolean;
  /** The socket was destroyed on purpose: no response was sent. */
  dropped: boolean;
  customerIds: string[];
  apiKey?: string;
  /** The gateway is still working on it (e.g. a latency fault outlasting the client). */
  processing: boolean;
  /** Called once the gateway is done, if the log is waiting for it. */
  whenSettled?: () => void;
}

export function requestState(res: SandboxResponse): RequestState {
  let state = res.locals.sandbox as RequestState | undefined;
  if (!state) {
    state = { outcome: 'ok', acted: false, dropped: false, customerIds: [], processing: false };
    res.locals.sandbox = state;
  }
  return state;
}
