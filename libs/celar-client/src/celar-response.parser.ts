// Tolerant readers of Celar's success bodies: the docs show one envelope, the assumptions
// page asks us to accept several. Each returns undefined when the body makes no sense.
import Decimal from 'decimal.js';
import { CelarBalance, CelarCustomer, CelarCustomerPage, CelarListQuery } from './celar.types';

type Json = Record<string, unknown>;

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * JSON.parse, but every number literal comes back as its exact source text, so an amount
 * sent as a JSON number never passes through a float.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      // Copy the string as-is, honouring escapes.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!match) return undefined;
      out += `"${match[0]}"`;
      i += match[0].length;
    } else {
      out += ch;
      i += 1;
    }
  }
  return parseJson(out);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCustomer(value: unknown): value is CelarCustomer {
  return isObject(value) && typeof value.id === 'string' && value.id.length > 0;
}

function customerList(value: unknown): CelarCustomer[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every(isCustomer) ? (value as CelarCustomer[]) : undefined;
}

/** A create's answer: `{customers: [...]}` as documented, or `customer`/`data`, or a bare array or object. */
export function readCreatedCustomers(body: unknown): CelarCustomer[] | undefined {
  if (Array.isArray(body)) return customerList(body);
  if (!isObject(body)) return undefined;
  for (const key of ['customers', 'data', 'results']) {
    if (Array.isArray(body[key])) return customerList(body[key]);
  }
  for (const key of ['customer', 'data']) {
    if (isCustomer(body[key])) return [body[key]];
  }
  return isCustomer(body) ? [body] : undefined;
}

/** One customer: `{customer: {...}}` as documented for PATCH/DELETE, `data`, or the bare object (GET). */
export function readCustomer(body: unknown): CelarCustomer | undefined {
  if (!isObject(body)) return undefined;
  if (isCustomer(body)) return body;
  for (const key of ['customer', 'data']) {
    if (isCustomer(body[key])) return body[key];
  }
  return undefined;
}

/** A list page: an array under customers|results|data, or a bare array; total when Celar says it. */
export function readCustomerPage(body: unknown, query: CelarListQuery): CelarCustomerPage | undefined {
  let customers: CelarCustomer[] | undefined;
  let total: number | null = null;
  if (Array.isArray(body)) {
    customers = customerList(body);
  } else if (isObject(body)) {
    for (const key of ['customers', 'results', 'data']) {
      if (Array.isArray(body[key])) {
        customers = customerList(body[key]);
        break;
      }
    }
    total = readCount(body.total) ?? readCount(isObject(body.pagination) ? body.pagination.total : undefined) ??
      readCount(isObject(body.meta) ? body.meta.total : undefined);
  }
  if (!customers) return undefined;
  return { customers, total, limit: query.limit, offset: query.offset };
}

function readCount(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** `{customer_id, balance, currency}`; balance kept as Celar's exact decimal text. */
export function readBalance(text: string): CelarBalance | undefined {
  const body = parseJsonKeepingNumbers(text);
  const record = isObject(body) && isObject(body.data) && !('balance' in body) ? body.data : body;
  if (!isObject(record)) return undefined;
  const raw = record.balance;
  if (typeof raw !== 'string') return undefined;
  let balance = raw.trim();
  if (!DECIMAL.test(balance)) {
    // An exponent form such as 1.2505e3 is still exact in decimal.js.
    if (!/^-?\d+(\.\d+)?[eE][+-]?\d+$/.test(balance)) return undefined;
    balance = new Decimal(balance).toFixed();
  }
  const customerId = record.customer_id ?? record.customerId;
  const currency = record.currency;
  // parseJsonKeepingNumbers turned every number into text; give the extras back their JSON types.
  const typed = parseJson(text);
  const extras = isObject(typed) ? (record === body ? typed : isObject(typed.data) ? typed.data : typed) : {};
  return {
    ...extras,
    customer_id: typeof customerId === 'string' ? customerId : '',
    balance,
    currency: typeof currency === 'string' ? currency : '',
  };
}
