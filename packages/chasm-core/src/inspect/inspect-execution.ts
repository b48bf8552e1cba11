/**
 * An execution's component tree as persisted, decoded for people (the inspector's model). It
 * knows no component type: each node is decoded by the codec its package registered (through
 * the same Tree code the engine uses, migrations included), lifecycles come from the
 * component types, and task payloads from the task types' codecs. A node that cannot be decoded
 * says why instead of failing the whole tree.
 */
import type { ChildSpecs } from '../component/component-type.js';
import type { LoadedExecution, NodeKind, TaskKind, TaskRow } from '../persistence/store.js';
import type { Registry } from '../registry/registry.js';
import type { TreeNode } from '../tree/node.js';
import { persistedSchemaVersion } from '../tree/node.js';
import { Tree } from '../tree/tree.js';
import { toInspectableJson, type InspectedJson } from './to-json.js';

export interface InspectedTask {
  readonly taskId: string;
  readonly kind: TaskKind;
  /** Registered task type (`scheduler.generate`); '' for the engine's own tasks. */
  readonly type: string;
  /** ISO time the task is due; null: immediate. */
  readonly fireAt: string | null;
  /** The transition that created the task. */
  readonly createdTransition: number;
  readonly payload: InspectedJson;
}

export interface InspectedNode {
  /** The field or map key this node hangs under ('' for the root). */
  readonly name: string;
  readonly path: string;
  readonly kind: NodeKind;
  /** Component type for components, codec name for data, '' for maps and pointers. */
  readonly type: string;
  /** Components only. */
  readonly lifecycle?: string;
  /** Components only: the schema version the state was persisted at. */
  readonly schemaVersion?: number;
  /** Decoded state (components and data) or target path (pointers). */
  readonly state?: InspectedJson;
  /** Why the node could not be decoded (unknown type, bad bytes, failed migration). */
  readonly error?: string;
  readonly initialTransition: number;
  readonly lastTransition: number;
  /** Pending tasks of this component, earliest first (immediate ones before timers). */
  readonly tasks: readonly InspectedTask[];
  readonly children: readonly InspectedNode[];
}

export interface InspectedExecution {
  readonly execution: {
    readonly status: string;
    readonly transitionCount: number;
    readonly dbVersion: number;
    readonly startTime: string;
    readonly closeTime: string | null;
    readonly shardId: number;
  };
  readonly root: InspectedNode;
  /** The engine's own tasks of this execution (visibility, retention), and tasks whose node is gone. */
  readonly executionTasks: readonly InspectedTask[];
}

export function inspectExecution(registry: Registry, loaded: LoadedExecution): InspectedExecution {
  const e = loaded.execution;
  const tree = Tree.load(registry, loaded.nodes, loaded.tasks);
  const engineTasks = loaded.tasks.filter((t) => t.kind === 'visibility' || t.kind === 'retention');
  return {
    execution: {
      status: e.status,
      transitionCount: e.transitionCount,
      dbVersion: e.dbVersion,
      startTime: e.startTime.toISOString(),
      closeTime: e.closeTime ? e.closeTime.toISOString() : null,
      shardId: e.shardId,
    },
    root: inspectNode(tree, tree.root, registry),
    executionTasks: sortTasks([...engineTasks, ...tree.removedTasks].map((t) => inspectTask(registry, t))),
  };
}

function inspectNode(tree: Tree, node: TreeNode, registry: Registry): InspectedNode {
  let state: InspectedJson | undefined;
  let lifecycle: string | undefined;
  let error: string | undefined;
  try {
    tree.hydrate(node);
    if (node.kind === 'component') {
      state = toInspectableJson(node.value);
      lifecycle = node.componentType!.lifecycle(node.value);
    } else if (node.kind === 'data' || node.kind === 'pointer') {
      state = toInspectableJson(node.value);
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  return {
    name: node.name,
    path: node.path,
    kind: node.kind,
    type: node.typeName,
    ...(lifecycle !== undefined ? { lifecycle } : {}),
    ...(node.kind === 'component' && node.persisted ? { schemaVersion: persistedSchemaVersion(node.persisted) } : {}),
    ...(state !== undefined ? { state } : {}),
    ...(error !== undefined ? { error } : {}),
    initialTransition: node.initialTc,
    lastTransition: node.lastUpdateTc,
    tasks: sortTasks(node.tasks.map((t) => inspectTask(registry, t.row))),
    children: [...node.children.values()].map((c) => inspectNode(tree, c, registry)),
  };
}

function inspectTask(registry: Registry, t: TaskRow): InspectedTask {
  let payload: InspectedJson;
  try {
    payload = registry.hasTask(t.typeName) ? toInspectableJson(registry.task(t.typeName).codec.decode(t.payload)) : toInspectableJson(t.payload);
  } catch (e) {
    payload = { $error: e instanceof Error ? e.message : String(e), ...(toInspectableJson(t.payload) as { [k: string]: InspectedJson }) };
  }
  return {
    taskId: t.taskId,
    kind: t.kind,
    type: t.typeName,
    fireAt: t.fireAt ? t.fireAt.toISOString() : null,
    createdTransition: t.createdTc,
    payload,
  };
}

function sortTasks(tasks: InspectedTask[]): InspectedTask[] {
  return tasks.sort((a, b) => (a.fireAt ?? '').localeCompare(b.fireAt ?? '') || a.taskId.localeCompare(b.taskId));
}

/** What the registry knows: every library, its component types (with their child fields) and task types. */
export interface RegistryDescription {
  readonly libraries: readonly {
    readonly name: string;
    readonly components: readonly { readonly name: string; readonly schemaVersion: number; readonly detached: boolean; readonly fields: readonly { readonly name: string; readonly kind: string; readonly type: string }[] }[];
    readonly tasks: readonly { readonly name: string; readonly kind: string; readonly component: string }[];
  }[];
}

export function describeRegistry(registry: Registry): RegistryDescription {
  return {
    libraries: registry.allLibraries().map((l) => ({
      name: l.name,
      components: l.components.map((c) => ({
        name: c.name,
        schemaVersion: c.schemaVersion,
        detached: c.detached,
        fields: Object.entries(c.children as ChildSpecs).map(([name, spec]) => ({
          name,
          kind: spec.kind,
          type: spec.kind === 'one' || spec.kind === 'map' ? (spec.type === 'any' ? 'any' : spec.type.name) : spec.kind === 'pointer' ? '' : spec.codec.name,
        })),
      })),
      tasks: l.tasks.map((t) => ({ name: t.name, kind: t.kind, component: t.component.name })),
    })),
  };
}
