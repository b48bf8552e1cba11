import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../registry/registry.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';
import { addItem, createStore, referenceLibrary, storeTarget } from '../testing/reference/index.js';
import { describeRegistry, inspectExecution, type InspectedNode } from './inspect-execution.js';
import { toInspectableJson } from './to-json.js';

const find = (node: InspectedNode, path: string): InspectedNode | undefined =>
  node.path === path ? node : node.children.map((c) => find(c, path)).find((n) => n !== undefined);

describe(inspectExecution, () => {
  let t: TestEngine | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('decodes every node of a persisted tree with its registered codec, with lifecycles and pending timers', async () => {
    t = await createTestEngine({ libraries: [referenceLibrary] });
    const { runId } = await createStore(t.engine, 'ns', 'shop');
    await t.engine.update(storeTarget('ns', 'shop'), (store, ctx) => {
      addItem(store, ctx, 'apple', 'red', { ttlMs: 60_000 });
      store.fields.config.set({ ttlMs: 5 });
      store.fields.payloads.set('p', { bytes: new Uint8Array([1, 2, 3]), at: new Date(0) });
    });
    await t.drain();
    const loaded = await t.store.loadExecution({ namespaceId: 'ns', businessId: 'shop', archetype: 'tests.store', runId });
    const inspected = inspectExecution(t.registry, loaded!);

    expect(inspected.root).toMatchObject({ kind: 'component', type: 'tests.store', lifecycle: 'running', schemaVersion: 2 });
    expect(inspected.root.state).toMatchObject({ name: 'shop', itemCount: 1 });
    expect(inspected.execution.status).toBe('running');
    expect(inspected.execution.transitionCount).toBeGreaterThanOrEqual(2);
    const item = find(inspected.root, 'items/apple')!;
    expect(item).toMatchObject({ kind: 'component', type: 'tests.item', lifecycle: 'running' });
    expect(item.state).toMatchObject({ value: 'red', status: 'active' });
    // The item's expiry timer is pending, with its deadline and decoded payload.
    expect(item.tasks).toHaveLength(1);
    expect(item.tasks[0]).toMatchObject({ kind: 'pure', type: 'tests.expire', payload: { stamp: 1 } });
    expect(new Date(item.tasks[0]!.fireAt!).getTime()).toBe(t.clock.now().getTime() + 60_000);
    expect(item.initialTransition).toBeGreaterThan(0);
    expect(find(inspected.root, 'config')).toMatchObject({ kind: 'data', state: { ttlMs: 5 } });
    // Bytes come out as base64, dates as ISO strings.
    expect(find(inspected.root, 'payloads/p')?.state).toEqual({ bytes: { $bytes: 'AQID' }, at: '1970-01-01T00:00:00.000Z' });
  });

  it('reports a node it cannot decode instead of failing the tree', async () => {
    t = await createTestEngine({ libraries: [referenceLibrary] });
    const { runId } = await createStore(t.engine, 'ns', 'broken');
    const loaded = (await t.store.loadExecution({ namespaceId: 'ns', businessId: 'broken', archetype: 'tests.store', runId }))!;
    const bad = { ...loaded, nodes: loaded.nodes.map((n) => (n.path === '' ? { ...n, data: new Uint8Array([0, 2, 123]) } : n)) };
    const inspected = inspectExecution(t.registry, bad);
    expect(inspected.root.error).toMatch(/JSON/);
    expect(inspected.root.state).toBeUndefined();
  });
});

describe(describeRegistry, () => {
  it('lists libraries, components with their fields, and tasks', () => {
    const registry = new Registry();
    registry.register(referenceLibrary);
    const d = describeRegistry(registry);
    const store = d.libraries[0]!.components.find((c) => c.name === 'tests.store')!;
    expect(store.fields).toContainEqual({ name: 'items', kind: 'map', type: 'tests.item' });
    expect(d.libraries[0]!.tasks).toContainEqual({ name: 'tests.expire', kind: 'pure', component: 'tests.item' });
  });
});

describe(toInspectableJson, () => {
  it('turns bigints, Longs, Maps, Sets and cycles into JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(
      toInspectableJson({ n: 10n, l: { low: 5, high: 0, unsigned: false, toString: () => '5' }, m: new Map([['k', 1]]), s: new Set([1]), c: cyclic, u: undefined, x: NaN }),
    ).toEqual({ n: '10', l: '5', m: { k: 1 }, s: [1], c: { a: 1, self: '[cycle]' }, x: 'NaN' });
  });
});
