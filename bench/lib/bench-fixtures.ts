import { Client } from 'pg';

const COUNTRIES = ['KEN', 'NGA', 'GHA', 'ZAF', 'UGA', 'TZA', 'RWA', 'ETH', 'USA', 'GBR'];
const DOCUMENTS = ['id_card', 'passport', 'driver_license'];

/** A valid create body; `tag` keeps emails unique across targets and runs. */
export function customerBody(tag: string, n: number): Record<string, string> {
  const business = n % 5 === 0;
  const hex = (n * 2654435761).toString(16).padStart(40, '0').slice(-40);
  return {
    type: business ? 'business' : 'individual',
    name: business ? `Bench Trading ${n} Ltd` : `Bench Customer ${n}`,
    email: `${tag}-${n}@bench.example.com`,
    country: COUNTRIES[n % COUNTRIES.length],
    document_type: business ? 'incorporation_certificate' : DOCUMENTS[n % DOCUMENTS.length],
    address: `${n} Koinange Street, Nairobi`,
    tax_id: `P${String(n).padStart(9, '0')}B`,
    // Lower case: a valid address with no checksum to hold.
    wallet_address: `0x${hex}`,
  };
}

/** Hands out bodies with emails never used before in this process. */
export class CustomerSource {
  private next = 0;

  constructor(private readonly tag: string) {}

  one(): string {
    return JSON.stringify(customerBody(this.tag, this.next++));
  }

  bulk(size: number): string {
    const items: Record<string, string>[] = [];
    for (let i = 0; i < size; i++) items.push(customerBody(this.tag, this.next++));
    return JSON.stringify(items);
  }

  get issued(): number {
    return this.next;
  }
}

/**
 * Seeds customers g = from..to with generate_series: the shape the mirror has after a while
 * (80% synced with a celar_id, 10% pending, 10% failed; 20% businesses; 2% deactivated;
 * newest = highest g), each with its create operation (done unless pending/failed).
 * Ids are md5-derived, so two databases seeded alike hold the same rows.
 */
export async function seedCustomers(client: Client, from: number, to: number): Promise<void> {
  await client.query(
    `INSERT INTO customers (id, celar_id, psp_id, type, name, email, country, document_type, address, tax_id, wallet_address,
                            is_active, sync_status, sync_error, last_synced_at, last_op_seq, deactivated_at, created_at, updated_at)
     SELECT md5('bench-customer-' || g)::uuid,
            CASE WHEN g % 10 < 8 THEN 'cr_' || substr(md5('celar-' || g), 1, 12) END,
            CASE WHEN g % 10 < 8 THEN 'psp_62ac45f3bc99' END,
            CASE WHEN g % 5 = 0 THEN 'business' ELSE 'individual' END,
            'Seeded Customer ' || g,
            'seed-' || g || '@bench.example.com',
            ($3::text[])[1 + g % 10],
            CASE WHEN g % 5 = 0 THEN 'incorporation_certificate' ELSE ($4::text[])[1 + (g / 5) % 3] END,
            g || ' Moi Avenue, Nairobi',
            'T' || lpad(g::text, 9, '0'),
            NULL,
            g % 50 <> 7,
            CASE WHEN g % 10 < 8 THEN 'synced' WHEN g % 10 = 8 THEN 'pending' ELSE 'failed' END,
            CASE WHEN g % 10 = 9 THEN '{"code":"customer_rejected","message":"seeded","at":"2025-01-01T00:00:00.000Z"}'::jsonb END,
            CASE WHEN g % 10 < 8 THEN timestamptz '2025-01-01' + g * interval '1 second' END,
            1,
            CASE WHEN g % 50 = 7 THEN timestamptz '2025-01-01' + g * interval '1 second' END,
            timestamptz '2025-01-01' + g * interval '1 second',
            timestamptz '2025-01-01' + g * interval '1 second'
       FROM generate_series($1::int, $2::int) AS g`,
    [from, to, COUNTRIES, DOCUMENTS],
  );
  await client.query(
    `INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key, status, attempts, enqueued_at, completed_at, created_at)
     SELECT md5('bench-customer-' || g)::uuid, 1, 'create', '{}'::jsonb, md5('bench-op-' || g)::uuid,
            CASE WHEN g % 10 < 8 THEN 'done' WHEN g % 10 = 8 THEN 'pending' ELSE 'failed' END,
            1,
            timestamptz '2025-01-01' + g * interval '1 second',
            CASE WHEN g % 10 < 8 THEN timestamptz '2025-01-01' + g * interval '1 second' END,
            timestamptz '2025-01-01' + g * interval '1 second'
       FROM generate_series($1::int, $2::int) AS g`,
    [from, to],
  );
}

/** The id seeded for g (same expression as the seed). */
export async function seededIds(client: Client, count: number, spread: number): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT md5('bench-customer-' || (1 + (i * 7919) % $2))::uuid::text AS id FROM generate_series(0, $1 - 1) AS i`,
    [count, spread],
  );
  return rows.map((r) => r.id);
}

/**
 * N customers as the API leaves them after a create (and `updates` renames each): pending,
 * no celar_id, their operations pending in order (create carrying the payload, then updates
 * of `name`). The caller notifies the relay or enqueues jobs itself.
 */
export async function insertPendingCreates(client: Client, tag: string, count: number, updates = 0): Promise<void> {
  const items = Array.from({ length: count }, (_, n) => customerBody(tag, n));
  await client.query(
    `WITH items AS (
       SELECT x.ord, gen_random_uuid() AS id, x.item
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(item, ord)
     ), c AS (
       INSERT INTO customers (id, type, name, email, country, document_type, address, tax_id, wallet_address, last_op_seq, created_at, updated_at)
       SELECT id, item->>'type', CASE WHEN $2::int > 0 THEN (item->>'name') || ' v' || ($2::int + 1) ELSE item->>'name' END,
              item->>'email', item->>'country', item->>'document_type', item->>'address',
              item->>'tax_id', item->>'wallet_address', 1 + $2::int, now() + ord * interval '1 microsecond', now() + ord * interval '1 microsecond'
         FROM items ORDER BY ord
       RETURNING id
     )
     INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key)
     SELECT items.id, v.seq, CASE WHEN v.seq = 1 THEN 'create' ELSE 'update' END,
            CASE WHEN v.seq = 1 THEN items.item ELSE jsonb_build_object('name', (items.item->>'name') || ' v' || v.seq) END,
            gen_random_uuid()
       FROM items JOIN c ON c.id = items.id CROSS JOIN generate_series(1, 1 + $2::int) AS v(seq)
      ORDER BY items.ord, v.seq`,
    [JSON.stringify(items), updates],
  );
}
