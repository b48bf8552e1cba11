import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '@chasm/core';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEXUS_ENDPOINTS, nexusPlugin, type EndpointRegistry } from '../src/index.js';
import { Code, grpcError, restartableDatabases } from './helpers.js';

type Spec = temporal.api.nexus.v1.IEndpointSpec;
type Target = temporal.api.nexus.v1.IEndpointTarget;
type Endpoint = temporal.api.nexus.v1.IEndpoint;
/** int64 request fields are typed as Long; protobufjs encodes a plain number just as well. */
type Int64 = NonNullable<temporal.api.operatorservice.v1.IDeleteNexusEndpointRequest['version']>;
const int64 = (n: number): Int64 => n as unknown as Int64;

const SETTINGS = { nexus: { maxPageSize: 50, maxDescriptionBytes: 1000 } };
const worker = (taskQueue = 'tq', namespace = 'default'): Target => ({ worker: { namespace, taskQueue } });
const spec = (name: string, target: Target = worker()): Spec => ({ name, target });
const encoding = (s: string) => new TextEncoder().encode(s);
const num = (v: unknown): number => Number(v);

/**
 * The endpoint registry end to end: a runtime that knows no feature loads nexusPlugin (and the
 * matching it requires), and the official client's OperatorService talks to it over real gRPC,
 * on each database.
 */
describe.each(restartableDatabases())('Nexus endpoint registry on $name', (dialect) => {
  let database: { config: DatabaseConfig; drop(): Promise<void> };
  let server: TestServer;
  let connection: Connection;
  const ops = () => connection.operatorService;

  const start = async () => {
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], database: database.config, namespaces: ['default', 'other'], settings: SETTINGS, metricsPort: 0 });
    connection = await Connection.connect({ address: server.address });
  };
  const stop = async () => {
    await connection?.close();
    await server?.stop();
  };

  beforeAll(async () => {
    database = await dialect.open();
    await start();
  });
  afterAll(async () => {
    await stop();
    await database?.drop();
  });

  /** Every endpoint, paging with `pageSize`. */
  const listAll = async (pageSize = 7): Promise<Endpoint[]> => {
    const out: Endpoint[] = [];
    let nextPageToken: Uint8Array | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const res = await ops().listNexusEndpoints({ pageSize, ...(nextPageToken ? { nextPageToken } : {}) });
      out.push(...(res.endpoints ?? []));
      if (!res.nextPageToken?.length) return out;
      nextPageToken = res.nextPageToken;
    }
    throw new Error('paging did not end');
  };
  const snapshot = async () => (await listAll(50)).map((e) => `${e.id}@${num(e.version)}:${e.spec?.name}`);
  const create = async (s: Spec): Promise<Endpoint> => (await ops().createNexusEndpoint({ spec: s })).endpoint!;

  it('creates, reads, updates and deletes an endpoint, bumping its version', async () => {
    const description = { metadata: { encoding: encoding('json/plain') }, data: encoding('"payments"') };
    const created = await create({ name: 'crud-round-trip', description, target: worker('payments') });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(num(created.version)).toBe(1);
    expect(created.urlPrefix).toBe(`/nexus/endpoints/${created.id}/services`);
    expect(num(created.createdTime?.seconds)).toBeGreaterThan(Date.now() / 1000 - 60);
    // As in Temporal: no last-modified time until the first update.
    expect(created.lastModifiedTime).toBeFalsy();
    expect(created.spec?.name).toBe('crud-round-trip');
    expect(created.spec?.target?.worker).toMatchObject({ namespace: 'default', taskQueue: 'payments' });
    expect(Buffer.from(created.spec!.description!.data!).toString()).toBe('"payments"');
    expect(Buffer.from(created.spec!.description!.metadata!['encoding']!).toString()).toBe('json/plain');

    const got = (await ops().getNexusEndpoint({ id: created.id! })).endpoint!;
    expect(got.id).toBe(created.id);
    expect(num(got.version)).toBe(1);
    expect(got.spec?.name).toBe('crud-round-trip');

    const updated = (
      await ops().updateNexusEndpoint({ id: created.id!, version: int64(1), spec: spec('crud-renamed', { external: { url: 'https://example.com/nexus' } }) })
    ).endpoint!;
    expect(num(updated.version)).toBe(2);
    expect(updated.id).toBe(created.id);
    expect(updated.spec?.name).toBe('crud-renamed');
    expect(updated.spec?.target?.external?.url).toBe('https://example.com/nexus');
    expect(updated.spec?.description).toBeFalsy();
    expect(num(updated.createdTime?.seconds)).toBe(num(created.createdTime?.seconds));
    expect(num(updated.lastModifiedTime?.seconds)).toBeGreaterThanOrEqual(num(created.createdTime?.seconds));

    const again = (await ops().updateNexusEndpoint({ id: created.id!, version: int64(2), spec: spec('crud-renamed', worker('tq2', 'other')) })).endpoint!;
    expect(num(again.version)).toBe(3);
    expect(again.spec?.target?.worker).toMatchObject({ namespace: 'other', taskQueue: 'tq2' });
    // The old name is free again and the new one is found by the name filter.
    expect((await ops().listNexusEndpoints({ name: 'crud-round-trip' })).endpoints).toEqual([]);
    expect((await ops().listNexusEndpoints({ name: 'crud-renamed' })).endpoints?.map((e) => e.id)).toEqual([created.id]);

    await ops().deleteNexusEndpoint({ id: created.id!, version: int64(3) });
    const gone = await grpcError(() => ops().getNexusEndpoint({ id: created.id! }), Code.NOT_FOUND);
    expect(gone.details).toContain(created.id);
    expect((await ops().listNexusEndpoints({ name: 'crud-renamed' })).endpoints).toEqual([]);
  });

  it('refuses a second endpoint with a taken name, on create and on rename', async () => {
    const first = await create(spec('dup-name'));
    const before = await snapshot();
    const err = await grpcError(() => create(spec('dup-name', { external: { url: 'http://x.example' } })), Code.ALREADY_EXISTS);
    expect(err.details).toContain('dup-name');
    const other = await create(spec('dup-other'));
    await grpcError(() => ops().updateNexusEndpoint({ id: other.id!, version: int64(1), spec: spec('dup-name') }), Code.ALREADY_EXISTS);
    // Neither the refused create nor the refused rename changed anything.
    const after = await snapshot();
    expect(after.filter((e) => !e.includes('dup-other'))).toEqual(before);
    expect((await ops().getNexusEndpoint({ id: first.id! })).endpoint?.spec?.name).toBe('dup-name');
    expect(num((await ops().getNexusEndpoint({ id: other.id! })).endpoint?.version)).toBe(1);
  });

  it('lets exactly one of several racing creates of one name win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => create(spec('racing', worker(`race-${i}`)))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(Code.ALREADY_EXISTS);
    expect((await ops().listNexusEndpoints({ name: 'racing' })).endpoints).toHaveLength(1);
  });

  it('refuses a stale version with FAILED_PRECONDITION and an unknown id with NOT_FOUND', async () => {
    const e = await create(spec('versioned'));
    await ops().updateNexusEndpoint({ id: e.id!, version: int64(1), spec: spec('versioned', worker('tq-2')) });
    const stale = await grpcError(() => ops().updateNexusEndpoint({ id: e.id!, version: int64(1), spec: spec('versioned', worker('tq-3')) }), Code.FAILED_PRECONDITION);
    expect(stale.details).toMatch(/version mismatch.*received: 1 expected 2/);
    await grpcError(() => ops().updateNexusEndpoint({ id: e.id!, version: int64(3), spec: spec('versioned') }), Code.FAILED_PRECONDITION);
    await grpcError(() => ops().deleteNexusEndpoint({ id: e.id!, version: int64(1) }), Code.FAILED_PRECONDITION);
    const kept = (await ops().getNexusEndpoint({ id: e.id! })).endpoint!;
    expect(num(kept.version)).toBe(2);
    expect(kept.spec?.target?.worker?.taskQueue).toBe('tq-2');

    const unknown = randomUUID();
    for (const call of [
      () => ops().getNexusEndpoint({ id: unknown }),
      () => ops().updateNexusEndpoint({ id: unknown, version: int64(1), spec: spec('versioned-x') }),
      () => ops().deleteNexusEndpoint({ id: unknown, version: int64(1) }),
    ]) {
      expect((await grpcError(call, Code.NOT_FOUND)).details).toContain(unknown);
    }
  });

  describe('bad input: INVALID_ARGUMENT naming the field, and nothing stored', () => {
    let existingId: string;
    beforeAll(async () => {
      existingId = (await create(spec('bad-input-target'))).id!;
    });
    const longName = 'a'.repeat(201);
    const bigDescription = { metadata: { encoding: encoding('binary/plain') }, data: new Uint8Array(2000) };
    const cases: [string, string, () => Promise<unknown>][] = [
      ['no spec', 'spec', () => ops().createNexusEndpoint({})],
      ['no name', 'spec.name', () => create({ target: worker() })],
      ['an underscore in the name', 'spec.name', () => create(spec('bad_name'))],
      ['a name starting with a digit', 'spec.name', () => create(spec('1bad'))],
      ['a name ending with a dash', 'spec.name', () => create(spec('bad-'))],
      ['a space in the name', 'spec.name', () => create(spec('bad name'))],
      ['a name over 200 characters', 'spec.name', () => create(spec(longName))],
      ['no target', 'spec.target', () => create({ name: 'no-target' })],
      ['an empty target', 'spec.target', () => create({ name: 'empty-target', target: {} })],
      ['a worker target without namespace', 'spec.target.worker.namespace', () => create(spec('no-ns', { worker: { taskQueue: 'tq' } }))],
      ['an unknown namespace', 'spec.target.worker.namespace', () => create(spec('ghost-ns', worker('tq', 'ghost')))],
      ['a worker target without task queue', 'spec.target.worker.task_queue', () => create(spec('no-tq', { worker: { namespace: 'default' } }))],
      ['a reserved task queue', 'spec.target.worker.task_queue', () => create(spec('sys-tq', worker('/_sys/tq/1')))],
      ['a task queue over 1000 characters', 'spec.target.worker.task_queue', () => create(spec('long-tq', worker('q'.repeat(1001))))],
      ['an external target without URL', 'spec.target.external.url', () => create(spec('no-url', { external: {} }))],
      ['a URL that does not parse', 'spec.target.external.url', () => create(spec('bad-url', { external: { url: 'not a url' } }))],
      ['a URL that is not http(s)', 'spec.target.external.url', () => create(spec('ftp-url', { external: { url: 'ftp://example.com/x' } }))],
      ['a description over the limit', 'spec.description', () => create({ ...spec('big-description'), description: bigDescription })],
      ['an update without version', 'version', () => ops().updateNexusEndpoint({ id: existingId, spec: spec('bad-input-target', worker('changed')) })],
      ['an update with a negative version', 'version', () => ops().updateNexusEndpoint({ id: existingId, version: int64(-1), spec: spec('bad-input-target') })],
      ['an update without id', 'id', () => ops().updateNexusEndpoint({ version: int64(1), spec: spec('bad-input-target') })],
      ['an update with a bad spec', 'spec.target.external.url', () => ops().updateNexusEndpoint({ id: existingId, version: int64(1), spec: spec('bad-input-target', { external: { url: 'mailto:x@y' } }) })],
      ['a delete without version', 'version', () => ops().deleteNexusEndpoint({ id: existingId })],
      ['a delete with a malformed id', 'id', () => ops().deleteNexusEndpoint({ id: 'not-a-uuid', version: int64(1) })],
      ['a get without id', 'id', () => ops().getNexusEndpoint({})],
      ['a list with a negative page size', 'page_size', () => ops().listNexusEndpoints({ pageSize: -1 })],
      ['a list page over maxPageSize', 'page_size', () => ops().listNexusEndpoints({ pageSize: 51 })],
      ['a list with a foreign page token', 'next_page_token', () => ops().listNexusEndpoints({ nextPageToken: encoding('garbage') })],
    ];
    it.each(cases)('%s -> %s', async (_what, field, call) => {
      const before = await snapshot();
      const err = await grpcError(call, Code.INVALID_ARGUMENT);
      expect(err.details.startsWith(`${field}: `), `"${err.details}" starts with "${field}: "`).toBe(true);
      expect(await snapshot()).toEqual(before);
    });
  });

  it('pages in name order and filters by exact name', async () => {
    const names = ['page-e', 'page-a', 'page-d', 'page-b', 'page-c'];
    for (const n of names) await create(spec(n));
    for (const pageSize of [1, 2, 3, 50]) {
      const all = (await listAll(pageSize)).map((e) => e.spec!.name!);
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(all);
      expect(all.filter((n) => n.startsWith('page-'))).toEqual([...names].sort());
    }
    // A page of two after 'page-a' continues from there.
    const first = await ops().listNexusEndpoints({ pageSize: 2, name: '' });
    expect(first.endpoints).toHaveLength(2);
    expect(first.nextPageToken?.length).toBeGreaterThan(0);
    // The name filter is exact, and ignores paging, as in Temporal.
    const byName = await ops().listNexusEndpoints({ name: 'page-c', pageSize: 1 });
    expect(byName.endpoints?.map((e) => e.spec?.name)).toEqual(['page-c']);
    expect(byName.nextPageToken?.length ?? 0).toBe(0);
    expect((await ops().listNexusEndpoints({ name: 'page' })).endpoints).toEqual([]);
  });

  it('serves the caller side (EndpointRegistry) from a cache that every change drops', async () => {
    const registry = server.container.get<EndpointRegistry>(NEXUS_ENDPOINTS);
    expect(await registry.getByName('cached')).toBeUndefined();
    const e = await create(spec('cached', worker('cached-tq')));
    expect(await registry.getByName('cached')).toMatchObject({ id: e.id, version: int64(1), target: { kind: 'worker', namespace: 'default', taskQueue: 'cached-tq' } });
    expect((await registry.getById(e.id!))?.name).toBe('cached');
    await ops().updateNexusEndpoint({ id: e.id!, version: int64(1), spec: spec('cached-2', { external: { url: 'http://127.0.0.1:1/x' } }) });
    expect(await registry.getByName('cached')).toBeUndefined();
    expect(await registry.getByName('cached-2')).toMatchObject({ id: e.id, version: int64(2), target: { kind: 'external', url: 'http://127.0.0.1:1/x' } });
    await ops().deleteNexusEndpoint({ id: e.id!, version: int64(2) });
    expect(await registry.getById(e.id!)).toBeUndefined();
  });

  it('counts committed changes in chasm_nexus_endpoint_changes_total', async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const value = (change: string) => Number(new RegExp(`chasm_nexus_endpoint_changes_total\\{change="${change}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(value('created')).toBeGreaterThan(5);
    expect(value('updated')).toBeGreaterThan(2);
    expect(value('deleted')).toBeGreaterThan(0);
  });

  it('keeps endpoints across a restart on the same database', async () => {
    const kept = await create({ name: 'survivor', description: { metadata: {}, data: encoding('kept') }, target: worker('survive-tq', 'other') });
    const updated = (await ops().updateNexusEndpoint({ id: kept.id!, version: int64(1), spec: { ...spec('survivor', worker('survive-tq-2', 'other')), description: { data: encoding('kept') } } })).endpoint!;
    const before = await snapshot();
    await stop();
    await start();
    expect(await snapshot()).toEqual(before);
    const got = (await ops().getNexusEndpoint({ id: kept.id! })).endpoint!;
    expect(num(got.version)).toBe(2);
    expect(got.spec?.target?.worker).toMatchObject({ namespace: 'other', taskQueue: 'survive-tq-2' });
    expect(Buffer.from(got.spec!.description!.data!).toString()).toBe('kept');
    expect(num(got.createdTime?.seconds)).toBe(num(updated.createdTime?.seconds));
    expect(num(got.lastModifiedTime?.seconds)).toBe(num(updated.lastModifiedTime?.seconds));
    // The restarted registry keeps enforcing names and versions from the stored rows.
    await grpcError(() => create(spec('survivor')), Code.ALREADY_EXISTS);
    await grpcError(() => ops().deleteNexusEndpoint({ id: kept.id!, version: int64(1) }), Code.FAILED_PRECONDITION);
    const registry = server.container.get<EndpointRegistry>(NEXUS_ENDPOINTS);
    expect((await registry.getByName('survivor'))?.id).toBe(kept.id);
  });
});

describe('nexus settings', () => {
  it('refuses a bad setting at start, naming it', async () => {
    await expect(startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], settings: { nexus: { maxPageSize: 0 } } })).rejects.toThrow(/^settings\.nexus\.maxPageSize: /);
    await expect(startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], settings: { nexus: { pageSize: 10 } } })).rejects.toThrow(/settings\.nexus/);
  });
});
