// Tuning of the reconciliation workers. The budget of Celar requests per second (CELAR_REQUESTS_PER_SECOND)
// is what bounds a run; these only make sure there is always enough work in flight to use it.

/** Customers per balance chunk: small enough to redo cheaply after a crash, large enough to batch the SQL. */
export const BALANCE_CHUNK_SIZE = 250;
/** Celar's list page size for record runs (its maximum). */
export const RECORD_PAGE_SIZE = 100;
/** Customers per chunk of a records run's confirm phase (one GET each). */
export const CONFIRM_CHUNK_SIZE = 100;
/** Chunks one worker process works on at once: more Celar calls wanted than the client's 64 sockets, so a chunk writing its results or waiting on its slowest call leaves none idle. */
export const CHUNK_CONCURRENCY = 6;
/** Celar calls in flight within one chunk. */
export const FETCH_CONCURRENCY = 16;
/** How often the watchdog looks for runs a lost job left behind. */
export const WATCHDOG_EVERY_MS = 30_000;
/** BullMQ lock of a chunk job; a killed worker's chunk is taken over this long (plus a stalled check) after its death. */
export const CHUNK_LOCK_MS = 20_000;
export const STALLED_CHECK_MS = 10_000;
