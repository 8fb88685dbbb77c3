import { CelarApiError, CelarClient, CelarCustomer, CelarListQuery } from '@app/celar-client';
import { CLOCK_SKEW_MARGIN_MS, findCreatedUpstream, findManyCreatedUpstream } from './upstream-create.lookup';

// A list of customers newest first, as Celar pages it; counts the pages read.
function fakeCelar(customers: Partial<CelarCustomer>[], failures: CelarApiError[] = []) {
  const reads: number[] = [];
  const client = {
    async listCustomers({ limit, offset }: CelarListQuery) {
      const failure = failures.shift();
      if (failure) throw failure;
      reads.push(offset);
      return { customers: customers.slice(offset, offset + limit) as CelarCustomer[], total: null, limit, offset };
    },
  } as unknown as CelarClient;
  return { client, reads };
}

const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const notLinked = async () => false;

describe('findCreatedUpstream', () => {
  const firstAttemptAt = new Date(Date.now() - 1000);

  it('finds the customer by email (any case) and tax id', async () => {
    const { client } = fakeCelar([
      { id: 'cr_1', email: 'other@example.com', tax_id: 'A1', created_at: at(0) },
      { id: 'cr_2', email: 'Alice@Example.com', tax_id: 'A1', created_at: at(500) },
    ]);
    const found = await findCreatedUpstream(client, { email: 'alice@example.com', taxId: 'A1', firstAttemptAt, isLinked: notLinked });
    expect(found?.id).toBe('cr_2');
  });

  it('requires the same tax id, a missing one matching only a missing one', async () => {
    const { client } = fakeCelar([
      { id: 'cr_1', email: 'a@example.com', tax_id: 'B2', created_at: at(0) },
      { id: 'cr_2', email: 'a@example.com', tax_id: null, created_at: at(0) },
    ]);
    expect((await findCreatedUpstream(client, { email: 'a@example.com', taxId: null, firstAttemptAt, isLinked: notLinked }))?.id).toBe('cr_2');
    expect(await findCreatedUpstream(client, { email: 'a@example.com', taxId: 'C3', firstAttemptAt, isLinked: notLinked })).toBeNull();
  });

  it('never adopts a Celar customer already linked to another of ours', async () => {
    const { client } = fakeCelar([{ id: 'cr_1', email: 'a@example.com', tax_id: null, created_at: at(0) }]);
    expect(await findCreatedUpstream(client, { email: 'a@example.com', taxId: null, firstAttemptAt, isLinked: async () => true })).toBeNull();
  });

  it('reads back only to the first attempt, less the clock-skew margin', async () => {
    const recent = Array.from({ length: 150 }, (_, i) => ({ id: `cr_r${i}`, email: `r${i}@example.com`, tax_id: null, created_at: at(i) }));
    const old = Array.from({ length: 300 }, (_, i) => ({ id: `cr_o${i}`, email: `o${i}@example.com`, tax_id: null, created_at: at(CLOCK_SKEW_MARGIN_MS + 60_000 + i) }));
    const { client, reads } = fakeCelar([...recent, ...old, { id: 'cr_x', email: 'a@example.com', tax_id: null, created_at: at(CLOCK_SKEW_MARGIN_MS * 3) }]);
    expect(await findCreatedUpstream(client, { email: 'a@example.com', taxId: null, firstAttemptAt, isLinked: notLinked })).toBeNull();
    expect(reads).toEqual([0, 100]);
  });

  it('reads a page again after a transient failure, without failing the lookup', async () => {
    const { client } = fakeCelar(
      [{ id: 'cr_1', email: 'a@example.com', tax_id: null, created_at: at(0) }],
      [new CelarApiError('TRANSIENT', 'busy', { status: 503, outcomeUnknown: true })],
    );
    expect((await findCreatedUpstream(client, { email: 'a@example.com', taxId: null, firstAttemptAt, isLinked: notLinked }))?.id).toBe('cr_1');
  });

  it('turns a refused list into a transient failure: the create is not the one refused', async () => {
    const { client } = fakeCelar([], [new CelarApiError('REJECTED', 'bad query', { status: 400 })]);
    await expect(findCreatedUpstream(client, { email: 'a@example.com', taxId: null, firstAttemptAt, isLinked: notLinked })).rejects.toMatchObject({
      kind: 'TRANSIENT',
    });
  });

  describe('for a whole batch', () => {
    it('finds every create in one scan and stops once all are found', async () => {
      const others = Array.from({ length: 250 }, (_, i) => ({ id: `cr_x${i}`, email: `x${i}@example.com`, tax_id: null, created_at: at(i) }));
      const { client, reads } = fakeCelar([
        { id: 'cr_b', email: 'B@example.com', tax_id: 'T2', created_at: at(0) },
        ...others.slice(0, 120),
        { id: 'cr_a', email: 'a@example.com', tax_id: null, created_at: at(200) },
        ...others.slice(120),
      ]);
      const found = await findManyCreatedUpstream(client, {
        customers: [
          { email: 'a@example.com', taxId: null },
          { email: 'missing@example.com', taxId: null },
          { email: 'b@example.com', taxId: 'T2' },
        ],
        firstAttemptAt,
        isLinked: notLinked,
      });
      expect(found.map((c) => c?.id ?? null)).toEqual(['cr_a', null, 'cr_b']);
      // One scan for all three, to the end of the list (one was never created).
      expect(reads).toEqual([0, 100, 200]);
    });

    it('stops reading as soon as the last one is found', async () => {
      const others = Array.from({ length: 300 }, (_, i) => ({ id: `cr_x${i}`, email: `x${i}@example.com`, tax_id: null, created_at: at(i) }));
      const { client, reads } = fakeCelar([{ id: 'cr_a', email: 'a@example.com', tax_id: null, created_at: at(0) }, ...others]);
      const found = await findManyCreatedUpstream(client, { customers: [{ email: 'a@example.com', taxId: null }], firstAttemptAt, isLinked: notLinked });
      expect(found[0]?.id).toBe('cr_a');
      expect(reads).toEqual([0]);
    });

    it('gives two creates of one email and tax id two different upstream customers, skipping linked ones', async () => {
      const { client } = fakeCelar([
        { id: 'cr_1', email: 'a@example.com', tax_id: null, created_at: at(0) },
        { id: 'cr_2', email: 'a@example.com', tax_id: null, created_at: at(0) },
        { id: 'cr_3', email: 'a@example.com', tax_id: null, created_at: at(0) },
      ]);
      const found = await findManyCreatedUpstream(client, {
        customers: [
          { email: 'a@example.com', taxId: null },
          { email: 'A@example.com', taxId: null },
        ],
        firstAttemptAt,
        isLinked: async (id) => id === 'cr_1',
      });
      expect(found.map((c) => c?.id)).toEqual(['cr_2', 'cr_3']);
    });
  });
});
