import { systemClock } from '@chasm/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MATCHING_OPTIONS } from '../matching-options.js';
import { BacklogIO } from './backlog-io.js';

describe('a sticky (memory-only) backlog', () => {
  it('keeps nothing per task once the task was taken and acked', async () => {
    const io = new BacklogIO({ namespaceId: 'ns', name: 'sticky-1', type: 'workflow' }, 0, undefined, {
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      options: DEFAULT_MATCHING_OPTIONS,
      events: { appended: () => {}, refilled: () => {}, expired: () => {}, ownershipLost: () => {} },
    });
    for (let i = 0; i < 1_000; i++) {
      await io.append({ fairnessKey: '', fairnessWeight: 1, payload: new Uint8Array(1), expiry: undefined, createdAt: new Date(), priority: 3, pass: i });
    }
    expect(io.buffer.size).toBe(1_000);
    for (let t = io.buffer.best(); t !== undefined; t = io.buffer.best()) {
      io.take(t);
      io.ack(t);
    }
    expect(io.buffer.size).toBe(0);
    // Before: every dispatched id stayed in the outstanding set for the queue's lifetime.
    expect(io.outstandingCount).toBe(0);
    await io.close();
  });
});
