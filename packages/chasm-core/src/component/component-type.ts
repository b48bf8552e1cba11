import type { Codec } from './codec.js';
import { jsonCodec } from './codec.js';
import type { Lifecycle } from './lifecycle.js';
import type { MutableContext } from '../context.js';
import type { ExecutionStatus } from '../persistence/store.js';

/** A search attribute value as stored in visibility. */
export type SearchAttributeValue = string | number | boolean | Date | readonly string[] | null;

/** Temporal's search attribute types (IndexedValueType), by the names its query language uses. */
export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';
/** The search attributes a root exposes: key → type. Queries may filter on these keys. */
export type SearchAttributeSchema = Readonly<Record<string, SearchAttributeType>>;
/** The TypeScript value of a search attribute of type `T`. */
export type SearchAttributeValueOf<T extends SearchAttributeType> = T extends 'Keyword' | 'Text'
  ? string
  : T extends 'Int' | 'Double'
    ? number
    : T extends 'Bool'
      ? boolean
      : T extends 'Datetime'
        ? Date
        : readonly string[];
/** What a root's `searchAttributes` returns for a schema: each declared key, typed; null clears it. */
export type SearchAttributesOf<S extends SearchAttributeSchema> = { readonly [K in keyof S]?: SearchAttributeValueOf<S[K]> | null };

/** Child field specs: the explicit schema that replaces Go's reflection over struct fields. */
export interface OneSpec<T extends AnyComponentType = AnyComponentType> {
  readonly kind: 'one';
  readonly type: T;
}
export interface MapSpec<T extends AnyComponentType | 'any' = AnyComponentType | 'any'> {
  readonly kind: 'map';
  /** 'any' lets other packages attach their own component types (an extension point). */
  readonly type: T;
}
export interface DataSpec<T = unknown> {
  readonly kind: 'data';
  readonly codec: Codec<T>;
}
export interface DataMapSpec<T = unknown> {
  readonly kind: 'dataMap';
  readonly codec: Codec<T>;
}
export interface PointerSpec {
  readonly kind: 'pointer';
}
export type ChildSpec = OneSpec | MapSpec | DataSpec | DataMapSpec | PointerSpec;
export type ChildSpecs = Readonly<Record<string, ChildSpec>>;

export const one = <T extends AnyComponentType>(type: T): OneSpec<T> => ({ kind: 'one', type });
export const mapOf = <T extends AnyComponentType | 'any'>(type: T): MapSpec<T> => ({ kind: 'map', type });
export const dataOf = <T>(codec: Codec<T> = jsonCodec<T>()): DataSpec<T> => ({ kind: 'data', codec });
export const dataMapOf = <T>(codec: Codec<T> = jsonCodec<T>()): DataMapSpec<T> => ({ kind: 'dataMap', codec });
export const pointer = (): PointerSpec => ({ kind: 'pointer' });

export interface ComponentTypeOptions<TState, TChildren extends ChildSpecs, TSearch extends SearchAttributeSchema = SearchAttributeSchema> {
  /** Fully qualified name `library.component` (lowerCamel). Persisted: renaming is a migration. */
  readonly name: string;
  /** Version of the persisted state shape; bump it and add `migrate` when the shape changes. */
  readonly schemaVersion?: number;
  /**
   * Upgrades state persisted at an older schema version, when a node is first read. `state` is
   * the old bytes decoded with this type's `codec` (so a new codec must still read old bytes).
   * The next commit of the execution writes the node back at the current version.
   */
  readonly migrate?: (state: unknown, fromVersion: number) => TState;
  readonly codec?: Codec<TState>;
  readonly children?: TChildren;
  readonly lifecycle: (state: TState) => Lifecycle;
  /** A detached component ignores its parent's lifecycle (its tasks survive the parent closing). */
  readonly detached?: boolean;
  /**
   * Root only: the search attributes it exposes and their types. Declaring them types the
   * `searchAttributes` function's keys and values, and tells visibility queries what they may
   * filter on. Roots whose keys are user-defined (workflows) leave it out.
   */
  readonly searchAttributeTypes?: TSearch;
  /** Root only: search attributes, recomputed at each commit that touches the root. */
  readonly searchAttributes?: (state: TState) => SearchAttributesOf<TSearch>;
  /** Root only: memo, recomputed like search attributes. */
  readonly memo?: (state: TState) => Uint8Array | null;
  /**
   * Root only: refines the execution status (e.g. 'canceled', 'timedOut' for a closed root,
   * 'paused' for an open one). Without it, open -> 'running', completed -> 'completed' and
   * failed -> 'failed'. For an open root only an open status is honoured, so the persisted status
   * can never claim closed while the lifecycle is open.
   */
  readonly executionStatus?: (state: TState) => ExecutionStatus;
  /**
   * Root only: force-closes the component (terminate, delete). Must leave it closed.
   * Without it the engine cannot terminate executions of this archetype.
   */
  readonly terminate?: (component: Component<TState, TChildren>, ctx: MutableContext, reason: string) => void;
  /**
   * Root only: the execution holds changes made by speculative updates (`engine.update` with
   * `speculative: true`, kept in memory and not written) and a committing transaction is about
   * to run. Called first in that transaction, before its own function, so the root can turn what
   * was speculative into durable state (workflow: a speculative workflow task becomes a normal
   * one, its events and timers written) with the commit that follows.
   */
  readonly settleSpeculative?: (component: Component<TState, TChildren>, ctx: MutableContext) => void;
}

export interface ComponentType<TState = unknown, TChildren extends ChildSpecs = ChildSpecs>
  extends Required<Pick<ComponentTypeOptions<TState, TChildren>, 'name' | 'schemaVersion' | 'lifecycle' | 'detached'>> {
  readonly kind: 'componentType';
  readonly codec: Codec<TState>;
  readonly children: TChildren;
  readonly migrate: ((state: unknown, fromVersion: number) => TState) | undefined;
  readonly searchAttributeTypes: SearchAttributeSchema | undefined;
  readonly searchAttributes: ((state: TState) => Readonly<Record<string, SearchAttributeValue | undefined>>) | undefined;
  readonly memo: ComponentTypeOptions<TState, TChildren>['memo'];
  readonly terminate: ComponentTypeOptions<TState, TChildren>['terminate'];
  readonly settleSpeculative: ComponentTypeOptions<TState, TChildren>['settleSpeculative'];
  readonly executionStatus: ComponentTypeOptions<TState, TChildren>['executionStatus'];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponentType = ComponentType<any, any>;

export function defineComponent<TState, TChildren extends ChildSpecs = Record<never, never>, TSearch extends SearchAttributeSchema = SearchAttributeSchema>(
  opts: ComponentTypeOptions<TState, TChildren, TSearch>,
): ComponentType<TState, TChildren> {
  return {
    kind: 'componentType',
    name: opts.name,
    schemaVersion: opts.schemaVersion ?? 1,
    migrate: opts.migrate,
    codec: opts.codec ?? jsonCodec<TState>(),
    children: (opts.children ?? {}) as TChildren,
    lifecycle: opts.lifecycle,
    detached: opts.detached ?? false,
    searchAttributeTypes: opts.searchAttributeTypes,
    searchAttributes: opts.searchAttributes,
    memo: opts.memo,
    terminate: opts.terminate,
    settleSpeculative: opts.settleSpeculative,
    executionStatus: opts.executionStatus,
  };
}

/** A live component inside a transaction. `state` may be mutated only inside `engine.update`. */
export interface Component<TState = unknown, TChildren extends ChildSpecs = ChildSpecs> {
  readonly type: ComponentType<TState, TChildren>;
  /** Encoded path in the tree ('' for the root). */
  readonly path: string;
  state: TState;
  readonly fields: FieldAccessors<TChildren>;
  /** The nearest ancestor component (map nodes are skipped); undefined at the root. */
  parent(): AnyComponent | undefined;
  /** The nearest ancestor component, which must be of `type` (else TypeError: a wiring bug). */
  parent<T extends AnyComponentType>(type: T): ComponentOf<T> | undefined;
  lifecycle(): Lifecycle;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponent = Component<any, any>;
export type ComponentOf<T> = T extends ComponentType<infer S, infer C> ? Component<S, C> : never;
export type StateOf<T> = T extends ComponentType<infer S, ChildSpecs> ? S : never;

export interface OneField<T extends AnyComponentType> {
  get(): ComponentOf<T> | undefined;
  /** Creates (or replaces, deleting the old subtree) the child. */
  create(state: StateOf<T>): ComponentOf<T>;
  clear(): void;
}
export interface MapField<T extends AnyComponentType | 'any'> {
  get(key: string): (T extends AnyComponentType ? ComponentOf<T> : AnyComponent) | undefined;
  create: T extends AnyComponentType
    ? (key: string, state: StateOf<T>) => ComponentOf<T>
    : <U extends AnyComponentType>(key: string, type: U, state: StateOf<U>) => ComponentOf<U>;
  delete(key: string): void;
  has(key: string): boolean;
  keys(): string[];
  readonly size: number;
}
export interface DataField<T> {
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}
export interface DataMapField<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  delete(key: string): void;
  has(key: string): boolean;
  keys(): string[];
  readonly size: number;
}
export interface PointerField {
  get(): AnyComponent | undefined;
  set(target: AnyComponent): void;
  clear(): void;
}

export type FieldAccessor<S extends ChildSpec> = S extends OneSpec<infer T>
  ? OneField<T>
  : S extends MapSpec<infer T>
    ? MapField<T>
    : S extends DataSpec<infer T>
      ? DataField<T>
      : S extends DataMapSpec<infer T>
        ? DataMapField<T>
        : S extends PointerSpec
          ? PointerField
          : never;
export type FieldAccessors<C extends ChildSpecs> = { readonly [K in keyof C]: FieldAccessor<C[K]> };

/** Narrows a component reached through an untyped ref; throws if it is of another type. */
export function asComponent<T extends AnyComponentType>(c: AnyComponent, type: T): ComponentOf<T> {
  if (c.type.name !== type.name) {
    throw new TypeError(`expected component ${type.name}, found ${c.type.name} at '${c.path}'`);
  }
  return c as ComponentOf<T>;
}
