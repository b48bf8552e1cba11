import { describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '../errors.js';
import { MemoryExecutionStore } from '../testing/memory-store.js';
import { ExpireTask, Item, RecountTask, Store, addItem, createStore, referenceLibrary, storeTarget } from '../testing/reference/index.js';
import { createTestEngine } from '../testing/test-engine.js';
import { defineLibrary } from './define-library.js';
import { RegistryError } from './registry.js';

describe('defineLibrary', () => {
  it('qualifies local names with the library name', () => {
    expect(Store.name).toBe('tests.store');
    expect(Item.name).toBe('tests.item');
    expect(ExpireTask.name).toBe('tests.expire');
    expect(referenceLibrary.name).toBe('tests');
  });

  it('refuses qualified or malformed local names, and parts of another library', () => {
    const lib = defineLibrary('counter');
    expect(() => lib.component({ name: 'counter.counter', lifecycle: () => 'running' })).toThrow(RegistryError);
    expect(() => lib.component({ name: 'Counter', lifecycle: () => 'running' })).toThrow(/lowerCamel local name/);
    expect(() => lib.build({ components: [Store], tasks: [] })).toThrow(/'tests.store' was not defined by library 'counter'/);
    expect(() => defineLibrary('my-lib')).toThrow(/lowerCamel/);
  });

  it('types search attributes by their declared schema', () => {
    expect(Store.searchAttributeTypes).toEqual({ StoreName: 'Keyword', ItemCount: 'Int', Closed: 'Bool' });
    const lib = defineLibrary('typed');
    lib.component({
      name: 'root',
      lifecycle: () => 'running',
      searchAttributeTypes: { Count: 'Int' },
      // @ts-expect-error: Count is declared Int, so a string is a compile error.
      searchAttributes: (s: { n: number }) => ({ Count: String(s.n) }),
    });
    lib.component({
      name: 'root2',
      lifecycle: () => 'running',
      searchAttributeTypes: { Count: 'Int' },
      // @ts-expect-error: a misspelt key (and no declared one) is a compile error.
      searchAttributes: (s: { n: number }) => ({ Cuont: s.n }),
    });
  });
});

describe('typed tree access', () => {
  it('addTask refuses a task of another component type; parent(type) narrows or throws', async () => {
    const t = await createTestEngine({ libraries: [referenceLibrary], store: new MemoryExecutionStore() });
    try {
      await createStore(t.engine, 'ns', 's1');
      await t.engine.update(storeTarget('ns', 's1'), (store, ctx) => {
        const item = addItem(store, ctx, 'a', 'x');
        // @ts-expect-error: RecountTask runs on Store, not on Item.
        expect(() => ctx.addTask(item, RecountTask, {})).toThrow(FailedPreconditionError);
        expect(item.parent(Store)?.state.name).toBe('s1');
        expect(() => item.parent(Item)).toThrow(TypeError);
        expect(store.parent()).toBeUndefined();
      });
    } finally {
      await t.stop();
    }
  });
});
