import { FINDING_FIELDS, FindingView } from './reconciliation.types';

const NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV field (RFC 4180). Text a spreadsheet would run as a formula gets a leading quote mark. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function findingsCsvHeader(): string {
  return `${FINDING_FIELDS.join(',')}\r\n`;
}

export function findingCsvRow(finding: FindingView): string {
  return `${FINDING_FIELDS.map((field) => csvField(finding[field])).join(',')}\r\n`;
}
