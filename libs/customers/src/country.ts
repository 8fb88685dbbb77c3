import { alpha3ToAlpha2 } from 'i18n-iso-countries';

/** An ISO 3166-1 alpha-3 code, upper case only (`KEN`, not `ken` or `KE`). */
export function isIsoAlpha3Country(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && alpha3ToAlpha2(value) !== undefined;
}
