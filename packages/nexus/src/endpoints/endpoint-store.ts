import type { Kysely } from 'kysely';
import { EndpointNameTakenError, EndpointNotFoundError, EndpointVersionMismatchError } from '../errors.js';
import type { EndpointSpec, NexusEndpoint } from './endpoint.js';
import { rowToEndpoint, specToJson, type NexusDatabase } from './endpoint-row.js';

/** A page of endpoints in name order; `nextAfterName` is set when more may follow. */
export interface EndpointPage {
  readonly endpoints: readonly NexusEndpoint[];
  readonly nextAfterName: string | undefined;
}

/**
 * The durable registry: one statement per call. Concurrency is the database's: the unique name
 * index decides racing creates and renames, and update and delete are conditional on the
 * version, so a writer that read an older version changes nothing and learns why afterwards.
 */
export class EndpointStore {
  readonly #db: Kysely<NexusDatabase>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(db: Kysely<any>) {
    this.#db = db as Kysely<NexusDatabase>;
  }

  async create(id: string, spec: EndpointSpec, now: Date): Promise<NexusEndpoint> {
    const row = await this.#db
      .insertInto('nexus_endpoints')
      .values({ id, name: spec.name, version: 1, spec: specToJson(spec), created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(nameTaken(spec.name));
    return rowToEndpoint(row);
  }

  async update(id: string, version: number, spec: EndpointSpec, now: Date): Promise<NexusEndpoint> {
    const row = await this.#db
      .updateTable('nexus_endpoints')
      .set((eb) => ({ name: spec.name, spec: specToJson(spec), version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst()
      .catch(nameTaken(spec.name));
    if (row) return rowToEndpoint(row);
    throw await this.#whyNot(id, version);
  }

  async delete(id: string, version: number): Promise<void> {
    const r = await this.#db.deleteFrom('nexus_endpoints').where('id', '=', id).where('version', '=', version).executeTakeFirst();
    if (Number(r.numDeletedRows) === 1) return;
    throw await this.#whyNot(id, version);
  }

  async get(id: string): Promise<NexusEndpoint | undefined> {
    const row = await this.#db.selectFrom('nexus_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToEndpoint(row) : undefined;
  }

  async getByName(name: string): Promise<NexusEndpoint | undefined> {
    const row = await this.#db.selectFrom('nexus_endpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? rowToEndpoint(row) : undefined;
  }

  /** Up to `pageSize` endpoints with names after `afterName`, in name order (the column's "C" collation). */
  async list(pageSize: number, afterName: string | undefined): Promise<EndpointPage> {
    let q = this.#db.selectFrom('nexus_endpoints').selectAll().orderBy('name').limit(pageSize + 1);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    const rows = await q.execute();
    const endpoints = rows.slice(0, pageSize).map(rowToEndpoint);
    const more = rows.length > pageSize;
    return { endpoints, nextAfterName: more ? endpoints[endpoints.length - 1]?.name : undefined };
  }

  /** Every endpoint (the registry's cache load; endpoints are an operator-managed, small set). */
  async all(): Promise<NexusEndpoint[]> {
    const rows = await this.#db.selectFrom('nexus_endpoints').selectAll().orderBy('name').execute();
    return rows.map(rowToEndpoint);
  }

  /** After a conditional write matched no row: the id is unknown, or its version moved on. */
  async #whyNot(id: string, version: number): Promise<Error> {
    const current = await this.get(id);
    return current ? new EndpointVersionMismatchError(version, current.version) : new EndpointNotFoundError(id);
  }
}

const UNIQUE_VIOLATION = '23505';

/** Maps the unique-name index's violation to ALREADY_EXISTS; anything else passes through. */
function nameTaken(name: string): (e: unknown) => never {
  return (e: unknown) => {
    if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === UNIQUE_VIOLATION) throw new EndpointNameTakenError(name);
    throw e;
  };
}
