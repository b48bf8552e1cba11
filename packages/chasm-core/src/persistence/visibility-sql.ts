import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { InvalidArgumentError } from '../errors.js';
import type { VisibilityRow } from './schema.js';
import type { ExecutionStatus, VisibilityFilter, VisibilityQuery, VisibilityRecord, VisibilityValue } from './store.js';

/**
 * Translates visibility filters, orderings and page tokens into SQL fragments over the
 * `visibility` table. Every value is a bound parameter; only whitelisted operators and column
 * names are spliced in.
 *
 * Built-in fields map to columns. Any other field is a key of the `search_attributes` jsonb,
 * compared by the type of the value it is compared with: numbers numerically, dates (Date or an
 * ISO date-time string) as timestamps, other strings as text in byte order. A stored array (a
 * keyword list) matches when any of its elements does.
 *
 * Predicates are two-valued: a missing attribute (or JSON null) makes a comparison false, never
 * SQL NULL, so `not` is an exact complement and matches Temporal's Elasticsearch semantics.
 */

type Sql = RawBuilder<unknown>;
type Op = '=' | '!=' | '<' | '>' | '<=' | '>=';
const OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '>', '<=', '>=']);

type BuiltinType = 'text' | 'status' | 'time';
interface Builtin {
  readonly column: 'business_id' | 'run_id' | 'status' | 'start_time' | 'close_time';
  readonly type: BuiltinType;
}
const BUILTINS: Readonly<Record<string, Builtin>> = {
  BusinessId: { column: 'business_id', type: 'text' },
  RunId: { column: 'run_id', type: 'text' },
  Status: { column: 'status', type: 'status' },
  ExecutionStatus: { column: 'status', type: 'status' },
  StartTime: { column: 'start_time', type: 'time' },
  CloseTime: { column: 'close_time', type: 'time' },
};

function builtin(field: string): Builtin | undefined {
  return Object.hasOwn(BUILTINS, field) ? BUILTINS[field] : undefined;
}

const STATUSES: readonly ExecutionStatus[] = [
  'running',
  'paused',
  'completed',
  'failed',
  'canceled',
  'terminated',
  'timedOut',
  'continuedAsNew',
];
const STATUS_BY_LOWER = new Map(STATUSES.map((s) => [s.toLowerCase(), s]));

/** Accepts Temporal's spelling ('Running', 'TimedOut') as well as the stored one ('running'). */
function normalizeStatus(v: string): string {
  return STATUS_BY_LOWER.get(v.toLowerCase()) ?? v;
}

/** A JS-side value is a date if it is a Date or an ISO-8601 date-time string. */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
/**
 * The SQL-side guard before casting a stored string to timestamptz: a failed cast would abort
 * the whole query, so only well-formed ISO date-times are cast (calendar-impossible days such as
 * Feb 30 still slip through; stored dates come from `toISOString()`, so they do not occur).
 */
const SQL_ISO_DATETIME =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[T ]([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$';

type ValueClass = 'boolean' | 'number' | 'date' | 'string';

function classify(v: Exclude<VisibilityValue, null>): ValueClass {
  if (v instanceof Date) return 'date';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  return ISO_DATETIME.test(v) ? 'date' : 'string';
}

function toIso(field: string, v: VisibilityValue): string {
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) throw new InvalidArgumentError(field, `${field}: not a valid time: ${String(v)}`);
  return d.toISOString();
}

function checkOp(field: string, op: string): Op {
  if (!OPS.has(op)) throw new InvalidArgumentError(field, `${field}: unsupported operator ${op}`);
  return op as Op;
}

const TRUE = sql<SqlBool>`true`;
const FALSE = sql<SqlBool>`false`;

/** The WHERE fragment of a filter; `undefined` means no filter. */
export function filterSql(filter: VisibilityFilter | undefined): RawBuilder<SqlBool> {
  if (filter === undefined) return TRUE;
  switch (filter.kind) {
    case 'and':
    case 'or': {
      if (filter.clauses.length === 0) return filter.kind === 'and' ? TRUE : FALSE;
      const parts = filter.clauses.map((c) => sql`(${filterSql(c)})`);
      return sql<SqlBool>`${sql.join(parts, filter.kind === 'and' ? sql` and ` : sql` or `)}`;
    }
    case 'not':
      return sql<SqlBool>`not (${filterSql(filter.clause)})`;
    case 'compare':
      return compare(filter.field, checkOp(filter.field, filter.op), filter.value);
    case 'in':
      if (filter.values.length === 0) return FALSE;
      return sql<SqlBool>`(${sql.join(
        filter.values.map((v) => compare(filter.field, '=', v)),
        sql` or `,
      )})`;
    case 'between':
      return sql<SqlBool>`(${compare(filter.field, '>=', filter.low)} and ${compare(filter.field, '<=', filter.high)})`;
    case 'startsWith':
      return startsWith(filter.field, filter.prefix);
    case 'isNull': {
      const isNull = nullCheck(filter.field);
      return filter.negate === true ? sql<SqlBool>`not (${isNull})` : isNull;
    }
  }
}

function compare(field: string, op: Op, value: VisibilityValue): RawBuilder<SqlBool> {
  const b = builtin(field);
  if (value === null) {
    if (op === '=') return nullCheck(field);
    if (op === '!=') return sql<SqlBool>`not (${nullCheck(field)})`;
    throw new InvalidArgumentError(field, `${field}: cannot compare with null using ${op}`);
  }
  if (b !== undefined) {
    const col = sql.ref(`visibility.${b.column}`);
    const v =
      b.type === 'time'
        ? sql`${toIso(field, value)}::timestamptz`
        : b.type === 'status'
          ? sql`${normalizeStatus(String(value))}`
          : sql`${String(value)}`;
    const cmp = sql<SqlBool>`${col} ${sql.raw(op === '!=' ? '<>' : op)} ${v}`;
    // Only close_time is nullable. Comparing it with NULL yields false rather than SQL NULL, so
    // `not (CloseTime > t)` includes open executions (as Temporal's Elasticsearch visibility does).
    return b.column === 'close_time' ? sql<SqlBool>`coalesce(${cmp}, false)` : cmp;
  }
  return compareAttribute(field, op, value);
}

/** The attribute's value as jsonb (SQL NULL when the key is absent). */
function attr(name: string): Sql {
  return sql`(visibility.search_attributes -> ${name}::text)`;
}

/** True when some element of the attribute (the value itself if it is not an array) satisfies `pred(e.v)`. */
function anyElement(name: string, pred: (elem: Sql) => Sql): RawBuilder<SqlBool> {
  const a = attr(name);
  return sql<SqlBool>`exists (select 1 from jsonb_array_elements(case jsonb_typeof(${a}) when 'array' then ${a} else jsonb_build_array(${a}) end) as e(v) where ${pred(sql`e.v`)})`;
}

function typed(cls: 'number' | 'string' | 'date', e: Sql): Sql {
  switch (cls) {
    case 'number':
      return sql`(case when jsonb_typeof(${e}) = 'number' then (${e})::numeric end)`;
    case 'string':
      return sql`((case when jsonb_typeof(${e}) = 'string' then ${e} #>> '{}' end) collate "C")`;
    case 'date':
      // CASE guarantees the guard runs before the cast, which would otherwise abort the query.
      return sql`(case when jsonb_typeof(${e}) = 'string' and (${e} #>> '{}') ~ ${SQL_ISO_DATETIME} then (${e} #>> '{}')::timestamptz end)`;
  }
}

function compareAttribute(name: string, op: Op, value: Exclude<VisibilityValue, null>): RawBuilder<SqlBool> {
  const cls = classify(value);
  // Set and not JSON null. Two-valued on purpose (never SQL NULL), so `not` inverts exactly.
  const present = sql<SqlBool>`coalesce(jsonb_typeof(${attr(name)}) <> 'null', false)`;
  if (cls === 'boolean' || ((cls === 'number' || cls === 'string') && (op === '=' || op === '!='))) {
    // Containment is served by the GIN index. `{"k": v}` matches a scalar; `{"k": [v]}` matches
    // a keyword list holding v (jsonb containment does not unwrap arrays inside objects).
    if (cls === 'boolean' && op !== '=' && op !== '!=') {
      throw new InvalidArgumentError(name, `${name}: booleans support only = and !=`);
    }
    const eq = sql<SqlBool>`(visibility.search_attributes @> ${JSON.stringify({ [name]: value })}::jsonb or visibility.search_attributes @> ${JSON.stringify({ [name]: [value] })}::jsonb)`;
    return op === '=' ? eq : sql<SqlBool>`(${present} and not ${eq})`;
  }
  const param =
    cls === 'date'
      ? sql`${toIso(name, value)}::timestamptz`
      : cls === 'number'
        ? sql`${value}::numeric`
        : sql`${String(value)}::text`;
  if (op === '!=') {
    return sql<SqlBool>`(${present} and not ${anyElement(name, (e) => sql`${typed(cls, e)} = ${param}`)})`;
  }
  return anyElement(name, (e) => sql`${typed(cls, e)} ${sql.raw(op)} ${param}`);
}

function nullCheck(field: string): RawBuilder<SqlBool> {
  const b = builtin(field);
  if (b !== undefined) return sql<SqlBool>`${sql.ref(`visibility.${b.column}`)} is null`;
  return sql<SqlBool>`coalesce(jsonb_typeof(${attr(field)}) = 'null', true)`;
}

function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function startsWith(field: string, prefix: string): RawBuilder<SqlBool> {
  const b = builtin(field);
  if (b !== undefined) {
    if (b.type === 'time') throw new InvalidArgumentError(field, `${field}: startsWith needs a text field`);
    // With the "C" collation a btree index can serve LIKE 'prefix%'.
    return sql<SqlBool>`${sql.ref(`visibility.${b.column}`)} like ${likePrefix(prefix)}`;
  }
  return anyElement(field, (e) => sql`${typed('string', e)} like ${likePrefix(prefix)}`);
}

// ---------------------------------------------------------------------------------------------
// Ordering and keyset paging

/** One ORDER BY term, with how to read its value off a record for the page cursor. */
interface OrderTerm {
  readonly key: string;
  readonly expr: Sql;
  readonly desc: boolean;
  /** The column is NOT NULL, so `expr >= v` bounds an ascending scan exactly (see `afterTokenSql`). */
  readonly notNull: boolean;
  /** The value as stored in the cursor; undefined means SQL NULL. */
  readonly read: (r: VisibilityRecord) => unknown;
  /** The cursor value back as a typed SQL parameter. */
  readonly param: (v: unknown) => Sql;
}

function orderTerm(field: string, desc: boolean): OrderTerm {
  const b = builtin(field);
  if (b !== undefined) {
    const expr = sql.ref(`visibility.${b.column}`);
    const key = `${b.column}:${desc ? 'd' : 'a'}`;
    switch (b.column) {
      case 'start_time':
        return { key, expr, desc, notNull: true, read: (r) => r.startTime.toISOString(), param: (v) => sql`${v}::timestamptz` };
      case 'close_time':
        return { key, expr, desc, notNull: false, read: (r) => r.closeTime?.toISOString(), param: (v) => sql`${v}::timestamptz` };
      case 'business_id':
        return { key, expr, desc, notNull: true, read: (r) => r.businessId, param: (v) => sql`${v}::text` };
      case 'run_id':
        return { key, expr, desc, notNull: true, read: (r) => r.runId, param: (v) => sql`${v}::text` };
      case 'status':
        return { key, expr, desc, notNull: true, read: (r) => r.status, param: (v) => sql`${v}::text` };
    }
  }
  // Attributes order as jsonb (numbers numerically; same-format ISO strings chronologically).
  return {
    key: `sa.${field}:${desc ? 'd' : 'a'}`,
    expr: attr(field),
    desc,
    notNull: false,
    read: (r) => r.searchAttributes[field],
    param: (v) => sql`${JSON.stringify(v)}::jsonb`,
  };
}

/**
 * The full ordering of a query: the requested terms (default StartTime DESC, RunId), then
 * BusinessId and RunId as tie-breakers so the order is total and keyset paging is exact.
 */
export function orderTerms(orderBy: VisibilityQuery['orderBy']): readonly OrderTerm[] {
  const requested = orderBy === undefined || orderBy.length === 0 ? [{ field: 'StartTime', desc: true }, { field: 'RunId', desc: false }] : orderBy;
  const terms = requested.map((o) => orderTerm(o.field, o.desc));
  const seen = new Set(terms.map((t) => t.key.split(':')[0]));
  for (const tie of ['BusinessId', 'RunId']) {
    const t = orderTerm(tie, false);
    if (!seen.has(t.key.split(':')[0])) terms.push(t);
  }
  return terms;
}

/** ORDER BY body. Nulls placement is spelled out because the keyset predicate depends on it. */
export function orderSql(terms: readonly OrderTerm[]): Sql {
  return sql.join(
    terms.map((t) => sql`${t.expr} ${sql.raw(t.desc ? 'desc nulls first' : 'asc nulls last')}`),
    sql`, `,
  );
}

/** The cursor stored in a page token: the order's fingerprint and the last row's values. */
interface Cursor {
  readonly o: string;
  /** Per term: null for SQL NULL, else [value]. */
  readonly v: readonly (readonly [unknown] | null)[];
}

function fingerprint(terms: readonly OrderTerm[]): string {
  return terms.map((t) => t.key).join(',');
}

export function encodePageToken(terms: readonly OrderTerm[], last: VisibilityRecord): string {
  const cursor: Cursor = {
    o: fingerprint(terms),
    v: terms.map((t) => {
      const v = t.read(last);
      return v === undefined ? null : [v];
    }),
  };
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodePageToken(terms: readonly OrderTerm[], token: string): Cursor {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('pageToken', 'pageToken: malformed page token');
  }
  const c = cursor as Partial<Cursor> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    c.o !== fingerprint(terms) ||
    !Array.isArray(c.v) ||
    c.v.length !== terms.length ||
    !c.v.every((x) => x === null || (Array.isArray(x) && x.length === 1))
  ) {
    throw new InvalidArgumentError('pageToken', 'pageToken: does not belong to this query');
  }
  return c as Cursor;
}

/**
 * Rows strictly after the cursor in the given order: OR over i of (terms before i equal, term i
 * after). With `asc nulls last` a NULL cursor value has nothing after it; with `desc nulls
 * first` everything non-null comes after it.
 *
 * The OR alone is exact but no index condition: Postgres cannot turn it into a range, so a scan
 * of the order's index started at the top and filtered every row before the cursor (page n read
 * n pages). So the first term's bound is ANDed in as well, implied by the OR and sargable:
 * `expr <= v` when descending (nulls come first, so everything after a non-null cursor is
 * non-null and at most v), `expr >= v` when ascending on a NOT NULL column (on a nullable one,
 * `or expr is null` would be needed, which no btree range serves, so none is added).
 */
export function afterTokenSql(terms: readonly OrderTerm[], token: string | undefined): RawBuilder<SqlBool> {
  if (token === undefined || token === '') return TRUE;
  const cursor = decodePageToken(terms, token);
  const branches: Sql[] = [];
  const equalSoFar: Sql[] = [];
  terms.forEach((t, i) => {
    const cv = cursor.v[i] ?? null;
    let after: Sql | undefined;
    let equal: Sql;
    if (cv === null) {
      after = t.desc ? sql`${t.expr} is not null` : undefined;
      equal = sql`${t.expr} is null`;
    } else {
      const p = t.param(cv[0]);
      after = t.desc ? sql`${t.expr} < ${p}` : sql`(${t.expr} > ${p} or ${t.expr} is null)`;
      equal = sql`${t.expr} = ${p}`;
    }
    if (after !== undefined) branches.push(sql`(${sql.join([...equalSoFar, after], sql` and `)})`);
    equalSoFar.push(equal);
  });
  if (branches.length === 0) return FALSE;
  const after = sql<SqlBool>`(${sql.join(branches, sql` or `)})`;
  const first = terms[0];
  const cv0 = cursor.v[0] ?? null;
  if (first === undefined || cv0 === null || (!first.desc && !first.notNull)) return after;
  const p0 = first.param(cv0[0]);
  return sql<SqlBool>`(${first.expr} ${sql.raw(first.desc ? '<=' : '>=')} ${p0} and ${after})`;
}

// ---------------------------------------------------------------------------------------------
// Whole statements

/**
 * The statement behind `listVisibility`: one page plus one row (which tells whether another page
 * exists without a count). Exported so the visibility bench can EXPLAIN exactly what the store runs.
 */
export function listVisibilitySql(query: VisibilityQuery, terms: readonly OrderTerm[] = orderTerms(query.orderBy)): RawBuilder<VisibilityRow> {
  return sql<VisibilityRow>`
      select * from visibility
      where visibility.namespace_id = ${query.namespaceId}::text and visibility.archetype = ${query.archetype}::text
        and (${filterSql(query.filter)}) and ${afterTokenSql(terms, query.pageToken)}
      order by ${orderSql(terms)}
      limit ${query.pageSize + 1}::int`;
}

/** The statement behind `countVisibility`. */
export function countVisibilitySql(query: Omit<VisibilityQuery, 'pageSize' | 'pageToken' | 'orderBy'>): RawBuilder<{ n: number }> {
  return sql<{ n: number }>`
      select count(*) as n from visibility
      where visibility.namespace_id = ${query.namespaceId}::text and visibility.archetype = ${query.archetype}::text
        and (${filterSql(query.filter)})`;
}
