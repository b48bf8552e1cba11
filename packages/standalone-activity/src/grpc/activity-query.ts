import { InvalidArgumentError, type VisibilityFilter } from '@chasm/core';

type VisibilityValue = string | number | boolean | Date | null;

/**
 * The List/Count query language for activities (a subset of Temporal's SQL-like visibility
 * queries): comparisons, IN, BETWEEN, STARTS_WITH, IS [NOT] NULL, AND/OR/NOT and parentheses,
 * plus `GROUP BY ExecutionStatus` for Count. ORDER BY is not supported.
 */
export interface ParsedActivityQuery {
  readonly filter: VisibilityFilter | undefined;
  readonly groupBy: 'ExecutionStatus' | undefined;
}

/** Query field → visibility field. */
const FIELDS: Readonly<Record<string, string>> = {
  ActivityId: 'ActivityId',
  ActivityType: 'ActivityType',
  TaskQueue: 'TaskQueue',
  // Our search attribute, not the built-in status column: only it knows 'Paused'.
  ExecutionStatus: 'ActivityExecutionStatus',
  RunId: 'RunId',
  StartTime: 'StartTime',
  ScheduleTime: 'StartTime',
  // The start delay is not reflected: execution time is approximated by the schedule time.
  ExecutionTime: 'StartTime',
  CloseTime: 'CloseTime',
};

const STATUS_NAMES = new Map(['Running', 'Paused', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'].map((s) => [s.toLowerCase(), s]));

type Token = { t: 'ident' | 'string' | 'number' | 'op' | 'punct'; v: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < q.length && q[j] !== c) {
        if (q[j] === '\\' && j + 1 < q.length) j++;
        s += q[j];
        j++;
      }
      if (j >= q.length) throw bad('unterminated string');
      out.push({ t: 'string', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = q.indexOf('`', i + 1);
      if (j < 0) throw bad('unterminated identifier');
      out.push({ t: 'ident', v: q.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9-]/.test(c) && /[0-9]/.test(q[i + 1] ?? c)) {
      const m = /^-?\d+(\.\d+)?/.exec(q.slice(i))!;
      out.push({ t: 'number', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      const two = q.slice(i, i + 2);
      if (['!=', '<=', '>=', '<>'].includes(two)) {
        out.push({ t: 'op', v: two === '<>' ? '!=' : two });
        i += 2;
      } else if ('=<>'.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else if ('(),'.includes(c)) {
        out.push({ t: 'punct', v: c });
        i++;
      } else {
        throw bad(`unexpected character '${c}'`);
      }
    }
  }
  return out;
}

const bad = (msg: string): InvalidArgumentError => new InvalidArgumentError('query', `invalid query: ${msg}`);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }
  private kw(word: string): boolean {
    const t = this.peek();
    if (t?.t === 'ident' && t.v.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }
  private punct(p: string): boolean {
    const t = this.peek();
    if (t?.t === 'punct' && t.v === p) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectPunct(p: string): void {
    if (!this.punct(p)) throw bad(`expected '${p}'`);
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
  peekKw(word: string): boolean {
    const t = this.peek();
    return t?.t === 'ident' && t.v.toUpperCase() === word;
  }

  parseOr(): VisibilityFilter {
    const clauses = [this.parseAnd()];
    while (this.kw('OR')) clauses.push(this.parseAnd());
    return clauses.length === 1 ? clauses[0]! : { kind: 'or', clauses };
  }
  private parseAnd(): VisibilityFilter {
    const clauses = [this.parseUnary()];
    while (this.kw('AND')) clauses.push(this.parseUnary());
    return clauses.length === 1 ? clauses[0]! : { kind: 'and', clauses };
  }
  private parseUnary(): VisibilityFilter {
    if (this.kw('NOT')) return { kind: 'not', clause: this.parseUnary() };
    if (this.punct('(')) {
      const f = this.parseOr();
      this.expectPunct(')');
      return f;
    }
    return this.parsePredicate();
  }
  private parsePredicate(): VisibilityFilter {
    const t = this.peek();
    if (t?.t !== 'ident') throw bad('expected a field name');
    this.i++;
    const name = t.v;
    const field = FIELDS[name];
    if (!field) throw bad(`unknown field '${name}' (supported: ${Object.keys(FIELDS).join(', ')})`);
    const value = (): VisibilityValue => this.value(name);
    const op = this.peek();
    if (op?.t === 'op') {
      this.i++;
      return { kind: 'compare', field, op: op.v as '=' | '!=' | '<' | '>' | '<=' | '>=', value: value() };
    }
    const negate = this.kw('NOT');
    let f: VisibilityFilter;
    if (this.kw('IN')) {
      this.expectPunct('(');
      const values = [value()];
      while (this.punct(',')) values.push(value());
      this.expectPunct(')');
      f = { kind: 'in', field, values };
    } else if (this.kw('BETWEEN')) {
      const low = value();
      if (!this.kw('AND')) throw bad("expected AND in BETWEEN");
      f = { kind: 'between', field, low, high: value() };
    } else if (this.kw('STARTS_WITH')) {
      const v = value();
      if (typeof v !== 'string') throw bad('STARTS_WITH needs a string');
      f = { kind: 'startsWith', field, prefix: v };
    } else if (!negate && this.kw('IS')) {
      const not = this.kw('NOT');
      if (!this.kw('NULL')) throw bad('expected NULL');
      return { kind: 'isNull', field, ...(not ? { negate: true } : {}) };
    } else {
      throw bad(`expected an operator after '${name}'`);
    }
    return negate ? { kind: 'not', clause: f } : f;
  }
  private value(name: string): VisibilityValue {
    const t = this.peek();
    if (!t) throw bad('expected a value');
    this.i++;
    if (t.t === 'string') {
      if (name === 'ExecutionStatus') {
        const s = STATUS_NAMES.get(t.v.toLowerCase());
        if (!s) throw bad(`unknown ExecutionStatus '${t.v}'`);
        return s;
      }
      return t.v;
    }
    if (t.t === 'number') return Number(t.v);
    if (t.t === 'ident' && ['TRUE', 'FALSE'].includes(t.v.toUpperCase())) return t.v.toUpperCase() === 'TRUE';
    throw bad(`unexpected '${t.v}'`);
  }
  parseGroupBy(): 'ExecutionStatus' | undefined {
    if (!this.kw('GROUP')) return undefined;
    if (!this.kw('BY')) throw bad('expected BY');
    const t = this.peek();
    if (t?.t !== 'ident' || t.v !== 'ExecutionStatus') throw bad('only GROUP BY ExecutionStatus is supported');
    this.i++;
    return 'ExecutionStatus';
  }
}

export function parseActivityQuery(query: string | null | undefined): ParsedActivityQuery {
  const q = (query ?? '').trim();
  if (!q) return { filter: undefined, groupBy: undefined };
  const p = new Parser(tokenize(q));
  const filter = p.peekKw('GROUP') ? undefined : p.parseOr();
  const groupBy = p.parseGroupBy();
  if (p.peekKw('ORDER')) throw bad('ORDER BY is not supported');
  if (!p.atEnd()) throw bad('unexpected trailing input');
  return { filter, groupBy };
}

export const EXECUTION_STATUS_NAMES = [...STATUS_NAMES.values()];
