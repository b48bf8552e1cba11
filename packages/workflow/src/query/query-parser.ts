import { InvalidArgumentError, type VisibilityFilter, type VisibilityValue } from '@chasm/core';

/** A parsed List/Count query: filter, ordering and (Count only) grouping. */
export interface ParsedQuery {
  readonly filter: VisibilityFilter | undefined;
  readonly orderBy: readonly { readonly field: string; readonly desc: boolean }[];
  readonly groupBy: string | undefined;
}

/** Built-in query fields and the visibility field each maps to. */
const BUILTIN_FIELDS: Readonly<Record<string, string>> = {
  WorkflowId: 'BusinessId',
  RunId: 'RunId',
  ExecutionStatus: 'Status',
  StartTime: 'StartTime',
  CloseTime: 'CloseTime',
  WorkflowType: 'WorkflowType',
  TaskQueue: 'TaskQueue',
  ExecutionTime: 'ExecutionTime',
};

/** System search attributes workers may upsert without registering them. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, string>> = {
  TemporalChangeVersion: 'KeywordList',
  BuildIds: 'KeywordList',
  BinaryChecksums: 'KeywordList',
};

type Token =
  | { readonly t: 'ident'; readonly v: string; readonly pos: number }
  | { readonly t: 'string'; readonly v: string; readonly pos: number }
  | { readonly t: 'number'; readonly v: number; readonly pos: number }
  | { readonly t: 'op'; readonly v: string; readonly pos: number }
  | { readonly t: 'punct'; readonly v: '(' | ')' | ','; readonly pos: number }
  | { readonly t: 'end'; readonly pos: number };

function fail(message: string, pos: number): never {
  throw new InvalidArgumentError('query', `invalid query: ${message} at position ${pos + 1}`);
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

/**
 * Parses Temporal's visibility query language into a VisibilityFilter: comparisons, IN,
 * BETWEEN, STARTS_WITH, IS [NOT] NULL, AND/OR/NOT, parentheses, ORDER BY and GROUP BY
 * ExecutionStatus. `customTypes` are the registered search attributes (name → type).
 */
export function parseVisibilityQuery(query: string, customTypes: ReadonlyMap<string, string> = new Map()): ParsedQuery {
  const toks = tokenize(query);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const isKw = (kw: string, tok: Token = peek()): boolean => tok.t === 'ident' && tok.v.toUpperCase() === kw;
  const expectKw = (kw: string): void => {
    if (!isKw(kw)) fail(`expected ${kw}`, peek().pos);
    p++;
  };
  const expectPunct = (v: '(' | ')' | ','): void => {
    const t = peek();
    if (t.t !== 'punct' || t.v !== v) fail(`expected '${v}'`, t.pos);
    p++;
  };

  const field = (): string => {
    const t = peek();
    if (t.t !== 'ident') fail('expected a search attribute name', t.pos);
    p++;
    const mapped = BUILTIN_FIELDS[t.v];
    if (mapped) return mapped;
    if (customTypes.has(t.v) || SYSTEM_SEARCH_ATTRIBUTES[t.v]) return t.v;
    fail(`unknown search attribute '${t.v}'`, t.pos);
  };

  const value = (): VisibilityValue => {
    const t = peek();
    p++;
    if (t.t === 'string' || t.t === 'number') return t.v;
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
      return { kind: 'compare', field: f, op: t.v as '=' | '!=' | '<' | '>' | '<=' | '>=', value: value() };
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
      const values: VisibilityValue[] = [value()];
      while (peek().t === 'punct' && (peek() as { v: string }).v === ',') {
        p++;
        values.push(value());
      }
      expectPunct(')');
      return wrap({ kind: 'in', field: f, values });
    }
    if (isKw('BETWEEN')) {
      p++;
      const low = value();
      expectKw('AND');
      const high = value();
      return wrap({ kind: 'between', field: f, low, high });
    }
    if (isKw('STARTS_WITH')) {
      p++;
      const v = peek();
      if (v.t !== 'string') fail('STARTS_WITH needs a string', v.pos);
      p++;
      return wrap({ kind: 'startsWith', field: f, prefix: v.v });
    }
    if (!negate && isKw('IS')) {
      p++;
      let not = false;
      if (isKw('NOT')) {
        not = true;
        p++;
      }
      expectKw('NULL');
      return { kind: 'isNull', field: f, negate: not };
    }
    fail('expected an operator', t.pos);
  };

  const unary = (): VisibilityFilter => {
    if (isKw('NOT')) {
      p++;
      return { kind: 'not', clause: unary() };
    }
    const t = peek();
    if (t.t === 'punct' && t.v === '(') {
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
      p++;
      expectKw('BY');
      for (;;) {
        const f = field();
        let desc = false;
        if (isKw('DESC')) {
          desc = true;
          p++;
        } else if (isKw('ASC')) p++;
        orderBy.push({ field: f, desc });
        if (peek().t === 'punct' && (peek() as { v: string }).v === ',') p++;
        else break;
      }
    } else if (isKw('GROUP')) {
      p++;
      expectKw('BY');
      const pos = peek().pos;
      groupBy = field();
      if (groupBy !== 'Status') fail('only GROUP BY ExecutionStatus is supported', pos);
    } else {
      fail('unexpected token', peek().pos);
    }
  }
  return { filter, orderBy, groupBy };
}
