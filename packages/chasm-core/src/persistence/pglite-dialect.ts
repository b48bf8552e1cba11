import { parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/**
 * A Kysely dialect for PGlite (embedded Postgres in WASM). PGlite has one session, so a
 * connection is an exclusive lease on it: a statement outside a transaction must never slip
 * into another caller's open transaction.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  private tail: Promise<void> = Promise.resolve();
  private readonly statements: StatementCache;
  private readonly releases = new Map<DatabaseConnection, () => void>();
  constructor(private readonly pg: PGlite) {
    this.statements = statementsOf(pg);
  }
  async init(): Promise<void> {
    await this.pg.waitReady;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    // One physical session; a fresh wrapper per lease lets us find the right release.
    const conn = new PGliteConnection(this.pg, this.statements);
    this.releases.set(conn, release);
    return conn;
  }
  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    const release = this.releases.get(conn);
    this.releases.delete(conn);
    release?.();
  }
  async destroy(): Promise<void> {
    await this.pg.close();
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(
    private readonly pg: PGlite,
    private readonly statements: StatementCache,
  ) {}
  async executeQuery<R>(cq: CompiledQuery): Promise<QueryResult<R>> {
    const r = await runStatement<R>(this.pg, this.statements, cq.sql, cq.parameters);
    return r.affectedRows !== undefined && r.affectedRows !== null
      ? { rows: r.rows, numAffectedRows: BigInt(r.affectedRows) }
      : { rows: r.rows };
  }
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming');
  }
}

const { serialize } = protocol;

/** A statement prepared once in the session under `name`, with the parameter types Postgres inferred. */
interface Prepared {
  readonly name: string;
  readonly types: readonly number[];
}

let statementNames = 0;

/** The statement cache of a PGlite session: one per cluster, whichever dialects share it. */
export function statementsOf(pg: PGlite): StatementCache {
  let cache = caches.get(pg);
  if (cache === undefined) {
    cache = new StatementCache();
    caches.set(pg, cache);
  }
  return cache;
}
const caches = new WeakMap<PGlite, StatementCache>();

/**
 * Named statements of the one PGlite session, by text. Bounded: texts that vary (an `in` list
 * of another length) must not grow it without end; the oldest goes first and is closed with the
 * next message. Forgotten whole after a statement that may change the schema (DDL), since a
 * statement prepared before it could then infer other types or fail on its cached plan.
 */
export class StatementCache {
  readonly #byText = new Map<string, Prepared>();
  #toClose: string[] = [];
  constructor(readonly capacity = 256) {}
  get(text: string): Prepared | undefined {
    return this.#byText.get(text);
  }
  /** A fresh statement name, unique in the process (not yet in the cache: `add` it once prepared). */
  newName(): string {
    return `chasm_${++statementNames}`;
  }
  add(text: string, prepared: Prepared): void {
    if (this.#byText.size >= this.capacity) {
      const oldest = this.#byText.entries().next();
      if (!oldest.done) {
        this.#byText.delete(oldest.value[0]);
        this.#toClose.push(oldest.value[1].name);
      }
    }
    this.#byText.set(text, prepared);
  }
  forgetAll(): void {
    for (const p of this.#byText.values()) this.#toClose.push(p.name);
    this.#byText.clear();
  }
  /** Close messages for the statements forgotten since the last call. */
  takeCloses(): Uint8Array[] {
    if (this.#toClose.length === 0) return [];
    const closes = this.#toClose.map((name) => serialize.close({ type: 'S', name }));
    this.#toClose = [];
    return closes;
  }
  get size(): number {
    return this.#byText.size;
  }
}

/**
 * One statement, as `PGlite.query` runs it (the same mutexes, parameter serialisers, result
 * parsers and errors) but in one protocol exchange instead of six, and planned once per text
 * instead of at every run. `query` sends parse, describe-statement, bind, describe-portal,
 * execute and sync one at a time, each a pass through the WebAssembly backend's main loop and
 * its own result parsing, and writes every parameter twice through a JavaScript UTF-8 length
 * loop. Here a DML text is prepared under a name the first time it is seen (parse + describe
 * statement: the parameter types), and every run is bind + describe portal + execute + sync in
 * one message, the bind written with Node's own UTF-8 (issue 16, ADR 0062). Other statements
 * (transaction control, maintenance, DDL) go unnamed, also in one message when they have no
 * parameters. An error anywhere makes Postgres skip to the sync, so the session is ready for the
 * next statement exactly as after `query`.
 */
export async function runStatement<R>(
  pg: PGlite,
  statements: StatementCache,
  text: string,
  params: readonly unknown[],
): Promise<Results<R>> {
  return pg._runExclusiveTransaction(() =>
    pg._runExclusiveQuery(async () => {
      const dml = DML.test(text);
      if (!dml && !SCHEMA_SAFE.test(text)) statements.forgetAll();
      let prepared = dml ? statements.get(text) : undefined;
      let head: Uint8Array[] = statements.takeCloses();
      if (prepared === undefined && (dml || params.length > 0)) {
        const name = dml ? statements.newName() : '';
        const described = await pg.execProtocol(Buffer.concat([...head, serialize.parse({ text, name }), serialize.describe({ type: 'S', name }), serialize.sync()]), {
          syncToFs: false,
        });
        head = [];
        prepared = { name, types: parse.parseDescribeStatementResults(described.messages) };
        // A DML text stays prepared by name; any other is the unnamed statement just parsed, which
        // lasts until the next unnamed parse (nothing else runs in between: the mutexes).
        if (dml) statements.add(text, prepared);
      } else if (prepared === undefined) {
        prepared = { name: '', types: [] };
        head.push(serialize.parse({ text }));
      }
      const types = prepared.types;
      const values = params.map((v, i) => {
        if (v === null || v === undefined) return null;
        const serializer = pg.serializers[types[i] ?? 0];
        return serializer ? serializer(v) : String(v);
      });
      const message = Buffer.concat([...head, bindMessage(prepared.name, values), DESCRIBE_PORTAL, EXECUTE, SYNC]);
      const { messages } = await pg.execProtocol(message);
      const result = parse.parseResults(messages, pg.parsers)[0];
      if (result === undefined) throw new Error('PGlite returned no result for a statement');
      // The rows are whatever the statement selects; the caller's type says what that is.
      return result as unknown as Results<R>;
    }),
  );
}

/** Statements whose parameter types and plan only the schema decides: these are prepared by name. */
const DML = /^\s*(select|insert|update|delete|with)\b/i;
/** Statements that cannot change the schema (the named statements stay). */
const SCHEMA_SAFE = /^\s*(begin|commit|rollback|savepoint|release|start transaction|set|show|vacuum|analyze|checkpoint)\b/i;

const DESCRIBE_PORTAL = serialize.describe({ type: 'P' });
const EXECUTE = serialize.execute({});
const SYNC = serialize.sync();

/**
 * A Bind message (unnamed portal, every parameter and result in text format): what
 * `serialize.bind` writes, with Node's native UTF-8 length and copy instead of a JavaScript
 * character loop run twice over each value (a `chasm_write` call's JSON is ~15 KB).
 */
export function bindMessage(statement: string, values: readonly (string | null)[]): Uint8Array {
  let size = 4 + 1 + Buffer.byteLength(statement) + 1 + 2 + 2 + 2;
  const lengths = values.map((v) => (v === null ? -1 : Buffer.byteLength(v)));
  for (const l of lengths) size += 4 + Math.max(l, 0);
  const out = Buffer.allocUnsafe(1 + size);
  let at = out.writeUInt8(0x42, 0); // 'B'
  at = out.writeInt32BE(size, at);
  at = out.writeUInt8(0, at); // unnamed portal
  at += out.write(statement, at, 'utf8');
  at = out.writeUInt8(0, at);
  at = out.writeInt16BE(0, at); // no parameter format codes: all text
  at = out.writeInt16BE(values.length, at);
  values.forEach((v, i) => {
    const length = lengths[i] ?? -1;
    at = out.writeInt32BE(length, at);
    if (v !== null) at += out.write(v, at, 'utf8');
  });
  at = out.writeInt16BE(0, at); // no result format codes: all text
  return out.subarray(0, at);
}
