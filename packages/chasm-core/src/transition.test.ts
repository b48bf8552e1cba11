import { describe, expect, it } from 'vitest';
import type { MutableContext } from './context.js';
import { InvalidTransitionError } from './errors.js';
import { stateMachine } from './transition.js';

type S = 'a' | 'b' | 'c';
interface Thing { status: S; log: string[] }
const m = stateMachine<Thing, S>({ get: (t) => t.status, set: (t, s) => void (t.status = s) });
const toB = m.transition<string>({
  name: 'toB',
  from: ['a'],
  to: 'b',
  apply(t, _ctx, ev) {
    t.log.push(`${t.status}:${ev}`); // still sees the source state
  },
});
const ctx = {} as MutableContext;

describe('transition', () => {
  it('runs apply in the source state, then sets the destination', () => {
    const t: Thing = { status: 'a', log: [] };
    expect(toB.possible(t)).toBe(true);
    toB.apply(t, ctx, 'go');
    expect(t).toEqual({ status: 'b', log: ['a:go'] });
  });
  it('fails clearly from a state it does not start from', () => {
    const t: Thing = { status: 'c', log: [] };
    expect(toB.possible(t)).toBe(false);
    expect(() => toB.apply(t, ctx, 'x')).toThrow(InvalidTransitionError);
    expect(() => toB.apply(t, ctx, 'x')).toThrow('invalid transition toB from state c');
    expect(t.log).toEqual([]);
  });
});
