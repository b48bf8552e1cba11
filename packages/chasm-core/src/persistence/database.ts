import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import type pgTypes from 'pg';
import { classifyingDialect } from './classifying-dialect.js';
import { DatabaseStats } from './database-stats.js';
import { checkPGliteDataDir } from './pglite-data-dir.js';
import { PGliteDialect } from './pglite-dialect.js';
import { openMemoryPGlite } from './pglite-snapshot.js';
import { prewarmedPGliteOptions } from './pglite-prewarm.js';
import { preparedStatement, type PreparedStatement } from './prepared-statement.js';

/** Where data lives: a Postgres server, or embedded PGlite (in memory, or in a directory). */
export type DatabaseConfig =
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly poolSize?: number;
      /** How long a statement waits for a connection (a free one, or a new one) before failing UNAVAILABLE. */
      readonly connectTimeoutMs?: number;
      /**
       * Named prepared statements for the hot writes (default true, ADR 0055). False for a pooler
       * that does not keep them per client (pgbouncer in transaction mode before 1.21, or without
       * `max_prepared_statements`): `prepare` is then absent and writes go unnamed through Kysely.
       */
      readonly preparedStatements?: boolean;
    }
  | {
      readonly kind: 'pglite';
      readonly dataDir?: string;
      /** Between two VACUUMs by `PGliteVacuum` (default 30 s; 0: never). PGlite has no autovacuum. */
      readonly vacuumIntervalMs?: number;
      /**
       * A VACUUM also starts once this much WAL was written since the last one (default 8 MiB;
       * 0: by the interval only), so dead rows are reused after a volume of writes, not only
       * after a time (ADR 0059).
       */
      readonly vacuumWalBytes?: number;
      /**
       * In memory only: boot from a dump taken right after this composition's migrations (and
       * write it on the first boot that finds none), so a boot runs neither initdb nor a
       * migration. The dev server sets it; tests that start many compositions leave it off.
       */
      readonly preparedDump?: boolean;
    };

/** True for an embedded PGlite cluster without a directory: everything it holds ends with the process. */
export function isInMemoryDatabase(config: DatabaseConfig): boolean {
  return config.kind === 'pglite' && (config.dataDir === undefined || config.dataDir === 'memory://');
}

/** An open database. `db` is untyped here; each store narrows it with its own schema type. */
export interface Database {
  readonly config: DatabaseConfig;
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Round trips and transactions so far (exported as `chasm_db_*` metrics). */
  readonly stats: DatabaseStats;
  /**
   * Postgres only: `text` as the named prepared statement `name`, run on the pool outside Kysely
   * and counted in `stats` like any statement (ADR 0055). For fixed-shape hot statements; one
   * `text` per name. Absent on PGlite, whose statements run in-process (no parse to save that
   * matters against its single-threaded executor); callers fall back to Kysely.
   */
  readonly prepare?: <R>(name: string, text: string) => PreparedStatement<R>;
  close(): Promise<void>;
}

/**
 * The Postgres driver, loaded when a Postgres database is opened: an embedded (PGlite) server
 * never needs it, and importing it is part of every start (ADR 0047).
 */
async function loadPg(): Promise<typeof pgTypes> {
  return (await import('pg')).default;
}

const INT8_OID = 20;
/** Generous: under heavy load statements queue for a pooled connection for a while, legitimately. */
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const NUMERIC_OID = 1700;

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === 'postgres') {
    const pg = await loadPg();
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize ?? 10,
      // Without a bound, a statement waits forever for a connection when the server is
      // unreachable without refusing (a dropped network): fail it instead, as UNAVAILABLE.
      connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Dead peers (a crashed host) are noticed by TCP keep-alive instead of never.
      keepAlive: true,
      // bigint columns hold counters and ids that fit in a double; read them as numbers.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format)) as typeof pgTypes.types.getTypeParser,
      },
    });
    // An idle client that dies (server restart, admin termination) is emitted as 'error' on the
    // pool; unhandled, that event crashes the process. The pool already discards the client and
    // the next checkout opens a fresh connection, so there is nothing more to do here.
    pool.on('error', () => {});
    // A checked-out client whose connection drops (Postgres stopped, backend terminated) emits
    // 'error' on the client itself, which the pool does not listen to while it is lent out:
    // unhandled, that too ends the process. The statement in flight fails on its own, and the
    // pool drops the broken client when it comes back, so the listener only has to exist.
    pool.on('connect', (client) => client.on('error', () => {}));
    const stats = new DatabaseStats();
    const db = new Kysely<any>({ dialect: classifyingDialect(new PostgresDialect({ pool }), stats) }); // eslint-disable-line @typescript-eslint/no-explicit-any
    if (config.preparedStatements === false) return { config, db, stats, close: () => db.destroy() };
    const prepare = <R>(name: string, text: string): PreparedStatement<R> => preparedStatement<R>(pool, stats, name, text);
    return { config, db, stats, prepare, close: () => db.destroy() };
  }
  const inMemory = isInMemoryDatabase(config);
  if (!inMemory && config.dataDir !== undefined) checkPGliteDataDir(config.dataDir);
  const lite = inMemory ? await openMemoryPGlite(PGLITE_MEMORY_OPTIONS) : new PGlite(config.dataDir, { ...PGLITE_OPTIONS, ...(await prewarmedPGliteOptions()) });
  return pgliteDatabase(config, lite);
}

/** How every PGlite cluster of the server is opened (in memory, in a directory, or from a dump). */
export const PGLITE_OPTIONS = {
  parsers: { [INT8_OID]: (v: string) => Number(v), [NUMERIC_OID]: (v: string) => Number(v) },
  // Postgres' 128 MB default buffer pool is zeroed at start inside the WebAssembly heap and
  // stays resident: with 32 MB a boot costs ~0.9 s less CPU and ~50 MB less RSS; 32 → 8 MB
  // saved another ~0.6 s and ~25 MB, and 16 MB sits between (ADR 0033). The data itself lives
  // in memory (or in files the OS caches) anyway, so a miss is a copy, not a seek.
  startParams: [
    ...PGlite.defaultStartParams,
    '-c',
    'shared_buffers=16MB',
    // No maintenance_work_mem=4MB any more (ADR 0050 set it): it only shrank PGlite 0.4.6's leak
    // of WebAssembly memory at each VACUUM that removes index entries. 0.6.1 does not leak, and
    // on it 4 MB and the default 64 MB keep the same memory, even vacuuming 1,000,000 dead rows
    // at once: the dead-tuple store grows with what it holds, not to the bound (ADR 0052).
  ],
};

/**
 * An in-memory cluster's WAL lives in the process's memory like every other file. Its segments
 * are 1 MB there (`MEMORY_INITDB_PARAMS`). A standalone backend checkpoints only when told
 * (`PGliteVacuum` does, after each VACUUM); a checkpoint then keeps about `max_wal_size` of
 * recycled segments and at least `min_wal_size` (2 MB, two segments: the smallest allowed).
 * PGlite's default, 64 MB, would be 64 MB of RSS once a busy dev server has written that much
 * (ADR 0038). A directory-backed cluster keeps Postgres' defaults: its WAL is on disk.
 */
export const PGLITE_MEMORY_OPTIONS = {
  ...PGLITE_OPTIONS,
  startParams: [...PGLITE_OPTIONS.startParams, '-c', 'min_wal_size=2MB', '-c', 'max_wal_size=4MB'],
};

/** Wraps an open PGlite cluster as a Database. */
export async function pgliteDatabase(config: DatabaseConfig & { kind: 'pglite' }, lite: PGlite): Promise<Database> {
  await lite.waitReady;
  const stats = new DatabaseStats();
  const db = new Kysely<any>({ dialect: classifyingDialect(new PGliteDialect(lite), stats) }); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { config, db, stats, close: () => db.destroy() };
}

/**
 * Runs a package's migrations. Each package owns its tables and its own migration table, so
 * packages can be composed freely. Migrations are a static record (never globbed from disk),
 * frozen in time: change schema by adding a migration, never by editing one.
 */
export async function migrate(
  database: Database,
  migrationTableName: string,
  migrations: Readonly<Record<string, Migration>>,
): Promise<void> {
  // A set this process already brought up to date on this database needs no second look: the
  // Migrator's check alone is two catalog introspections, a lock and a transaction (~0.2–1 s
  // of a PGlite boot), and the execution store's init repeats the core set after the server's
  // start ran it (or loaded a dump that has it).
  if (isMigrated(database, migrationTableName, migrations)) return;
  const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };
  const migrator = new Migrator({
    db: database.db,
    provider,
    migrationTableName,
    migrationLockTableName: `${migrationTableName}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} in ${migrationTableName} failed: ${String(error)}`, {
      cause: error,
    });
  }
  markMigrated(database, migrationTableName, migrations);
}

/** Per open database: migration table → the names of the migrations known to be applied. */
const migrated = new WeakMap<Database, Map<string, string>>();

function migrationKey(migrations: Readonly<Record<string, Migration>>): string {
  return Object.keys(migrations).sort().join('\n');
}

/**
 * Records that every migration of a set is applied on `database` (after `migrate`, or when the
 * database came from a dump taken after them), so a later `migrate` of the same set is free.
 */
export function markMigrated(database: Database, migrationTableName: string, migrations: Readonly<Record<string, Migration>>): void {
  let tables = migrated.get(database);
  if (!tables) migrated.set(database, (tables = new Map()));
  tables.set(migrationTableName, migrationKey(migrations));
}

function isMigrated(database: Database, migrationTableName: string, migrations: Readonly<Record<string, Migration>>): boolean {
  return migrated.get(database)?.get(migrationTableName) === migrationKey(migrations);
}

/** Test/bench helper: a fresh, empty Postgres database (created on the server if missing). */
export async function createPostgresDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = new (await loadPg()).Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Test/bench helper: drops a database created by `createPostgresDatabase`, ending its sessions. */
export async function dropPostgresDatabase(baseUrl: string, name: string): Promise<void> {
  const admin = new (await loadPg()).Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
