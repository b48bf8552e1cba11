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
  deleted_at: Date | string | null;
  delete_delay_ms: number | string | null;
  purged_at: Date | string | null;
}

/** Where a deleted namespace's purge stands (ADR 0036); kept in its row, so a restart goes on. */
export interface NamespaceDeletion {
  /** When DeleteNamespace marked it; undefined for namespaces deleted before this was kept. */
  readonly deletedAt: Date | undefined;
  /** How long its row stays once its data is gone (Temporal's namespace delete delay). */
  readonly delayMs: number;
  /** When its data was found gone everywhere; undefined while the purge goes on. */
  readonly purgedAt: Date | undefined;
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
  async listInState(state: NamespaceState): Promise<(NamespaceRecord & { readonly deletion: NamespaceDeletion })[]> {
    const rows = (await this.database.db.selectFrom('namespaces').selectAll().where('state', '=', state).orderBy('name').execute()) as NamespaceRow[];
    return rows.map((row) => ({
      ...toRecord(row),
      deletion: {
        deletedAt: toDate(row.deleted_at),
        delayMs: Number(row.delete_delay_ms ?? 0),
        purgedAt: toDate(row.purged_at),
      },
    }));
  }

  /** Records that a deleted namespace's data is gone (once: a later pass keeps the first time). */
  async markPurged(id: string, deletedState: NamespaceState, at: Date): Promise<void> {
    await this.database.db
      .updateTable('namespaces')
      .set({ purged_at: at })
      .where('id', '=', id)
      .where('state', '=', deletedState)
      .where('purged_at', 'is', null)
      .execute();
  }

  /** Removes a deleted namespace's row for good; only a row still in `deletedState`. */
  async remove(id: string, deletedState: NamespaceState): Promise<boolean> {
    const result = await this.database.db.deleteFrom('namespaces').where('id', '=', id).where('state', '=', deletedState).executeTakeFirst();
    return BigInt(result.numDeletedRows ?? 0) > 0n;
  }

  /**
   * Writes `ns` if the row is still at `expectedVersion`. Returns false if another writer won
   * (or, for a rename, the new name is taken).
   */
  async update(ns: NamespaceWrite, expectedVersion: number, deletion?: { readonly deletedAt: Date; readonly delayMs: number }): Promise<boolean> {
    try {
      const result = await this.database.db
        .updateTable('namespaces')
        .set({
          name: ns.name,
          state: ns.state,
          data: encodeNamespaceData(ns),
          version: expectedVersion + 1,
          ...(deletion ? { deleted_at: deletion.deletedAt, delete_delay_ms: deletion.delayMs } : {}),
        })
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

function toDate(v: Date | string | null): Date | undefined {
  if (v === null) return undefined;
  return v instanceof Date ? v : new Date(v);
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}
