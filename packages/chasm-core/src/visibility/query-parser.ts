import { InvalidArgumentError } from '../errors.js';
import type { VisibilityFilter, VisibilityQuery, VisibilityValue } from '../persistence/store.js';
import type { SearchAttributeType } from '../component/component-type.js';

/**
 * Temporal's visibility query language (the SQL-like `query` of List/Count RPCs), parsed into the
 * framework's `VisibilityFilter` and ordering, which `visibility-sql.ts` translates. What differs
 * between archetypes (which names can be queried, what they map to, status names, GROUP BY and
 * ORDER BY support, error wording) is a `VisibilityQueryLanguage` the feature passes in.
 *
 * Grammar: comparisons (`=`, `!=`, `<>`, `<`, `>`, `<=`, `>=`), `[NOT] IN (…)`, `[NOT] BETWEEN … AND …`,
 * `[NOT] STARTS_WITH '…'`, `IS [NOT] NULL`, `AND` (binds tighter than `OR`), `NOT`, parentheses,
 * then `ORDER BY field [ASC|DESC], …` and `GROUP BY field`. Keywords are case-insensitive, names
 * are not. Strings take single or double quotes (a doubled quote or a backslash escapes); a name
 * may be backticked. Errors are INVALID_ARGUMENT on `query` and say the 1-based position.
 */

/**
 * A search-attribute type as Temporal names it (`IndexedValueType` without its prefix), the same
 * names a root component declares in `searchAttributeTypes`.
 */
export type SearchAttributeTypeName = SearchAttributeType;

/** One queryable name of an archetype. */
export interface VisibilityQueryField {
  /**
   * The `VisibilityFilter` field it maps to: a built-in column ('BusinessId', 'RunId', 'Status',
   * 'StartTime', 'CloseTime') or a search-attribute key of the archetype's visibility record.
   */
  readonly field: string;
  readonly type: SearchAttributeTypeName;
  /**
   * The only string values it takes (e.g. status names): matched case-insensitively and passed on
   * in this spelling; any other string is refused.
   */
  readonly values?: readonly string[];
}

/** What an archetype's List/Count queries may say. */
export interface VisibilityQueryLanguage {
  /** Query name (e.g. 'WorkflowId') → what it maps to. */
  readonly fields: Readonly<Record<string, VisibilityQueryField>>;
  /** Custom search attributes (name → type, e.g. registered for the namespace), queried under their own name. */
  readonly customAttributes?: ReadonlyMap<string, SearchAttributeTypeName>;
  /** Query names GROUP BY accepts (Temporal: only ExecutionStatus); none means no GROUP BY. */
  readonly groupBy?: readonly string[];
  /** Whether ORDER BY is accepted (default true). */
  readonly orderBy?: boolean;
  /** How errors call a queryable name (default 'search attribute'). */
  readonly fieldNoun?: string;
  /** Whether an unknown name's error lists the known ones (default false; custom attributes are never listed). */
  readonly listFieldsInErrors?: boolean;
}

export interface ParsedVisibilityQuery {
  readonly filter: VisibilityFilter | undefined;
  /** Mapped fields; empty means the store's default order. */
  readonly orderBy: NonNullable<VisibilityQuery['orderBy']>;
  /** The mapped field of GROUP BY (Count only), if any. */
  readonly groupBy: string | undefined;
}

type Op = '=' | '!=' | '<' | '>' | '<=' | '>=';

type Token =
  | { readonly t: 'ident'; readonly v: string; readonly pos: number }
  | { readonly t: 'string'; readonly v: string; readonly pos: number }
  | { readonly t: 'number'; readonly v: number; readonly pos: number }
  | { readonly t: 'op'; readonly v: Op; readonly pos: number }
  | { readonly t: 'punct'; readonly v: '(' | ')' | ','; readonly pos: number }
  | { readonly t: 'end'; readonly pos: number };

/** Types whose values are text, so STARTS_WITH applies. */
const TEXT_TYPES: ReadonlySet<string> = new Set(['Keyword', 'Text', 'KeywordList']);

/** `hint` follows the position, so the position stays next to what it points at. */
function fail(message: string, pos: number, hint = ''): never {
  throw new InvalidArgumentError('query', `invalid query: ${message} at position ${pos + 1}${hint}`);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) fail('unterminated string', start);
        const d = src[i]!;
        if (d === '\\' && i + 1 < src.length) {
          v += src[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          if (src[i + 1] === c) {
            v += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += d;
        i++;
      }
      out.push({ t: 'string', v, pos: start });
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail('unterminated quoted name', start);
      out.push({ t: 'ident', v: src.slice(i + 1, end), pos: start });
      i = end + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c, pos: start });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=' || two === '<>') {
      out.push({ t: 'op', v: two === '<>' ? '!=' : two, pos: start });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ t: 'op', v: c, pos: start });
      i++;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num && (c === '-' || /\d/.test(c))) {
      out.push({ t: 'number', v: Number(num[0]), pos: start });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'ident', v: id[0], pos: start });
      i += id[0].length;
      continue;
    }
    fail(`unexpected character '${c}'`, start);
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

/** A queryable name resolved against the language. */
interface Resolved extends VisibilityQueryField {
  readonly name: string;
}

/** Parses a List/Count query; an empty (or absent) query has no filter and no ordering. */
export function parseVisibilityQuery(query: string | null | undefined, language: VisibilityQueryLanguage): ParsedVisibilityQuery {
  const toks = tokenize(query ?? '');
  const noun = language.fieldNoun ?? 'search attribute';
  let p = 0;
  const peek = (): Token => toks[p]!;
  const isKw = (kw: string, tok: Token = peek()): boolean => tok.t === 'ident' && tok.v.toUpperCase() === kw;
  const expectKw = (kw: string): void => {
    if (!isKw(kw)) fail(`expected ${kw}`, peek().pos);
    p++;
  };
  const isPunct = (v: '(' | ')' | ','): boolean => {
    const t = peek();
    return t.t === 'punct' && t.v === v;
  };
  const expectPunct = (v: '(' | ')' | ','): void => {
    if (!isPunct(v)) fail(`expected '${v}'`, peek().pos);
    p++;
  };

  const resolve = (name: string): Resolved | undefined => {
    if (Object.hasOwn(language.fields, name)) return { name, ...language.fields[name]! };
    const custom = language.customAttributes?.get(name);
    return custom === undefined ? undefined : { name, field: name, type: custom };
  };

  const field = (): Resolved => {
    const t = peek();
    if (t.t !== 'ident') fail(`expected a ${noun} name`, t.pos);
    p++;
    const f = resolve(t.v);
    if (f) return f;
    const known = language.listFieldsInErrors ? ` (supported: ${Object.keys(language.fields).join(', ')})` : '';
    fail(`unknown ${noun} '${t.v}'`, t.pos, known);
  };

  const value = (f: Resolved): VisibilityValue => {
    const t = peek();
    p++;
    if (t.t === 'string') {
      if (!f.values) return t.v;
      const canonical = f.values.find((v) => v.toLowerCase() === t.v.toLowerCase());
      if (canonical === undefined) fail(`unknown ${f.name} '${t.v}'`, t.pos, ` (expected one of ${f.values.join(', ')})`);
      return canonical;
    }
    if (t.t === 'number') return t.v;
    if (t.t === 'ident') {
      const u = t.v.toUpperCase();
      if (u === 'TRUE') return true;
      if (u === 'FALSE') return false;
      if (u === 'NULL') return null;
    }
    fail('expected a value', t.pos);
  };

  const predicate = (): VisibilityFilter => {
    const f = field();
    const t = peek();
    if (t.t === 'op') {
      p++;
      return { kind: 'compare', field: f.field, op: t.v, value: value(f) };
    }
    let negate = false;
    if (isKw('NOT')) {
      negate = true;
      p++;
    }
    const wrap = (c: VisibilityFilter): VisibilityFilter => (negate ? { kind: 'not', clause: c } : c);
    if (isKw('IN')) {
      p++;
      expectPunct('(');
      const values: VisibilityValue[] = [value(f)];
      while (isPunct(',')) {
        p++;
        values.push(value(f));
      }
      expectPunct(')');
      return wrap({ kind: 'in', field: f.field, values });
    }
    if (isKw('BETWEEN')) {
      p++;
      const low = value(f);
      expectKw('AND');
      const high = value(f);
      return wrap({ kind: 'between', field: f.field, low, high });
    }
    if (isKw('STARTS_WITH')) {
      if (!TEXT_TYPES.has(f.type)) fail(`STARTS_WITH needs a text ${noun}, '${f.name}' is ${f.type}`, peek().pos);
      p++;
      const v = peek();
      if (v.t !== 'string') fail('STARTS_WITH needs a string', v.pos);
      p++;
      return wrap({ kind: 'startsWith', field: f.field, prefix: v.v });
    }
    if (!negate && isKw('IS')) {
      p++;
      let not = false;
      if (isKw('NOT')) {
        not = true;
        p++;
      }
      expectKw('NULL');
      return { kind: 'isNull', field: f.field, negate: not };
    }
    fail('expected an operator', t.pos);
  };

  const unary = (): VisibilityFilter => {
    if (isKw('NOT')) {
      p++;
      return { kind: 'not', clause: unary() };
    }
    if (isPunct('(')) {
      p++;
      const e = orExpr();
      expectPunct(')');
      return e;
    }
    return predicate();
  };
  const andExpr = (): VisibilityFilter => {
    const clauses = [unary()];
    while (isKw('AND')) {
      p++;
      clauses.push(unary());
    }
    return clauses.length === 1 ? clauses[0]! : { kind: 'and', clauses };
  };
  const orExpr = (): VisibilityFilter => {
    const clauses = [andExpr()];
    while (isKw('OR')) {
      p++;
      clauses.push(andExpr());
    }
    return clauses.length === 1 ? clauses[0]! : { kind: 'or', clauses };
  };

  let filter: VisibilityFilter | undefined;
  if (peek().t !== 'end' && !isKw('ORDER') && !isKw('GROUP')) filter = orExpr();
  const orderBy: { field: string; desc: boolean }[] = [];
  let groupBy: string | undefined;
  while (peek().t !== 'end') {
    if (isKw('ORDER')) {
      if (language.orderBy === false) fail('ORDER BY is not supported', peek().pos);
      p++;
      expectKw('BY');
      for (;;) {
        const f = field();
        let desc = false;
        if (isKw('DESC')) {
          desc = true;
          p++;
        } else if (isKw('ASC')) p++;
        orderBy.push({ field: f.field, desc });
        if (isPunct(',')) p++;
        else break;
      }
    } else if (isKw('GROUP')) {
      p++;
      expectKw('BY');
      const pos = peek().pos;
      const f = field();
      const allowed = language.groupBy ?? [];
      if (!allowed.includes(f.name)) fail(allowed.length > 0 ? `only GROUP BY ${allowed.join(', ')} is supported` : 'GROUP BY is not supported', pos);
      groupBy = f.field;
    } else {
      fail('unexpected token', peek().pos);
    }
  }
  return { filter, orderBy, groupBy };
}
