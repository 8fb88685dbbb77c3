const NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV field (RFC 4180). Text a spreadsheet would run as a formula gets a leading quote mark. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
