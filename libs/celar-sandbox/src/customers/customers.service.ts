import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SandboxError, SandboxErrorDetail } from '../common/sandbox.error';
import { SANDBOX_OPTIONS, SandboxOptions } from '../sandbox-options';
import { SettingsService } from '../settings.service';
import { SandboxRandom } from '../common/random';
import { validateCreateItem, validatePatch } from './customer.validation';

export interface SandboxCustomer {
  id: string;
  created_at: string;
  updated_at: string;
  country: string;
  email: string;
  type: string;
  wallet_address: string | null;
  address: string | null;
  is_active: boolean;
  name: string;
  psp_id: string;
  tax_id: string | null;
  document_type: string;
  verification_document: string | null;
  incorporation_certificate: string | null;
  /** Only while the kycStatus setting is on. */
  kyc_status?: string | null;
  /** Only while the nameParts setting is on. */
  first_name?: string;
  last_name?: string;
  /** Extra fields set through the control API are kept and returned. */
  [extra: string]: unknown;
}

export interface SandboxBalance {
  customer_id: string;
  balance: string;
  currency: string;
}

export interface CustomerPage {
  customers: SandboxCustomer[];
  /** Absent when the `listTotal` setting is off. */
  total?: number;
  /** As asked, even when the `pageCap` setting returned fewer. */
  limit: number;
  offset: number;
}

export interface ListQuery {
  limit: number;
  offset: number;
  /** Case-insensitive exact match; only used when the `emailFilter` setting honours it. */
  email?: string;
}

export interface CustomerFilter {
  email?: string;
  is_active?: boolean;
  type?: string;
  tax_id?: string;
}

export const MAX_BULK = 1000;
/** The documented largest page. */
export const MAX_LIMIT = 100;
/** kyc_status of a new customer, and after a wallet change (ASSUMPTIONS.md). */
export const KYC_ON_CREATE = 'pending';
export const KYC_ON_WALLET_CHANGE = 'pending_update';
export const DEFAULT_BALANCE = '0.00';
export const DEFAULT_CURRENCY = 'USDC';
export const CUSTOMER_ID = /^cr_[0-9a-f]{12}$/;
export const PSP_ID = /^psp_[0-9a-f]{12}$/;
/** A decimal string with up to 6 decimals; balances are never parsed to numbers. */
export const BALANCE = /^-?\d{1,24}(\.\d{1,6})?$/;

const NULLABLE_DEFAULTS = ['wallet_address', 'address', 'tax_id', 'verification_document', 'incorporation_certificate'] as const;

/** Celar's customers of one PSP account, in memory. */
@Injectable()
export class CustomersService {
  readonly pspId: string;
  private readonly byId = new Map<string, SandboxCustomer>();
  /** Creation order: the list pages from the end, so a page costs O(limit) even with 100k customers. */
  private order: SandboxCustomer[] = [];
  /** Lower-cased email -> ids of active customers holding it. */
  private readonly activeByEmail = new Map<string, Set<string>>();
  private readonly balances = new Map<string, { balance: string; currency: string }>();
  /** Customers whose kyc_status the control API set: shown even while the kycStatus setting is off, as before it existed. */
  private readonly kycSetBehindOurBack = new Set<string>();
  /** Draws for the `shuffled` list order. */
  readonly listRandom: SandboxRandom;

  constructor(
    private readonly settings: SettingsService,
    @Inject(SANDBOX_OPTIONS) options: SandboxOptions,
  ) {
    if (options.pspId !== undefined && !PSP_ID.test(options.pspId)) throw new Error('pspId must be psp_ + 12 lowercase hex digits');
    this.pspId = options.pspId ?? `psp_${randomBytes(6).toString('hex')}`;
    this.listRandom = new SandboxRandom(options.seed);
  }

  get count(): number {
    return this.order.length;
  }

  // ---- the emulated API ----

  create(body: unknown): SandboxCustomer[] {
    const bulk = Array.isArray(body);
    const items: unknown[] = bulk ? body : [body];
    if (body === undefined || body === null) {
      throw new SandboxError('validation_failed', 'the body must be a customer object or an array of them');
    }
    if (bulk && items.length === 0) throw new SandboxError('validation_failed', 'the array of customers is empty');
    if (items.length > MAX_BULK) throw new SandboxError('validation_failed', `at most ${MAX_BULK} customers per request`);
    const details = items.flatMap((item, i) => validateCreateItem(item, bulk ? i : undefined));
    if (details.length > 0) throw new SandboxError('validation_failed', 'invalid customer data', details);
    const inputs = items as Record<string, unknown>[];
    if (!this.settings.allowDuplicateEmails) this.assertEmailsFree(inputs, bulk);
    const now = new Date().toISOString();
    return inputs.map((input) =>
      this.copy(
        this.insert({
          id: this.newId(),
          created_at: now,
          updated_at: now,
          country: input.country as string,
          email: input.email as string,
          type: input.type as string,
          wallet_address: (input.wallet_address as string | undefined) ?? null,
          address: (input.address as string | undefined) ?? null,
          is_active: true,
          name: input.name as string,
          psp_id: this.pspId,
          tax_id: (input.tax_id as string | undefined) ?? null,
          document_type: input.document_type as string,
          verification_document: null,
          incorporation_certificate: null,
          // Kept always, shown while the kycStatus setting is on (as a Celar that reports it).
          kyc_status: KYC_ON_CREATE,
        }),
      ),
    );
  }

  /** One page in the order the `listOrder` setting says, at most `pageCap` items. */
  list(query: ListQuery): CustomerPage {
    const { limit, offset } = query;
    const size = Math.min(limit, this.settings.pageCap ?? MAX_LIMIT);
    const email = this.settings.emailFilter === 'honoured' ? query.email?.toLowerCase() : undefined;
    const matching = email === undefined ? this.order : this.order.filter((c) => typeof c.email === 'string' && c.email.toLowerCase() === email);
    const total = matching.length;
    const customers: SandboxCustomer[] = [];
    switch (this.settings.listOrder) {
      case 'newest':
        // From the end, so a page costs O(limit) even with 100k customers.
        for (let i = total - 1 - offset; i >= 0 && customers.length < size; i--) customers.push(this.copy(matching[i]));
        break;
      case 'oldest':
        for (let i = offset; i < total && customers.length < size; i++) customers.push(this.copy(matching[i]));
        break;
      case 'shuffled':
        for (const i of this.shuffledIndexes(total).slice(offset, offset + size)) customers.push(this.copy(matching[i]));
        break;
    }
    return { customers, ...(this.settings.listTotal ? { total } : {}), limit, offset };
  }

  get(id: string): SandboxCustomer {
    return this.copy(this.find(id));
  }

  balance(id: string): SandboxBalance {
    const customer = this.find(id);
    const stored = this.balances.get(customer.id);
    return { customer_id: customer.id, balance: stored?.balance ?? DEFAULT_BALANCE, currency: stored?.currency ?? DEFAULT_CURRENCY };
  }

  update(id: string, body: unknown): SandboxCustomer {
    const customer = this.find(id);
    const details = validatePatch(body, customer.type);
    if (details.length > 0) throw new SandboxError('validation_failed', 'invalid update', details);
    if (!customer.is_active) throw new SandboxError('customer_deactivated', 'the customer is deactivated and cannot be updated');
    const patch = body as Record<string, unknown>;
    const walletChanged = patch.wallet_address !== undefined && !sameAddress(patch.wallet_address, customer.wallet_address);
    if (typeof patch.email === 'string' && !this.settings.allowDuplicateEmails) {
      const holders = this.activeByEmail.get(patch.email.toLowerCase());
      if (holders && [...holders].some((holder) => holder !== customer.id)) {
        throw new SandboxError('email_taken', 'another active customer has this email', [{ field: 'email', message: 'is already used by an active customer' }]);
      }
    }
    this.unindex(customer);
    Object.assign(customer, patch, { updated_at: new Date().toISOString() }, walletChanged ? { kyc_status: KYC_ON_WALLET_CHANGE } : {});
    this.index(customer);
    return this.copy(customer);
  }

  deactivate(id: string): SandboxCustomer {
    const customer = this.find(id);
    if (!customer.is_active) throw new SandboxError('customer_deactivated', 'the customer is already deactivated');
    this.unindex(customer);
    customer.is_active = false;
    customer.updated_at = new Date().toISOString();
    return this.copy(customer);
  }

  /** The current email of a customer, for fault rules matched by email; undefined if unknown. */
  emailOf(id: string): string | undefined {
    return this.byId.get(id)?.email;
  }

  // ---- behind our back (the control API) ----

  /** Creates a customer as another Celar client or the Dashboard would: no uniqueness checks, extra fields kept. */
  createBehindOurBack(fields: Record<string, unknown>): SandboxCustomer {
    if (fields.id !== undefined && (typeof fields.id !== 'string' || !CUSTOMER_ID.test(fields.id))) {
      throw new SandboxError('validation_failed', 'id must be cr_ + 12 lowercase hex digits', [{ field: 'id', message: 'invalid' }]);
    }
    if (typeof fields.id === 'string' && this.byId.has(fields.id)) {
      throw new SandboxError('validation_failed', 'a customer with this id exists', [{ field: 'id', message: 'taken' }]);
    }
    const now = new Date().toISOString();
    const suffix = randomBytes(4).toString('hex');
    const customer: SandboxCustomer = {
      id: this.newId(),
      created_at: now,
      updated_at: now,
      country: 'KEN',
      email: `behind.${suffix}@example.com`,
      type: 'individual',
      wallet_address: null,
      address: null,
      is_active: true,
      name: `Created Elsewhere ${suffix}`,
      psp_id: this.pspId,
      tax_id: null,
      document_type: 'passport',
      verification_document: null,
      incorporation_certificate: null,
      kyc_status: KYC_ON_CREATE,
      ...fields,
    };
    for (const field of NULLABLE_DEFAULTS) customer[field] ??= null;
    if (fields.kyc_status !== undefined) this.kycSetBehindOurBack.add(customer.id);
    return this.copy(this.insert(customer));
  }

  /** Changes any fields (not the id) as the Dashboard or another client would; updated_at moves unless given. */
  updateBehindOurBack(id: string, fields: Record<string, unknown>): SandboxCustomer {
    const customer = this.find(id);
    if (fields.id !== undefined && fields.id !== customer.id) {
      throw new SandboxError('validation_failed', 'the id cannot change', [{ field: 'id', message: 'cannot change' }]);
    }
    if (fields.kyc_status !== undefined) this.kycSetBehindOurBack.add(customer.id);
    this.unindex(customer);
    Object.assign(customer, { updated_at: new Date().toISOString() }, fields);
    this.index(customer);
    return this.copy(customer);
  }

  /** Deactivates without the API's 409 on a repeat. */
  deactivateBehindOurBack(id: string): SandboxCustomer {
    const customer = this.find(id);
    if (customer.is_active) {
      this.unindex(customer);
      customer.is_active = false;
      customer.updated_at = new Date().toISOString();
    }
    return this.copy(customer);
  }

  /** Links a document URL (or null to unlink) as the Dashboard does after an upload. */
  attachDocument(id: string, docs: { verification_document?: string | null; incorporation_certificate?: string | null }): SandboxCustomer {
    const customer = this.find(id);
    if (docs.verification_document !== undefined) customer.verification_document = docs.verification_document;
    if (docs.incorporation_certificate !== undefined) customer.incorporation_certificate = docs.incorporation_certificate;
    customer.updated_at = new Date().toISOString();
    return this.copy(customer);
  }

  setBalance(id: string, balance: string, currency = DEFAULT_CURRENCY): SandboxBalance {
    const customer = this.find(id);
    this.balances.set(customer.id, { balance, currency });
    return { customer_id: customer.id, balance, currency };
  }

  /** Every customer, oldest first, optionally filtered; for test assertions. */
  all(filter: CustomerFilter = {}): SandboxCustomer[] {
    const out: SandboxCustomer[] = [];
    const email = filter.email?.toLowerCase();
    for (const c of this.order) {
      if (email !== undefined && String(c.email).toLowerCase() !== email) continue;
      if (filter.is_active !== undefined && c.is_active !== filter.is_active) continue;
      if (filter.type !== undefined && c.type !== filter.type) continue;
      if (filter.tax_id !== undefined && c.tax_id !== filter.tax_id) continue;
      out.push(this.copy(c));
    }
    return out;
  }

  reset(): void {
    this.byId.clear();
    this.order = [];
    this.activeByEmail.clear();
    this.balances.clear();
    this.kycSetBehindOurBack.clear();
  }

  // ---- internals ----

  private assertEmailsFree(inputs: Record<string, unknown>[], bulk: boolean): void {
    const seen = new Map<string, number>();
    const repeated: SandboxErrorDetail[] = [];
    const taken: SandboxErrorDetail[] = [];
    inputs.forEach((input, i) => {
      const email = (input.email as string).toLowerCase();
      const at = bulk ? { index: i } : {};
      if (seen.has(email)) repeated.push({ ...at, field: 'email', message: `repeats the email of item ${seen.get(email)}` });
      else seen.set(email, i);
      if (this.activeByEmail.get(email)?.size) taken.push({ ...at, field: 'email', message: 'is already used by an active customer' });
    });
    if (repeated.length > 0) throw new SandboxError('validation_failed', 'two customers in the request share an email', repeated);
    if (taken.length > 0) throw new SandboxError('email_taken', 'an active customer already has this email', taken);
  }

  private find(id: string): SandboxCustomer {
    const customer = this.byId.get(id);
    if (!customer) throw new SandboxError('not_found', `no customer with id ${id}`);
    return customer;
  }

  private insert(customer: SandboxCustomer): SandboxCustomer {
    this.byId.set(customer.id, customer);
    this.order.push(customer);
    this.index(customer);
    return customer;
  }

  private index(customer: SandboxCustomer): void {
    if (!customer.is_active || typeof customer.email !== 'string') return;
    const key = customer.email.toLowerCase();
    let holders = this.activeByEmail.get(key);
    if (!holders) this.activeByEmail.set(key, (holders = new Set()));
    holders.add(customer.id);
  }

  private unindex(customer: SandboxCustomer): void {
    if (typeof customer.email !== 'string') return;
    const key = customer.email.toLowerCase();
    const holders = this.activeByEmail.get(key);
    holders?.delete(customer.id);
    if (holders?.size === 0) this.activeByEmail.delete(key);
  }

  private newId(): string {
    for (;;) {
      const id = `cr_${randomBytes(6).toString('hex')}`;
      if (!this.byId.has(id)) return id;
    }
  }

  /** Fisher-Yates over 0..n-1, drawn afresh for each request. */
  private shuffledIndexes(n: number): number[] {
    const indexes = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.listRandom.next() * (i + 1));
      [indexes[i], indexes[j]] = [indexes[j], indexes[i]];
    }
    return indexes;
  }

  /**
   * Customers as the sandbox's Celar shows them (API and control alike): snapshots, never the
   * live record, with `kyc_status` and `first_name`/`last_name` per the settings.
   */
  private copy(customer: SandboxCustomer): SandboxCustomer {
    const { kyc_status, ...view } = customer;
    if (this.settings.kycStatus || this.kycSetBehindOurBack.has(customer.id)) view.kyc_status = kyc_status ?? null;
    if (this.settings.nameParts && typeof customer.name === 'string') Object.assign(view, splitName(customer.name));
    return view;
  }
}

/** `first_name`/`last_name` as a Celar that stores both would answer: split at the first space. */
function splitName(name: string): { first_name: string; last_name: string } {
  const space = name.indexOf(' ');
  return space < 0 ? { first_name: name, last_name: '' } : { first_name: name.slice(0, space), last_name: name.slice(space + 1) };
}

function sameAddress(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
