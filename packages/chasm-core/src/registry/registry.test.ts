import { describe, expect, it } from 'vitest';
import { defineComponent } from '../component/component-type.js';
import { definePureTask } from '../task/task-type.js';
import { referenceLibrary } from '../testing/reference/index.js';
import { Registry, RegistryError } from './registry.js';

const C = defineComponent<{ n: number }>({ name: 'lib.thing', lifecycle: () => 'running' });
const T = definePureTask<typeof C, Record<string, never>>({ name: 'lib.doIt', component: C, validate: () => true, execute: () => {} });

describe(Registry, () => {
  it('registers libraries and resolves types by qualified name', () => {
    const r = new Registry();
    r.register(referenceLibrary);
    r.register({ name: 'lib', components: [C], tasks: [T] });
    expect(r.component('lib.thing')).toBe(C);
    expect(r.task('lib.doIt')).toBe(T);
    expect(r.libraryNames()).toEqual(['tests', 'lib']);
  });

  it('rejects a duplicate library, component or task at start-up', () => {
    const r = new Registry();
    r.register({ name: 'lib', components: [C], tasks: [T] });
    expect(() => r.register({ name: 'lib', components: [], tasks: [] })).toThrow(RegistryError);
    const r2 = new Registry();
    expect(() => r2.register({ name: 'lib', components: [C, C], tasks: [] })).toThrow(/already registered/);
    expect(() => r2.register({ name: 'lib', components: [], tasks: [T, T] })).toThrow(/already registered/);
  });

  it('rejects names outside the library or not lowerCamel, registering nothing', () => {
    const r = new Registry();
    const Bad = defineComponent<{ n: number }>({ name: 'other.thing', lifecycle: () => 'running' });
    expect(() => r.register({ name: 'lib', components: [C, Bad], tasks: [] })).toThrow(/must be 'lib.<lowerCamel>'/);
    expect(r.hasComponent('lib.thing')).toBe(false);
    expect(() => r.register({ name: 'Lib', components: [], tasks: [] })).toThrow(/lowerCamel/);
    expect(() => r.component('nope.nope')).toThrow(/unknown component type/);
  });
});
