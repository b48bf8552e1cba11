import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { isMaintenanceStatement, isWriteStatement, type DatabaseStats } from './database-stats.js';
import { classifyDatabaseError } from './transient-errors.js';

/**
 * Wraps a Kysely dialect so that every driver failure meaning "the database is away" (refused,
 * reset or ended connection, shutdown SQLSTATEs, no connection in time) leaves the persistence
 * layer as a `DatabaseUnavailableError`, whichever store ran the statement (core, matching, a
 * plugin's). Everything else passes through unchanged. One place instead of a try/catch per
 * store method; the driver is otherwise untouched. Being the one place every statement passes,
 * it also counts them into `stats` (round trips and transactions, see `DatabaseStats`).
 */
export function classifyingDialect(inner: Dialect, stats: DatabaseStats): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => new ClassifyingDriver(inner.createDriver(), stats),
  };
}

/** The driver's connection, wrapped; the driver itself is always handed the inner one back. */
class ClassifyingConnection implements DatabaseConnection {
  /** Inside an explicit transaction, and whether it wrote so far (for `stats`). */
  inTransaction = false;
  wrote = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly stats: DatabaseStats,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.count(query);
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (e) {
      throw classifyDatabaseError(e);
    }
  }

  private count(query: CompiledQuery): void {
    if (!this.inTransaction && isMaintenanceStatement(query)) {
      this.stats.maintenanceStatements++;
      return;
    }
    this.stats.roundTrips++;
    const writes = isWriteStatement(query);
    if (this.inTransaction) {
      this.wrote ||= writes;
      return;
    }
    this.stats.transactions++;
    if (writes) this.stats.writeTransactions++;
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.count(query);
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (e) {
      throw classifyDatabaseError(e);
    }
  }
}

const innerOf = (c: DatabaseConnection): DatabaseConnection => (c instanceof ClassifyingConnection ? c.inner : c);

class ClassifyingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly stats: DatabaseStats,
  ) {}

  init(): Promise<void> {
    return classified(() => this.inner.init());
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    // pg's pool fails here when no connection can be opened (refused, or its connect timeout).
    return new ClassifyingConnection(await classified(() => this.inner.acquireConnection()), this.stats);
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.stats.roundTrips++;
    if (c instanceof ClassifyingConnection) {
      c.inTransaction = true;
      c.wrote = false;
    }
    return classified(() => this.inner.beginTransaction(innerOf(c), settings));
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    this.stats.roundTrips++;
    this.stats.transactions++;
    if (c instanceof ClassifyingConnection) {
      if (c.wrote) this.stats.writeTransactions++;
      c.inTransaction = false;
    }
    return classified(() => this.inner.commitTransaction(innerOf(c)));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    this.stats.roundTrips++;
    if (c instanceof ClassifyingConnection) c.inTransaction = false;
    return classified(() => this.inner.rollbackTransaction(innerOf(c)));
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

async function classified<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyDatabaseError(e);
  }
}
