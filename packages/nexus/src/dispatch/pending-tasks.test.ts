import { describe, expect, it } from 'vitest';
import { PendingNexusTasks, type PendingNexusTask } from './pending-tasks.js';

const now = new Date('2026-01-01T00:00:00Z');
const task = (taskId: string, deadlineMs = 10_000): PendingNexusTask => ({
  taskId,
  namespaceId: 'ns',
  taskQueue: 'q',
  request: {},
  deadline: new Date(now.getTime() + deadlineMs),
  state: 'offered',
  settle: () => undefined,
});

describe('PendingNexusTasks', () => {
  it('hands a task to one poller only, and only in its own namespace and queue', () => {
    const p = new PendingNexusTasks();
    p.add(task('a'));
    expect(p.claim('a', 'other', 'q', now)).toBeUndefined();
    expect(p.claim('a', 'ns', 'other', now)).toBeUndefined();
    expect(p.answerable('a', 'ns', 'q')).toBeUndefined(); // not taken yet: no worker could have a token
    expect(p.claim('a', 'ns', 'q', now)?.state).toBe('taken');
    expect(p.claim('a', 'ns', 'q', now)).toBeUndefined();
    expect(p.answerable('a', 'ns', 'q')?.taskId).toBe('a');
    expect(p.answerable('a', 'other', 'q')).toBeUndefined();
  });

  it('does not hand out a task whose deadline passed, or one that was removed', () => {
    const p = new PendingNexusTasks();
    p.add(task('late', 0));
    expect(p.claim('late', 'ns', 'q', now)).toBeUndefined();
    p.add(task('gone'));
    p.delete('gone');
    expect(p.claim('gone', 'ns', 'q', now)).toBeUndefined();
    expect(p.size).toBe(1);
  });
});
