import type { Database } from '@chasm/core';
import {
  decodeNamespaceData,
  encodeNamespaceData,
  type NamespaceData,
  type NamespaceRecord,
  type NamespaceState,
} from './namespace-record.js';

interface NamespaceRow {
  id: string;
  name: string;
  state: string;
  data: Uint8Array;
  version: number;
  created_at: Date | string;
}

/** A namespace to insert or write back (the version is managed by the store). */
export type NamespaceWrite = NamespaceData & { readonly id: string; readonly name: string; readonly state: NamespaceState };

/**
 * The `namespaces` table, on whichever dialect the shared Database uses (PGlite or Postgres).
 * Writes are conditional on the row's version: a lost race is reported, never overwritten.
 */
export class NamespaceStore {
  constructor(private readonly database: Database) {}

  /** Inserts a new namespace; false if the name is taken. */
  async insert(ns: NamespaceWrite, createdAt: Date): Promise<boolean> {
    const inserted = await this.database.db
      .insertInto('namespaces')
      .values({
        id: ns.id,
        name: ns.name,
        state: ns.state,
        data: encodeNamespaceData(ns),
        version: 1,
        created_at: createdAt,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async getByName(name: string): Promise<NamespaceRecord | undefined> {
    const row = (await this.database.db.selectFrom('namespaces').selectAll().where('name', '=', name).executeTakeFirst()) as
      | NamespaceRow
      | undefined;
    return row && toRecord(row);
  }

  async getById(id: string): Promise<NamespaceRecord | undefined> {
    if (!UUID.test(id)) return undefined; // not a uuid: cannot exist, and Postgres would reject the cast
    const row = (await this.database.db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst()) as
      | NamespaceRow
      | undefined;
    return row && toRecord(row);
  }

  /** Namespaces ordered by name, strictly after `afterName`. */
  async list(options: { afterName: string | undefined; limit: number; includeDeleted: boolean; deletedState: NamespaceState }): Promise<NamespaceRecord[]> {
    let q = this.database.db.selectFrom('namespaces').selectAll().orderBy('name').limit(options.limit);
    if (options.afterName !== undefined) q = q.where('name', '>', options.afterName);
    if (!options.includeDeleted) q = q.where('state', '!=', options.deletedState);
    const rows = (await q.execute()) as NamespaceRow[];
    return rows.map(toRecord);
  }

  /** Every namespace in `state` (few: used for the deleted ones, whose data is being removed). */
  async listInState(state: NamespaceState): Promise<NamespaceRecord[]> {
    const rows = (await this.database.db.selectFrom('namespaces').selectAll().where('state', '=', state).orderBy('name').execute()) as NamespaceRow[];
    return rows.map(toRecord);
  }

  /**
   * Writes `ns` if the row is still at `expectedVersion`. Returns false if another writer won
   * (or, for a rename, the new name is taken).
   */
  async update(ns: NamespaceWrite, expectedVersion: number): Promise<boolean> {
    try {
      const result = await this.database.db
        .updateTable('namespaces')
        .set({ name: ns.name, state: ns.state, data: encodeNamespaceData(ns), version: expectedVersion + 1 })
        .where('id', '=', ns.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return BigInt(result.numUpdatedRows ?? 0) > 0n;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(row: NamespaceRow): NamespaceRecord {
  return {
    ...decodeNamespaceData(row.data),
    id: row.id,
    name: row.name,
    state: row.state as NamespaceState,
    version: row.version,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}
