const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid in its text form (any case): checked before a uuid column is queried, so bad input is a 404, not a 500. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
