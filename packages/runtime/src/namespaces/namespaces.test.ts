import { systemClock } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { ArchivalState, NamespaceState, type NamespaceRecord } from './namespace-record.js';
import type { NamespaceStore } from './namespace-store.js';
import { Namespaces } from './namespaces.js';

const record: NamespaceRecord = {
  id: 'ns-id',
  name: 'default',
  state: NamespaceState.Registered,
  description: '',
  ownerEmail: '',
  data: {},
  retentionSeconds: 86_400,
  historyArchivalState: ArchivalState.Disabled,
  historyArchivalUri: '',
  visibilityArchivalState: ArchivalState.Disabled,
  visibilityArchivalUri: '',
  version: 1,
  createdAt: new Date(0),
};

/** A store whose reads by name are held until `release` answers them, counted. */
function heldStore(): { store: NamespaceStore; reads: () => number; release: (r: NamespaceRecord | Error) => void } {
  const waiting: Array<(r: NamespaceRecord | Error) => void> = [];
  let reads = 0;
  const store = {
    getByName: () => {
      reads++;
      return new Promise<NamespaceRecord>((resolve, reject) => waiting.push((r) => (r instanceof Error ? reject(r) : resolve(r))));
    },
  } as unknown as NamespaceStore;
  return { store, reads: () => reads, release: (r) => waiting.splice(0).forEach((w) => w(r)) };
}

describe('Namespaces.idOf', () => {
  it('answers concurrent misses of one name with one read', async () => {
    const { store, reads, release } = heldStore();
    const namespaces = new Namespaces(store, systemClock);
    const ids = Promise.all(Array.from({ length: 50 }, () => namespaces.idOf('default', { forNewExecution: true })));
    expect(reads()).toBe(1);
    release(record);
    expect(await ids).toEqual(Array.from({ length: 50 }, () => 'ns-id'));
    // Cached now: no read at all.
    expect(await namespaces.idOf('default')).toBe('ns-id');
    expect(reads()).toBe(1);
  });

  it('fails the waiters of a failed read and reads again at the next miss', async () => {
    const { store, reads, release } = heldStore();
    const namespaces = new Namespaces(store, systemClock);
    const failed = Promise.allSettled([namespaces.idOf('default'), namespaces.idOf('default')]);
    release(new Error('database away'));
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const again = namespaces.idOf('default');
    expect(reads()).toBe(2);
    release(record);
    expect(await again).toBe('ns-id');
  });
});
