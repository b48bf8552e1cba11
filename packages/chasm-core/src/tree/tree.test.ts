import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../component/codec.js';
import { Registry } from '../registry/registry.js';
import { Store, newStoreState, referenceLibrary } from '../testing/reference/index.js';
import { encodeComponentState } from './node.js';
import { childPath, splitPath } from './path.js';
import { Tree } from './tree.js';

describe('paths', () => {
  it('escape separators so a subtree is a prefix range', () => {
    const p = childPath(childPath('', 'items'), 'a/b%c');
    expect(p).toBe('items/a%2Fb%25c');
    expect(splitPath(p)).toEqual({ parent: 'items', name: 'a/b%c' });
  });
});

describe('jsonCodec', () => {
  it('round-trips bytes and dates', () => {
    const c = jsonCodec<{ b: Uint8Array; d: Date }>();
    const v = c.decode(c.encode({ b: new Uint8Array([1, 2, 3]), d: new Date(5) }));
    expect(v.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(v.d).toEqual(new Date(5));
  });

  it('tags bytes and dates at any depth, leaving the value it encodes untouched', () => {
    const c = jsonCodec<unknown>();
    const input = { n: 1, list: [{ p: new Uint8Array([255]) }, 'x', null], at: { d: new Date(0) }, plain: { a: [1, 2] }, gone: undefined };
    const text = new TextDecoder().decode(c.encode(input));
    // The stored format: the tags where the values were, keys in insertion order.
    expect(text).toBe('{"n":1,"list":[{"p":{"$b":"/w=="}},"x",null],"at":{"d":{"$d":"1970-01-01T00:00:00.000Z"}},"plain":{"a":[1,2]}}');
    expect(input.list[0]).toEqual({ p: new Uint8Array([255]) });
    expect(c.decode(c.encode(input))).toEqual({ n: 1, list: [{ p: new Uint8Array([255]) }, 'x', null], at: { d: new Date(0) }, plain: { a: [1, 2] } });
  });
});

describe(Tree, () => {
  const registry = new Registry();
  registry.register(referenceLibrary);

  it('migrates state persisted at an older schema version on load', () => {
    // Version 1 of tests.store had `count` where version 2 has `itemCount`.
    const v1 = { ...Store, schemaVersion: 1 };
    const { itemCount, ...rest } = newStoreState('old');
    void itemCount;
    const data = encodeComponentState(v1, { ...rest, count: 7 });
    const tree = Tree.load(registry, [{ path: '', kind: 'component', typeName: 'tests.store', initialTc: 1, lastUpdateTc: 1, data }], []);
    expect(tree.wrap(tree.root).state).toMatchObject({ name: 'old', itemCount: 7 });
    expect((tree.wrap(tree.root).state as Record<string, unknown>)['count']).toBeUndefined();
    expect(tree.root.migratedFrom).toBe(1);
    // The next diff writes the node back at the current version.
    const [row] = tree.diff(2).upserts;
    expect(row?.data.subarray(0, 2)).toEqual(new Uint8Array([0, Store.schemaVersion]));
  });

  it('marks nothing as migrated when the state is at the current version', () => {
    const data = encodeComponentState(Store, newStoreState('now'));
    const tree = Tree.load(registry, [{ path: '', kind: 'component', typeName: 'tests.store', initialTc: 1, lastUpdateTc: 1, data }], []);
    expect(tree.wrap(tree.root).state).toMatchObject({ name: 'now' });
    expect(tree.root.migratedFrom).toBeUndefined();
    expect(tree.diff(2).upserts).toEqual([]);
  });

  it('refuses state from a newer schema version', () => {
    const data = encodeComponentState({ ...Store, schemaVersion: 9 }, newStoreState('new'));
    const tree = Tree.load(registry, [{ path: '', kind: 'component', typeName: 'tests.store', initialTc: 1, lastUpdateTc: 1, data }], []);
    expect(() => tree.wrap(tree.root).state).toThrow(/newer than this build/);
  });

  it('writes only nodes whose bytes changed, and deletes removed subtrees', () => {
    const tree = Tree.create(registry, Store, newStoreState('s'));
    tree.mutable = true;
    const root = tree.wrap(tree.root);
    const items = (root.fields as unknown as { items: { create(k: string, s: unknown): unknown } }).items;
    items.create('a', { value: 'x', status: 'active', ttlStamp: 1, firedCount: 0, notifyStamp: 1, notifiedCount: 0 });
    const first = tree.diff(1);
    // The map 'items' is implied by its child's path: no row of its own.
    expect(first.upserts.map((u) => u.path).sort()).toEqual(['', 'items/a']);
    tree.markWritten(first);
    // Touching without changing writes nothing.
    void root.state;
    expect(tree.diff(2).upserts).toEqual([]);
    (root.fields as unknown as { items: { delete(k: string): void } }).items.delete('a');
    const d = tree.diff(2);
    expect(d.deletes).toEqual(['items/a']);
  });

  it('re-encodes at a commit only the nodes whose value was handed out since the last one', () => {
    const tree = Tree.create(registry, Store, newStoreState('s'));
    tree.mutable = true;
    type Item = { state: { value: string } };
    const items = (tree.wrap(tree.root).fields as unknown as { items: { create(k: string, s: unknown): Item; get(k: string): Item | undefined } }).items;
    const item = { value: 'x', status: 'active', ttlStamp: 1, firedCount: 0, notifyStamp: 1, notifiedCount: 0 };
    items.create('a', { ...item });
    items.create('b', { ...item });
    const first = tree.diff(1);
    tree.markWritten(first);
    expect(first.compared.map((n) => n.path).sort()).toEqual(['', 'items/a', 'items/b']);
    // Nothing handed out since: nothing to compare (hydrated nodes are not re-encoded).
    expect(tree.diff(2).compared).toEqual([]);
    // A value read and then changed in place (no setter) is still found and written.
    items.get('b')!.state.value = 'y';
    const second = tree.diff(2);
    expect(second.compared.map((n) => n.path)).toEqual(['items/b']);
    expect(second.upserts.map((u) => u.path)).toEqual(['items/b']);
    tree.markWritten(second);
    expect(tree.diff(3).compared).toEqual([]);
  });

  it('rebuilds maps from their children on load, and still loads map rows written by older versions', () => {
    const tree = Tree.create(registry, Store, newStoreState('s'));
    tree.mutable = true;
    const items = (tree.wrap(tree.root).fields as unknown as { items: { create(k: string, s: unknown): unknown } }).items;
    items.create('a', { value: 'x', status: 'active', ttlStamp: 1, firedCount: 0, notifyStamp: 1, notifiedCount: 0 });
    const rows = tree.diff(1).upserts;
    type Items = { items: { keys(): string[]; get(k: string): { state: { value: string } } | undefined; size: number } };
    for (const loaded of [
      Tree.load(registry, rows, []),
      Tree.load(registry, [...rows, { path: 'items', kind: 'map', typeName: '', initialTc: 1, lastUpdateTc: 1, data: new Uint8Array(0) }], []),
    ]) {
      const fields = loaded.wrap(loaded.root).fields as unknown as Items;
      expect(fields.items.keys()).toEqual(['a']);
      expect(fields.items.get('a')?.state.value).toBe('x');
      expect(loaded.diff(2).upserts).toEqual([]);
    }
    // An execution without map items reads its maps as empty.
    const bare = Tree.load(registry, rows.filter((r) => r.path === ''), []);
    expect((bare.wrap(bare.root).fields as unknown as Items).items.size).toBe(0);
    // A row under a path that is no map field of its parent is still refused.
    expect(() => Tree.load(registry, [...rows, { ...rows[1]!, path: 'nofield/a' }], [])).toThrow(/has no parent/);
  });
});
