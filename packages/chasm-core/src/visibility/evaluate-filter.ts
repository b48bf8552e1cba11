import { InvalidArgumentError } from '../errors.js';
import type { VisibilityFilter, VisibilityValue } from '../persistence/store.js';

/**
 * Evaluates a parsed visibility filter in memory, against any record: `valueOf(field)` gives the
 * record's value of a mapped field (null when absent). The SQL translation (visibility-sql.ts)
 * is for stored records; this is for what lives in memory (the in-memory store, matching's worker
 * registry), so every filter of the query language means the same thing in both.
 */
export function evaluateFilter(filter: VisibilityFilter, valueOf: (field: string) => unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.clauses.every((c) => evaluateFilter(c, valueOf));
    case 'or':
      return filter.clauses.some((c) => evaluateFilter(c, valueOf));
    case 'not':
      return !evaluateFilter(filter.clause, valueOf);
    case 'compare':
      return compare(valueOf(filter.field), filter.op, filter.value);
    case 'in':
      return filter.values.some((v) => compare(valueOf(filter.field), '=', v));
    case 'between':
      return compare(valueOf(filter.field), '>=', filter.low) && compare(valueOf(filter.field), '<=', filter.high);
    case 'startsWith': {
      const v = valueOf(filter.field);
      return typeof v === 'string' && v.startsWith(filter.prefix);
    }
    case 'isNull': {
      const isNull = (valueOf(filter.field) ?? null) === null;
      return filter.negate ? !isNull : isNull;
    }
  }
}

/** Dates (and ISO date strings) compare as instants. */
function norm(v: unknown): number | string | boolean | null {
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return Date.parse(v);
  return v as number | string | boolean | null;
}

function compare(a: unknown, op: string, b: VisibilityValue): boolean {
  if (Array.isArray(a)) return op === '=' ? a.includes(b) : op === '!=' ? !a.includes(b) : false;
  const x = norm(a);
  const y = norm(b);
  if (x === null) return op === '!=' ? y !== null : false;
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return y !== null && x < y;
    case '>':
      return y !== null && x > y;
    case '<=':
      return y !== null && x <= y;
    case '>=':
      return y !== null && x >= y;
    default:
      throw new InvalidArgumentError('query', `unknown operator ${op}`);
  }
}
