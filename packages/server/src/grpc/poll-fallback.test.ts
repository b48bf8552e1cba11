import { describe, expect, it } from 'vitest';
import { emptyLongPoll, MAX_POLL_HOLD_MS, pollHoldMs } from './poll-fallback.js';

describe('pollHoldMs', () => {
  const now = 1_000_000;
  it('holds until 1 s before the deadline', () => expect(pollHoldMs(new Date(now + 70_000), now)).toBe(MAX_POLL_HOLD_MS));
  it('answers 1 s early for a short deadline', () => expect(pollHoldMs(new Date(now + 11_000), now)).toBe(10_000));
  it('answers at once when the deadline is near', () => expect(pollHoldMs(new Date(now + 500), now)).toBe(0));
  it('caps a call without deadline at 60 s', () => expect(pollHoldMs(undefined, now)).toBe(MAX_POLL_HOLD_MS));
});

describe('emptyLongPoll', () => {
  it('returns an empty response when the call is cancelled', async () => {
    const controller = new AbortController();
    const poll = emptyLongPoll({}, { signal: controller.signal, deadline: undefined, metadata: {} });
    controller.abort();
    await expect(poll).resolves.toEqual({});
  });
});
