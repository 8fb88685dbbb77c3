import { csvField } from '@app/common';
import { FINDING_FIELDS, FindingView } from './reconciliation.types';

export { csvField };

export function findingsCsvHeader(): string {
  return `${FINDING_FIELDS.join(',')}\r\n`;
}

export function findingCsvRow(finding: FindingView): string {
  return `${FINDING_FIELDS.map((field) => csvField(finding[field])).join(',')}\r\n`;
}
