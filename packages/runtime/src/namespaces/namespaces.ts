import { randomUUID } from 'node:crypto';
import { ConcurrentUpdateError, InvalidArgumentError, type Clock, type NamespaceResolver, type RetentionPolicy } from '@chasm/core';
import { NamespaceAlreadyExistsError, NamespaceInvalidStateError, NamespaceNotFoundError } from './namespace-errors.js';
import { ArchivalState, NamespaceState, type NamespaceData, type NamespaceRecord } from './namespace-record.js';
import type { NamespaceStore } from './namespace-store.js';
import { DEFAULT_RETENTION_SECONDS } from './namespace-validation.js';

/** What RegisterNamespace (or a configured seed) asks for; validated by the caller. */
export interface NamespaceSpec {
  readonly name: string;
  readonly description?: string;
  readonly ownerEmail?: string;
  readonly data?: Readonly<Record<string, string>>;
  /** Defaults to 24 h. */
  readonly retentionSeconds?: number;
}

/** Lookup by name or by id (DescribeNamespace and DeleteNamespace accept either). */
export interface NamespaceKey {
  readonly name?: string;
  readonly id?: string;
}

export interface NamespacePage {
  readonly namespaces: NamespaceRecord[];
  /** The last name of this page when more may follow. */
  readonly nextAfterName: string | undefined;
}

const MAX_UPDATE_ATTEMPTS = 5;
const CACHE_LIMIT = 10_000;

/**
 * Namespaces: registration, lookup, update and deletion, plus the NamespaceResolver that
 * feature handlers use to turn names into ids, and the engine's RetentionPolicy. Ids are cached
 * briefly (positive results only, so a namespace registered on another node is visible at once;
 * a renamed or deleted one can be seen by other nodes for at most `cacheTtlMs`); so is the
 * retention, so a changed retention applies to executions closing `cacheTtlMs` later at most.
 */
export class Namespaces implements NamespaceResolver, RetentionPolicy {
  private readonly byName = new Map<string, { id: string; state: NamespaceState; expiresAt: number }>();
  private readonly byId = new Map<string, { name: string; expiresAt: number }>();
  private readonly retentionById = new Map<string, { ms: number | undefined; expiresAt: number }>();
  /**
   * Reads by name in flight: when an entry expires, every call that misses waits on one read
   * instead of each starting its own (at 50 concurrent starts, 50 reads and decodes of the same
   * row every `cacheTtlMs`, queued on the pool ahead of the starts' writes; issue 16, ADR 0058).
   */
  private readonly readingByName = new Map<string, Promise<NamespaceRecord | undefined>>();

  constructor(
    private readonly store: NamespaceStore,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 10_000,
  ) {}

  async register(spec: NamespaceSpec): Promise<NamespaceRecord> {
    const id = randomUUID();
    const record = {
      id,
      name: spec.name,
      state: NamespaceState.Registered,
      description: spec.description ?? '',
      ownerEmail: spec.ownerEmail ?? '',
      data: { ...(spec.data ?? {}) },
      retentionSeconds: spec.retentionSeconds ?? DEFAULT_RETENTION_SECONDS,
      historyArchivalState: ArchivalState.Disabled,
      historyArchivalUri: '',
      visibilityArchivalState: ArchivalState.Disabled,
      visibilityArchivalUri: '',
    };
    const createdAt = this.clock.now();
    if (!(await this.store.insert(record, createdAt))) throw new NamespaceAlreadyExistsError(spec.name);
    return { ...record, version: 1, createdAt };
  }

  /** Registers the namespace unless one with that name exists (start-up seeding). */
  async ensureRegistered(spec: NamespaceSpec): Promise<NamespaceRecord> {
    const existing = await this.store.getByName(spec.name);
    if (existing) return existing;
    try {
      return await this.register(spec);
    } catch (e) {
      // Another node seeded it between our read and insert.
      const raced = await this.store.getByName(spec.name);
      if (raced) return raced;
      throw e;
    }
  }

  /** The namespace, in any state; NOT_FOUND (with NamespaceNotFoundFailure) if absent. */
  async describe(key: NamespaceKey): Promise<NamespaceRecord> {
    const record = key.id ? await this.store.getById(key.id) : key.name ? await this.store.getByName(key.name) : undefined;
    if (!record) throw new NamespaceNotFoundError(key.id || key.name || '');
    this.remember(record);
    return record;
  }

  async list(options: { pageSize: number; afterName: string | undefined; includeDeleted: boolean }): Promise<NamespacePage> {
    const rows = await this.store.list({
      afterName: options.afterName,
      limit: options.pageSize + 1,
      includeDeleted: options.includeDeleted,
      deletedState: NamespaceState.Deleted,
    });
    const more = rows.length > options.pageSize;
    const namespaces = more ? rows.slice(0, options.pageSize) : rows;
    return { namespaces, nextAfterName: more ? namespaces[namespaces.length - 1]?.name : undefined };
  }

  /**
   * Read-modify-write with optimistic versioning: `change` gets the current record and returns
   * the new details; on a lost race it runs again on the fresh record.
   */
  async update(name: string, change: (current: NamespaceRecord) => Partial<NamespaceData> & { state?: NamespaceState }): Promise<NamespaceRecord> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.store.getByName(name);
      if (!current || current.state === NamespaceState.Deleted) throw new NamespaceNotFoundError(name);
      const next = { ...current, ...change(current) };
      if (await this.store.update(next, current.version)) {
        this.forget(current);
        return { ...next, version: current.version + 1 };
      }
    }
    throw new ConcurrentUpdateError(`namespace ${name} was modified concurrently; retry`);
  }

  /**
   * Marks the namespace deleted and renames it `<name>-deleted-<id prefix>`, as Temporal does,
   * so the name can be registered again at once while the old id stays resolvable. The prefix
   * is 5 characters of the id, longer only if that name is taken (Temporal's rule). `check`
   * runs first and may refuse (a Nexus endpoint targets the namespace). The time of the delete
   * and `delayMs` (how long the row stays once the data is gone) are kept in the row, so the
   * purge goes on after a restart (ADR 0036).
   */
  async delete(key: NamespaceKey, options: { readonly delayMs: number; readonly check?: (ns: NamespaceRecord) => Promise<void> }): Promise<NamespaceRecord> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.describe(key);
      if (current.state === NamespaceState.Deleted) throw new NamespaceNotFoundError(key.id || key.name || '');
      await options.check?.(current);
      const name = await this.deletedName(current);
      const next = { ...current, name, state: NamespaceState.Deleted };
      if (await this.store.update(next, current.version, { deletedAt: this.clock.now(), delayMs: options.delayMs })) {
        this.forget(current);
        return { ...next, version: current.version + 1 };
      }
    }
    throw new ConcurrentUpdateError(`namespace ${key.name ?? key.id ?? ''} was modified concurrently; retry`);
  }

  private async deletedName(ns: NamespaceRecord): Promise<string> {
    for (let length = 5; length < ns.id.length; length++) {
      const candidate = `${ns.name}-deleted-${ns.id.slice(0, length)}`;
      if (!(await this.store.getByName(candidate))) return candidate;
    }
    return `${ns.name}-deleted-${ns.id}`;
  }

  async idOf(name: string, options?: { readonly forNewExecution?: boolean }): Promise<string> {
    // Temporal's namespace validator refuses a request naming no namespace before any lookup.
    if (!name) throw new InvalidArgumentError('namespace', 'Namespace not set on request.');
    let entry = this.byName.get(name);
    if (!entry || entry.expiresAt <= Date.now()) {
      const record = await this.readByName(name);
      if (!record || record.state === NamespaceState.Deleted) throw new NamespaceNotFoundError(name);
      entry = this.remember(record);
    }
    // The state rides in the cache, so this check costs no extra read.
    if (options?.forNewExecution && entry.state !== NamespaceState.Registered) throw new NamespaceInvalidStateError(name, entry.state);
    return entry.id;
  }

  /** DeprecateNamespace: REGISTERED (or already DEPRECATED) → DEPRECATED; NOT_FOUND if absent or deleted. */
  async deprecate(name: string): Promise<NamespaceRecord> {
    return this.update(name, () => ({ state: NamespaceState.Deprecated }));
  }

  async nameOf(id: string): Promise<string> {
    const cached = this.byId.get(id);
    if (cached && cached.expiresAt > Date.now()) return cached.name;
    const record = await this.store.getById(id);
    if (!record) throw new NamespaceNotFoundError(id);
    this.remember(record);
    return record.name;
  }

  /**
   * The engine asks at every close: how long to keep closed executions of this namespace. A
   * deleted (or unknown) namespace answers "forever": its data goes with the namespace instead
   * (see NamespacePurger).
   */
  async retentionMs(namespaceId: string): Promise<number | undefined> {
    const cached = this.retentionById.get(namespaceId);
    if (cached && cached.expiresAt > Date.now()) return cached.ms;
    const record = await this.store.getById(namespaceId);
    const ms = record && record.state !== NamespaceState.Deleted && record.retentionSeconds > 0 ? record.retentionSeconds * 1000 : undefined;
    if (this.retentionById.size >= CACHE_LIMIT) this.retentionById.clear();
    this.retentionById.set(namespaceId, { ms, expiresAt: Date.now() + this.cacheTtlMs });
    return ms;
  }

  /** One read per name at a time (see `readingByName`); a failed read fails its waiters, and the next miss reads again. */
  private readByName(name: string): Promise<NamespaceRecord | undefined> {
    let reading = this.readingByName.get(name);
    if (!reading) {
      const read = this.store.getByName(name).finally(() => {
        if (this.readingByName.get(name) === read) this.readingByName.delete(name);
      });
      this.readingByName.set(name, read);
      reading = read;
    }
    return reading;
  }

  private remember(record: NamespaceRecord): { id: string; state: NamespaceState; expiresAt: number } {
    const expiresAt = Date.now() + this.cacheTtlMs;
    const entry = { id: record.id, state: record.state, expiresAt };
    if (record.state === NamespaceState.Deleted) return entry;
    if (this.byName.size >= CACHE_LIMIT) {
      this.byName.clear();
      this.byId.clear();
    }
    this.byName.set(record.name, entry);
    this.byId.set(record.id, { name: record.name, expiresAt });
    return entry;
  }

  private forget(record: NamespaceRecord): void {
    // A read begun before this change must not be joined by calls that come after it.
    this.readingByName.delete(record.name);
    this.byName.delete(record.name);
    this.byId.delete(record.id);
    this.retentionById.delete(record.id);
  }
}
