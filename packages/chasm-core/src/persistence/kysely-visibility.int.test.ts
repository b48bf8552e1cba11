import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { testDatabases } from '../testing/test-databases.js';
import type { Database } from './database.js';
import { KyselyExecutionStore } from './kysely-execution-store.js';
import type { ShardLease, VisibilityFilter, VisibilityQuery, VisibilityRecord } from './store.js';

const minute = (m: number) => new Date(Date.UTC(2026, 10, 25, 12, m));

function rec(businessId: string, over: Partial<VisibilityRecord> = {}): VisibilityRecord {
  return {
    namespaceId: 'ns',
    archetype: 'tests.store',
    businessId,
    runId: `run-${businessId}`,
    status: 'running',
    startTime: minute(0),
    closeTime: null,
    searchAttributes: {},
    memo: null,
    transitionCount: 1,
    ...over,
  };
}

/** A fixture of executions with a spread of built-in values and search attributes. */
const FIXTURE: readonly VisibilityRecord[] = [
  rec('order-1', { startTime: minute(1), searchAttributes: { Count: 5, Tags: ['red', 'blue'], Owner: 'ann', Due: '2026-12-01T00:00:00.000Z', Urgent: true } }),
  rec('order-2', {
    startTime: minute(2),
    status: 'completed',
    closeTime: minute(10),
    searchAttributes: { Count: 12, Tags: ['green'], Owner: 'bob', Due: '2026-11-30T12:00:00Z' },
  }),
  rec('order-3', { startTime: minute(3), searchAttributes: { Count: 7.5, Tags: 'red', Owner: 'Ann', Urgent: false } }),
  rec('invoice-1', { startTime: minute(4), status: 'failed', closeTime: minute(11), searchAttributes: { Count: '9', Owner: 'carl' } }),
  rec('invoice-2', { startTime: minute(4), searchAttributes: { Due: '2027-01-01T00:00:00.000+01:00', Owner: null } }),
  rec('invoice_3', { startTime: minute(5), status: 'timedOut', closeTime: minute(12), memo: new Uint8Array([1, 2, 3]) }),
];

describe.each(testDatabases())('visibility on $name', (tdb) => {
  let database: Database;
  let store: KyselyExecutionStore;
  let lease: ShardLease;

  beforeAll(async () => {
    database = await tdb.open();
    store = await KyselyExecutionStore.open(database, { shardCount: 1 });
    lease = await store.acquireShard(0, 'node-a');
    await store.writeVisibility(lease, FIXTURE, []);
    // Records of another archetype and namespace never show up.
    await store.writeVisibility(lease, [rec('order-1', { archetype: 'other' }), rec('order-1', { namespaceId: 'ns2' })], []);
  });
  afterAll(async () => {
    await store.close();
    await database.close();
  });

  async function ids(filter?: VisibilityFilter, orderBy?: VisibilityQuery['orderBy']): Promise<string[]> {
    const page = await store.listVisibility({
      namespaceId: 'ns',
      archetype: 'tests.store',
      pageSize: 100,
      ...(filter ? { filter } : {}),
      ...(orderBy ? { orderBy } : {}),
    });
    expect(page.nextPageToken).toBeUndefined();
    return page.records.map((r) => r.businessId);
  }
  const cmp = (field: string, op: '=' | '!=' | '<' | '>' | '<=' | '>=', value: string | number | boolean | Date | null): VisibilityFilter => ({
    kind: 'compare',
    field,
    op,
    value,
  });

  it('round-trips records and lists them StartTime DESC, then RunId', async () => {
    const page = await store.listVisibility({ namespaceId: 'ns', archetype: 'tests.store', pageSize: 100 });
    expect(page.records.map((r) => r.businessId)).toEqual(['invoice_3', 'invoice-1', 'invoice-2', 'order-3', 'order-2', 'order-1']);
    const o2 = page.records.find((r) => r.businessId === 'order-2');
    expect(o2).toEqual(FIXTURE[1]);
    expect(Array.from(page.records[0]?.memo ?? [])).toEqual([1, 2, 3]);
  });

  it('filters on built-in fields', async () => {
    expect(await ids(cmp('BusinessId', '=', 'order-2'))).toEqual(['order-2']);
    expect(await ids(cmp('RunId', '=', 'run-order-3'))).toEqual(['order-3']);
    // '_' is a literal in the prefix, not a LIKE wildcard.
    expect(await ids({ kind: 'startsWith', field: 'BusinessId', prefix: 'invoice_' })).toEqual(['invoice_3']);
    expect(await ids({ kind: 'startsWith', field: 'BusinessId', prefix: 'order' })).toEqual(['order-3', 'order-2', 'order-1']);
    // Temporal's spelling of statuses and the ExecutionStatus alias both work.
    expect(await ids(cmp('ExecutionStatus', '=', 'Running'))).toEqual(['invoice-2', 'order-3', 'order-1']);
    expect(await ids({ kind: 'in', field: 'Status', values: ['completed', 'TimedOut'] })).toEqual(['invoice_3', 'order-2']);
    expect(await ids(cmp('Status', '!=', 'running'))).toEqual(['invoice_3', 'invoice-1', 'order-2']);
    expect(await ids({ kind: 'between', field: 'StartTime', low: minute(2), high: minute(4).toISOString() })).toEqual([
      'invoice-1',
      'invoice-2',
      'order-3',
      'order-2',
    ]);
    expect(await ids(cmp('CloseTime', '>', minute(10)))).toEqual(['invoice_3', 'invoice-1']);
    expect(await ids({ kind: 'isNull', field: 'CloseTime' })).toEqual(['invoice-2', 'order-3', 'order-1']);
    expect(await ids({ kind: 'isNull', field: 'CloseTime', negate: true })).toEqual(['invoice_3', 'invoice-1', 'order-2']);
    expect(await ids(cmp('CloseTime', '=', null))).toEqual(['invoice-2', 'order-3', 'order-1']);
    // Predicates are two-valued: `not` is the exact complement, open executions included.
    expect(await ids({ kind: 'not', clause: cmp('CloseTime', '>', minute(10)) })).toEqual(['invoice-2', 'order-3', 'order-2', 'order-1']);
    expect(await ids({ kind: 'not', clause: cmp('Count', '>', 6) })).toEqual(['invoice_3', 'invoice-1', 'invoice-2', 'order-1']);
  });

  it('filters on search attributes by the type of the compared value', async () => {
    // Numbers compare numerically; the string '9' is not a number.
    expect(await ids(cmp('Count', '>', 6))).toEqual(['order-3', 'order-2']);
    expect(await ids(cmp('Count', '<=', 7.5))).toEqual(['order-3', 'order-1']);
    expect(await ids(cmp('Count', '=', 12))).toEqual(['order-2']);
    expect(await ids(cmp('Count', '=', '9'))).toEqual(['invoice-1']);
    // Strings compare as text, case-sensitively, in byte order.
    expect(await ids(cmp('Owner', '=', 'ann'))).toEqual(['order-1']);
    expect(await ids(cmp('Owner', '>=', 'b'))).toEqual(['invoice-1', 'order-2']);
    expect(await ids(cmp('Owner', '!=', 'ann'))).toEqual(['invoice-1', 'order-3', 'order-2']);
    expect(await ids({ kind: 'startsWith', field: 'Owner', prefix: 'A' })).toEqual(['order-3']);
    // Keyword lists match when any element does.
    expect(await ids(cmp('Tags', '=', 'red'))).toEqual(['order-3', 'order-1']);
    expect(await ids({ kind: 'in', field: 'Tags', values: ['blue', 'green'] })).toEqual(['order-2', 'order-1']);
    expect(await ids(cmp('Tags', '!=', 'red'))).toEqual(['order-2']);
    // Dates compare as timestamps whatever their ISO spelling.
    expect(await ids(cmp('Due', '<', new Date('2026-12-01T00:00:00Z')))).toEqual(['order-2']);
    expect(await ids(cmp('Due', '>=', '2026-12-01T00:00:00+00:00'))).toEqual(['invoice-2', 'order-1']);
    expect(await ids(cmp('Due', '=', '2026-11-30T12:00:00.000Z'))).toEqual(['order-2']);
    expect(await ids({ kind: 'between', field: 'Due', low: '2026-11-30T00:00:00Z', high: '2026-12-31T00:00:00Z' })).toEqual([
      'order-2',
      'order-1',
    ]);
    expect(await ids(cmp('Urgent', '=', true))).toEqual(['order-1']);
    expect(await ids(cmp('Urgent', '!=', true))).toEqual(['order-3']);
    // Absent and JSON null both count as null.
    expect(await ids({ kind: 'isNull', field: 'Owner' })).toEqual(['invoice_3', 'invoice-2']);
    expect(await ids({ kind: 'isNull', field: 'Tags', negate: true })).toEqual(['order-3', 'order-2', 'order-1']);
  });

  it('combines filters with and, or, not', async () => {
    expect(
      await ids({
        kind: 'or',
        clauses: [
          { kind: 'and', clauses: [cmp('Status', '=', 'running'), cmp('Count', '>', 6)] },
          { kind: 'not', clause: { kind: 'startsWith', field: 'BusinessId', prefix: 'order' } },
        ],
      }),
    ).toEqual(['invoice_3', 'invoice-1', 'invoice-2', 'order-3']);
    expect(await ids({ kind: 'and', clauses: [] })).toHaveLength(6);
    expect(await ids({ kind: 'or', clauses: [] })).toEqual([]);
    expect(await ids({ kind: 'in', field: 'Owner', values: [] })).toEqual([]);
  });

  it('counts', async () => {
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'tests.store' })).toBe(6);
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'tests.store', filter: cmp('Tags', '=', 'red') })).toBe(2);
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'other' })).toBe(1);
    expect(await store.countVisibility({ namespaceId: 'nope', archetype: 'tests.store' })).toBe(0);
  });

  it('orders by other fields, search attributes included', async () => {
    expect(await ids(undefined, [{ field: 'BusinessId', desc: false }])).toEqual(['invoice-1', 'invoice-2', 'invoice_3', 'order-1', 'order-2', 'order-3']);
    // Attributes order as jsonb: strings before numbers, then numbers numerically; missing last.
    expect(await ids(undefined, [{ field: 'Count', desc: false }])).toEqual(['invoice-1', 'order-1', 'order-3', 'order-2', 'invoice-2', 'invoice_3']);
    expect(await ids(undefined, [{ field: 'CloseTime', desc: true }])).toEqual(['invoice-2', 'order-1', 'order-3', 'invoice_3', 'invoice-1', 'order-2']);
  });

  it('pages with stable tokens under every ordering', async () => {
    const orders: (VisibilityQuery['orderBy'] | undefined)[] = [
      undefined,
      [{ field: 'StartTime', desc: false }],
      [{ field: 'Count', desc: false }],
      [{ field: 'Count', desc: true }],
      [{ field: 'CloseTime', desc: false }],
      [{ field: 'CloseTime', desc: true }],
      [{ field: 'Status', desc: false }, { field: 'StartTime', desc: true }],
      [{ field: 'Owner', desc: true }],
      // The first term bounds the scan (afterTokenSql): descending and ascending NOT NULL columns.
      [{ field: 'StartTime', desc: true }],
      [{ field: 'BusinessId', desc: true }],
      [{ field: 'RunId', desc: false }],
      [{ field: 'Status', desc: true }, { field: 'BusinessId', desc: false }],
    ];
    for (const orderBy of orders) {
      const all = await ids(undefined, orderBy);
      for (const pageSize of [1, 2, 4]) {
        const seen: string[] = [];
        let pageToken: string | undefined;
        let pages = 0;
        do {
          const page = await store.listVisibility({
            namespaceId: 'ns',
            archetype: 'tests.store',
            pageSize,
            ...(orderBy ? { orderBy } : {}),
            ...(pageToken !== undefined ? { pageToken } : {}),
          });
          expect(page.records.length).toBeLessThanOrEqual(pageSize);
          seen.push(...page.records.map((r) => r.businessId));
          pageToken = page.nextPageToken;
          expect(++pages).toBeLessThan(20);
        } while (pageToken !== undefined);
        expect(seen, JSON.stringify({ orderBy, pageSize })).toEqual(all);
      }
    }
  });

  it('rejects malformed or foreign page tokens', async () => {
    const first = await store.listVisibility({ namespaceId: 'ns', archetype: 'tests.store', pageSize: 2 });
    const token = first.nextPageToken;
    expect(token).toBeDefined();
    const q = { namespaceId: 'ns', archetype: 'tests.store', pageSize: 2 };
    await expect(store.listVisibility({ ...q, pageToken: 'not base64 json' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.listVisibility({ ...q, orderBy: [{ field: 'Count', desc: false }], pageToken: token! })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.listVisibility({ ...q, pageSize: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('never overwrites a record with an older transition count', async () => {
    const base = rec('vis-1', { archetype: 'tests.vis', transitionCount: 2, searchAttributes: { v: 2 } });
    const list = async () =>
      (await store.listVisibility({ namespaceId: 'ns', archetype: 'tests.vis', pageSize: 10 })).records.map((r) => [
        r.transitionCount,
        r.searchAttributes['v'],
        r.status,
      ]);
    await store.writeVisibility(lease, [base], []);
    await store.writeVisibility(lease, [{ ...base, transitionCount: 1, searchAttributes: { v: 1 }, status: 'failed' }], []);
    expect(await list()).toEqual([[2, 2, 'running']]);
    // An equal count rewrites (an idempotent retry).
    await store.writeVisibility(lease, [{ ...base, searchAttributes: { v: 22 } }], []);
    expect(await list()).toEqual([[2, 22, 'running']]);
    // In one batch the newest record of an execution wins, whatever its position.
    await store.writeVisibility(
      lease,
      [
        { ...base, transitionCount: 5, searchAttributes: { v: 5 }, status: 'completed', closeTime: minute(30) },
        { ...base, transitionCount: 4, searchAttributes: { v: 4 } },
      ],
      [],
    );
    expect(await list()).toEqual([[5, 5, 'completed']]);
  });

  it('returns search attribute names exactly as written (only columns are mapped to camelCase)', async () => {
    const searchAttributes = { snake_case_name: 1, CamelName: 'x', nested_obj: { inner_key: true }, 'with space': ['a_b'] };
    await store.writeVisibility(lease, [rec('names-1', { archetype: 'tests.names', searchAttributes })], []);
    const page = await store.listVisibility({ namespaceId: 'ns', archetype: 'tests.names', pageSize: 10 });
    expect(page.records.map((r) => r.searchAttributes)).toEqual([searchAttributes]);
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'tests.names', filter: cmp('snake_case_name', '=', 1) })).toBe(1);
  });

  it('deletes the finished visibility tasks in the same statement', async () => {
    const k = { namespaceId: 'ns', businessId: 'vis-task', archetype: 'tests.vistask', runId: 'r1' };
    await store.createExecution({
      lease,
      execution: {
        ...k,
        shardId: 0,
        status: 'running',
        transitionCount: 1,
        dbVersion: 1,
        startTime: minute(0),
        closeTime: null,
        startRequestId: 'q',
        requestIds: [],
      },
      nodes: [],
      tasks: [
        { ...k, shardId: 0, taskId: 'vt-1', kind: 'visibility', typeName: 'core.visibility', path: '', componentInitialTc: 1, createdTc: 1, fireAt: null, payload: new Uint8Array() },
      ],
      current: { mode: 'create' },
    });
    await store.writeVisibility(lease, [rec('vis-task', { archetype: 'tests.vistask', runId: 'r1' })], ['vt-1']);
    expect((await store.loadExecution(k))?.tasks).toEqual([]);
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'tests.vistask' })).toBe(1);
  });
});
