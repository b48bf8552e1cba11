import { describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.js';

const codec = jsonCodec<unknown>();
const roundTrip = (v: unknown): unknown => codec.decode(codec.encode(v));

describe('jsonCodec', () => {
  it('round-trips plain state (parsed without the reviver)', () => {
    const state = { status: 'running', n: 3, list: [1, 'two', null], nested: { a: { b: [] } }, none: null, flag: false };
    expect(roundTrip(state)).toEqual(state);
  });

  it('round-trips bytes and dates, at any depth', () => {
    const state = { data: new Uint8Array([1, 2, 255]), at: new Date(1_765_000_000_123), list: [{ when: new Date(0), bytes: new Uint8Array() }] };
    const back = roundTrip(state) as typeof state;
    expect(back.data).toBeInstanceOf(Uint8Array);
    expect([...back.data]).toEqual([1, 2, 255]);
    expect(back.at).toEqual(state.at);
    expect(back.list[0]!.when).toEqual(new Date(0));
    expect(back.list[0]!.bytes).toBeInstanceOf(Uint8Array);
  });

  it('leaves look-alikes alone: "$b" in a string, a tag with a non-string value or a second key', () => {
    const state = { text: 'costs "$b" and "$d"', notBytes: { $b: 1 }, twoKeys: { $d: '1970-01-01T00:00:00.000Z', x: 1 }, $b: 'top-level key' };
    expect(roundTrip(state)).toEqual(state);
  });

  it('decodes text written by the encoder before this change the same way', () => {
    const text = JSON.stringify({ a: { $b: Buffer.from([7, 8]).toString('base64') }, d: { $d: '2026-12-07T00:00:00.000Z' }, s: 'plain' });
    const back = codec.decode(Buffer.from(text)) as { a: Uint8Array; d: Date; s: string };
    expect([...back.a]).toEqual([7, 8]);
    expect(back.d).toEqual(new Date('2026-12-07T00:00:00.000Z'));
    expect(back.s).toBe('plain');
  });

  it('writes what JSON.stringify with the replacer writes, whether or not the value needs it', () => {
    // The encoder skips the replacer when nothing in the value needs it; the bytes must not change.
    const withReplacer = (v: unknown): string =>
      JSON.stringify(v, function (this: Record<string, unknown>, key: string, value: unknown) {
        const raw = this[key];
        if (raw instanceof Uint8Array) return { $b: Buffer.from(raw).toString('base64') };
        if (raw instanceof Date) return { $d: raw.toISOString() };
        return value;
      });
    const custom = { toJSON: () => ({ at: new Date(5), bytes: new Uint8Array([1]) }) };
    let deep: unknown = { leaf: new Uint8Array([9]) };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const values: unknown[] = [
      { a: 1, b: [true, null, 'x'], c: { d: { e: [] } }, u: undefined, f: () => 1 },
      new Uint8Array([1, 2]),
      new Date(0),
      [new Date(1), { x: Buffer.from('hi') }],
      { custom },
      deep,
      'text',
      42,
      null,
    ];
    for (const v of values) expect(Buffer.from(codec.encode(v)).toString('utf8')).toBe(withReplacer(v));
  });

  it('fails on a cycle as JSON.stringify does', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(() => codec.encode(cyclic)).toThrow(TypeError);
  });
});
