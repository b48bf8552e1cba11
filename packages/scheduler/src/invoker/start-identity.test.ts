import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { startRequestId, uuidV5InNilNamespace } from './start-identity.js';

const NIL = '00000000-0000-0000-0000-000000000000';

describe('uuidV5InNilNamespace', () => {
  it('matches the uuid package for ASCII, quoted, empty and non-ASCII names', () => {
    for (const name of ['', 'a', '"ns"-"sched"-0-1714557600000-1714557600000', 'ünïcødé-名前-🙂', 'x'.repeat(1000)]) {
      expect(uuidV5InNilNamespace(name)).toBe(uuidv5(name, NIL));
    }
  });

  it('gives the request id Temporal derives for a schedule start', () => {
    const name = `"ns-id"-"sched"-3-1714557600000-1714557601000`;
    expect(startRequestId('ns-id', 'sched', 3, 1714557600000, 1714557601000, null)).toBe(`sched-auto-${uuidv5(name, NIL)}`);
  });
});
