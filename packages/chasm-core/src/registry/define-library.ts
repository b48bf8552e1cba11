import {
  defineComponent,
  type AnyComponentType,
  type ChildSpecs,
  type ComponentType,
  type ComponentTypeOptions,
  type SearchAttributeSchema,
} from '../component/component-type.js';
import {
  definePureTask,
  defineSideEffectTask,
  type AnyTaskType,
  type PureTaskType,
  type SideEffectTaskType,
} from '../task/task-type.js';
import type { Library } from './library.js';
import { RegistryError } from './registry.js';

type Local<T extends { name: string }> = Omit<T, 'name'> & { readonly name: string };
type PureDef<TComp extends AnyComponentType, TPayload> = Parameters<typeof definePureTask<TComp, TPayload>>[0];
type SideEffectDef<TComp extends AnyComponentType, TPayload> = Parameters<typeof defineSideEffectTask<TComp, TPayload>>[0];

/**
 * Defines components and tasks under one library name, so authors write local names
 * (`component({ name: 'generator' })`) and the persisted name is qualified for them
 * (`scheduler.generator`). `build` returns the Library to register; it refuses parts defined
 * by another builder, so nothing registers under a foreign prefix.
 */
export interface LibraryBuilder {
  readonly name: string;
  /** The qualified name of a local one: `${library}.${local}`. */
  qualify(local: string): string;
  component<TState, TChildren extends ChildSpecs = Record<never, never>, TSearch extends SearchAttributeSchema = SearchAttributeSchema>(
    opts: Local<ComponentTypeOptions<TState, TChildren, TSearch>>,
  ): ComponentType<TState, TChildren>;
  pureTask<TComp extends AnyComponentType, TPayload>(def: Local<PureDef<TComp, TPayload>>): PureTaskType<TComp, TPayload>;
  sideEffectTask<TComp extends AnyComponentType, TPayload>(def: Local<SideEffectDef<TComp, TPayload>>): SideEffectTaskType<TComp, TPayload>;
  build(parts: { readonly components: readonly AnyComponentType[]; readonly tasks: readonly AnyTaskType[] }): Library;
}

const LOCAL = /^[a-z][A-Za-z0-9]*$/;

export function defineLibrary(name: string): LibraryBuilder {
  if (!LOCAL.test(name)) throw new RegistryError(`library name '${name}' must be a lowerCamel identifier`);
  const qualify = (local: string): string => {
    if (!LOCAL.test(local)) {
      throw new RegistryError(`'${local}' must be a lowerCamel local name; the library adds the '${name}.' prefix itself`);
    }
    return `${name}.${local}`;
  };
  return {
    name,
    qualify,
    component: (opts) => defineComponent({ ...opts, name: qualify(opts.name) }),
    pureTask: (def) => definePureTask({ ...def, name: qualify(def.name) }),
    sideEffectTask: (def) => defineSideEffectTask({ ...def, name: qualify(def.name) }),
    build: ({ components, tasks }) => {
      for (const part of [...components, ...tasks]) {
        if (!part.name.startsWith(`${name}.`)) throw new RegistryError(`'${part.name}' was not defined by library '${name}'`);
      }
      return { name, components, tasks };
    },
  };
}
