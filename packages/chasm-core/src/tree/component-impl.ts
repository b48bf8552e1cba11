import type {
  AnyComponent,
  AnyComponentType,
  ChildSpec,
  ChildSpecs,
  FieldAccessors,
  Component,
  ComponentOf,
  DataField,
  DataMapField,
  MapField,
  OneField,
  PointerField,
} from '../component/component-type.js';
import { asComponent } from '../component/component-type.js';
import type { Lifecycle } from '../component/lifecycle.js';
import { FailedPreconditionError } from '../errors.js';
import type { TreeNode } from './node.js';
import type { Tree } from './tree.js';

/** The live view of a component node handed to feature code. */
export class ComponentImpl implements Component<unknown> {
  private fieldCache: FieldAccessors<ChildSpecs> | undefined;
  constructor(
    private readonly tree: Tree,
    readonly node: TreeNode,
  ) {}

  get type(): AnyComponentType {
    return this.node.componentType!;
  }
  get path(): string {
    return this.node.path;
  }
  get state(): unknown {
    this.tree.hydrate(this.node);
    return this.node.value;
  }
  set state(value: unknown) {
    this.tree.assertMutable();
    this.tree.hydrate(this.node);
    this.node.value = value;
  }
  get fields(): FieldAccessors<ChildSpecs> {
    if (!this.fieldCache) {
      const fields: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(this.type.children as ChildSpecs)) fields[name] = this.accessor(name, spec);
      this.fieldCache = fields as FieldAccessors<ChildSpecs>;
    }
    return this.fieldCache;
  }
  parent(): AnyComponent | undefined;
  parent<T extends AnyComponentType>(type: T): ComponentOf<T> | undefined;
  parent(type?: AnyComponentType): AnyComponent | undefined {
    const p = this.node.parentComponent();
    if (!p) return undefined;
    const parent = this.tree.wrap(p);
    return type ? asComponent(parent, type) : parent;
  }
  lifecycle(): Lifecycle {
    return this.type.lifecycle(this.state);
  }

  private accessor(name: string, spec: ChildSpec): unknown {
    const tree = this.tree;
    const node = this.node;
    const child = (): TreeNode | undefined => node.children.get(name);
    const clear = (): void => {
      const c = child();
      if (c) tree.removeSubtree(c);
    };
    /** The map node itself, created on first write. */
    const mapNode = (create: boolean): TreeNode | undefined =>
      child() ?? (create ? tree.addChild(node, name, 'map', '', undefined) : undefined);
    switch (spec.kind) {
      case 'one':
        return {
          get: () => {
            const c = child();
            return c ? tree.wrap(c) : undefined;
          },
          create: (state: unknown) => tree.wrap(tree.addChild(node, name, 'component', spec.type.name, state)),
          clear,
        } satisfies OneField<AnyComponentType>;
      case 'map': {
        const field = {
          get: (key: string) => {
            const item = mapNode(false)?.children.get(key);
            return item ? tree.wrap(item) : undefined;
          },
          create: (key: string, typeOrState: unknown, maybeState?: unknown) => {
            const type = spec.type === 'any' ? (typeOrState as AnyComponentType) : spec.type;
            const state = spec.type === 'any' ? maybeState : typeOrState;
            if (!tree.registry.hasComponent(type.name)) {
              throw new FailedPreconditionError(`component type ${type.name} is not registered`);
            }
            return tree.wrap(tree.addChild(mapNode(true)!, key, 'component', type.name, state));
          },
          delete: (key: string) => {
            const item = mapNode(false)?.children.get(key);
            if (item) tree.removeSubtree(item);
          },
          has: (key: string) => mapNode(false)?.children.has(key) ?? false,
          keys: () => [...(mapNode(false)?.children.keys() ?? [])],
          get size() {
            return mapNode(false)?.children.size ?? 0;
          },
        };
        return field as unknown as MapField<AnyComponentType>;
      }
      case 'data':
        return {
          get: () => {
            const c = child();
            if (!c) return undefined;
            tree.hydrate(c);
            return c.value;
          },
          set: (value: unknown) => {
            const c = child();
            if (c) {
              tree.assertMutable();
              tree.hydrate(c);
              c.value = value;
            } else {
              tree.addChild(node, name, 'data', spec.codec.name, value);
            }
          },
          clear,
        } satisfies DataField<unknown>;
      case 'dataMap':
        return {
          get: (key: string) => {
            const item = mapNode(false)?.children.get(key);
            if (!item) return undefined;
            tree.hydrate(item);
            return item.value;
          },
          set: (key: string, value: unknown) => {
            const m = mapNode(true)!;
            const item = m.children.get(key);
            if (item) {
              tree.assertMutable();
              tree.hydrate(item);
              item.value = value;
            } else {
              tree.addChild(m, key, 'data', spec.codec.name, value);
            }
          },
          delete: (key: string) => {
            const item = mapNode(false)?.children.get(key);
            if (item) tree.removeSubtree(item);
          },
          has: (key: string) => mapNode(false)?.children.has(key) ?? false,
          keys: () => [...(mapNode(false)?.children.keys() ?? [])],
          get size() {
            return mapNode(false)?.children.size ?? 0;
          },
        } satisfies DataMapField<unknown>;
      case 'pointer':
        return {
          get: () => {
            const c = child();
            if (!c) return undefined;
            tree.hydrate(c);
            const target = tree.nodes.get(c.value as string);
            return target && target.kind === 'component' ? tree.wrap(target) : undefined;
          },
          set: (target: AnyComponent) => {
            if (tree.nodes.get(target.path)?.kind !== 'component') {
              throw new FailedPreconditionError(`pointer target '${target.path}' is not a component of this execution`);
            }
            const c = child();
            if (c) {
              tree.assertMutable();
              tree.hydrate(c);
              c.value = target.path;
            } else {
              tree.addChild(node, name, 'pointer', '', target.path);
            }
          },
          clear,
        } satisfies PointerField;
    }
  }
}
