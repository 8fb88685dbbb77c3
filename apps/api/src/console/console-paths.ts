const CONSOLE = /^\/console(\/|\?|$)/;

/** Whether a request URL (or path) is the console's. */
export function isConsolePath(url: string): boolean {
  return CONSOLE.test(url);
}
