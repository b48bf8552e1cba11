import type { AnyComponent, AnyComponentType, ChildSpec } from '../component/component-type.js';
import { FailedPreconditionError } from '../errors.js';
import type { NodeKind, NodeRow, TaskRow } from '../persistence/store.js';
import type { Registry } from '../registry/registry.js';
import { ComponentImpl } from './component-impl.js';
import { TreeNode, bytesEqual, decodeComponentState, persistedSchemaVersion, persistedStateEquals, withSchemaVersion } from './node.js';
import { childPath, splitPath } from './path.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The node-level changes of one transaction, ready for the store. */
export interface TreeDiff {
  readonly upserts: NodeRow[];
  readonly deletes: string[];
  /** Nodes behind `upserts`, in the same order, to be marked persisted after the commit. */
  readonly written: TreeNode[];
  /** Every node the diff compared (written or not): clean once the commit succeeds. */
  readonly compared: TreeNode[];
}

/**
 * An execution's component tree. Structure changes only through field accessors (create, set,
 * delete), and only while `mutable` (inside engine.update/start); the engine turns the tree's
 * diff into one store commit.
 */
export class Tree {
  readonly nodes = new Map<string, TreeNode>();
  readonly root: TreeNode;
  mutable = false;
  /** The execution's in-memory lineage (`Context.memoryEpoch`), set by the engine when it loads or creates the tree. */
  memoryEpoch = '';
  /** Persisted paths removed during the current transaction. */
  readonly removedPaths = new Set<string>();
  /** Tasks whose component was removed during the current transaction. */
  readonly removedTasks: TaskRow[] = [];
  /**
   * Bytes of the component nodes as last written or loaded: the execution's state, without its
   * data nodes (a workflow's history). Kept from the bytes commits already encode, so reading it
   * costs nothing (limits such as Temporal's limit.mutableStateSize use it).
   */
  componentBytes = 0;
  /** Persisted component bytes removed in the current transaction, subtracted when it commits. */
  private removedComponentBytes = 0;
  /**
   * Nodes whose value was handed out (or set, or created) since they last matched the database:
   * the only ones a commit re-encodes. A value nobody read cannot have changed, so an execution
   * with many hydrated but idle nodes (a workflow with hundreds of finished updates) no longer
   * pays an encode per node per commit (issue 16, update: it grew with every update). Cleared per
   * node by a successful commit; a failed one drops the cached execution anyway.
   */
  private readonly touched = new Set<TreeNode>();

  private constructor(
    readonly registry: Registry,
    root: TreeNode,
  ) {
    this.root = root;
    this.nodes.set('', root);
  }

  static create(registry: Registry, rootType: AnyComponentType, state: unknown): Tree {
    const root = new TreeNode('component', '', '', undefined, rootType.name);
    root.componentType = rootType;
    root.hydrated = true;
    root.value = state;
    const tree = new Tree(registry, root);
    tree.touched.add(root);
    return tree;
  }

  /** Rebuilds the skeleton from rows; values stay encoded until touched. */
  static load(registry: Registry, rows: readonly NodeRow[], tasks: readonly TaskRow[]): Tree {
    const sorted = [...rows].sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
    const rootRow = sorted[0];
    if (!rootRow || rootRow.path !== '') throw new Error('execution has no root node');
    const root = new TreeNode('component', '', '', undefined, rootRow.typeName);
    root.componentType = registry.component(rootRow.typeName);
    const tree = new Tree(registry, root);
    tree.adopt(root, rootRow);
    for (const row of sorted.slice(1)) {
      const { parent: parentPath, name } = splitPath(row.path);
      const parent = tree.nodes.get(parentPath) ?? tree.implicitMap(parentPath);
      if (!parent) throw new Error(`node '${row.path}' has no parent`);
      const node = new TreeNode(row.kind, name, row.path, parent, row.typeName);
      if (row.kind === 'component') node.componentType = registry.component(row.typeName);
      tree.adopt(node, row);
      parent.children.set(name, node);
      tree.nodes.set(row.path, node);
    }
    for (const t of tasks) {
      // The engine's own tasks belong to the execution, not to a node.
      if (t.kind === 'visibility' || t.kind === 'retention') continue;
      const node = tree.nodes.get(t.path);
      // A task row whose node is gone is garbage from an older transaction; the engine drops it.
      if (node) node.tasks.push({ row: t });
      else tree.removedTasks.push(t);
    }
    return tree;
  }

  /**
   * Map nodes hold no data, so they are not written (`diff`): a map exists as its children's
   * common parent path and is rebuilt here, under the component whose field it is. Rows of maps
   * written by older versions still load as they are. Saves two row writes per workflow
   * (issue 16), and an empty map reads exactly like a missing one.
   */
  private implicitMap(path: string): TreeNode | undefined {
    if (path === '') return undefined;
    const { parent: ownerPath, name } = splitPath(path);
    const owner = this.nodes.get(ownerPath);
    const spec = owner?.kind === 'component' ? owner.componentType?.children[name] : undefined;
    if (!owner || (spec?.kind !== 'map' && spec?.kind !== 'dataMap')) return undefined;
    const map = new TreeNode('map', name, path, owner, '');
    map.hydrated = true;
    owner.children.set(name, map);
    this.nodes.set(path, map);
    return map;
  }

  private adopt(node: TreeNode, row: NodeRow): void {
    node.initialTc = row.initialTc;
    node.lastUpdateTc = row.lastUpdateTc;
    node.persisted = row.data;
    if (row.kind === 'component') this.componentBytes += row.data.length;
  }

  assertMutable(): void {
    if (!this.mutable) throw new FailedPreconditionError('component state can only change inside engine.update or engine.start');
  }

  /**
   * Decodes a node's value on first access. Every access of a value goes through here (the
   * caller may change it in place), so this is also where a node becomes a candidate for the
   * next commit's diff.
   */
  hydrate(node: TreeNode): void {
    this.touched.add(node);
    if (node.hydrated) return;
    const bytes = node.persisted ?? EMPTY;
    switch (node.kind) {
      case 'component': {
        node.value = decodeComponentState(node.componentType!, bytes);
        const version = persistedSchemaVersion(bytes);
        node.migratedFrom = version === node.componentType!.schemaVersion ? undefined : version;
        break;
      }
      case 'data':
        node.codec ??= this.codecOf(node);
        node.value = node.codec.decode(bytes);
        break;
      case 'pointer':
        node.value = fromUtf8.decode(bytes);
        break;
      case 'map':
        break;
    }
    node.hydrated = true;
  }

  /** The child spec under which `node` hangs (for data nodes, the codec comes from it). */
  specOf(node: TreeNode): ChildSpec | undefined {
    const parent = node.parent;
    if (!parent) return undefined;
    if (parent.kind === 'component') return parent.componentType?.children[node.name];
    if (parent.kind === 'map') return parent.parent?.componentType?.children[parent.name];
    return undefined;
  }

  private codecOf(node: TreeNode) {
    const spec = this.specOf(node);
    if (spec?.kind === 'data' || spec?.kind === 'dataMap') return spec.codec;
    throw new Error(`data node '${node.path}' has no data field spec`);
  }

  wrap(node: TreeNode): AnyComponent {
    node.wrapper ??= new ComponentImpl(this, node);
    return node.wrapper as AnyComponent;
  }

  /** Adds a new child node (replacing, and deleting, any existing one with that name). */
  addChild(parent: TreeNode, name: string, kind: NodeKind, typeName: string, value: unknown): TreeNode {
    this.assertMutable();
    const existing = parent.children.get(name);
    if (existing) this.removeSubtree(existing);
    const path = childPath(parent.path, name);
    const node = new TreeNode(kind, name, path, parent, typeName);
    node.hydrated = true;
    node.value = value;
    this.touched.add(node);
    if (kind === 'component') node.componentType = this.registry.component(typeName);
    parent.children.set(name, node);
    this.nodes.set(path, node);
    return node;
  }

  /** Structural delete: the node and everything under it, with their tasks. */
  removeSubtree(node: TreeNode): void {
    this.assertMutable();
    if (node === this.root) throw new FailedPreconditionError('the root component cannot be removed');
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      stack.push(...n.children.values());
      if (n.persisted !== undefined) {
        this.removedPaths.add(n.path);
        if (n.kind === 'component') this.removedComponentBytes += n.persisted.length;
      }
      for (const t of n.tasks) this.removedTasks.push(t.row);
      n.tasks = [];
      this.nodes.delete(n.path);
    }
    node.parent?.children.delete(node.name);
  }

  /** Computes which nodes to write; stamps nothing (see markWritten). */
  diff(nextTc: number): TreeDiff {
    const upserts: NodeRow[] = [];
    const written: TreeNode[] = [];
    const compared: TreeNode[] = [];
    for (const node of this.touched) {
      // Removed (or replaced by a node at the same path, itself touched), or a map — maps are
      // implied by their children's paths (see `implicitMap`): never written, forget them.
      if (this.nodes.get(node.path) !== node || node.kind === 'map') {
        this.touched.delete(node);
        continue;
      }
      const isNew = node.persisted === undefined;
      // Touched by a decode that threw: its value is not the state, and it did not change.
      if (!isNew && !node.hydrated) continue;
      compared.push(node);
      let data: Uint8Array;
      if (node.kind === 'component') {
        // Compare the codec's bytes with the stored ones before building the versioned copy:
        // most hydrated components are unchanged at a commit (issue 16: allocation, GC).
        const type = node.componentType!;
        const body = type.codec.encode(node.value);
        if (!isNew && persistedStateEquals(type, node.persisted, body)) continue;
        data = withSchemaVersion(type, body);
      } else {
        data = this.encode(node);
        if (!isNew && bytesEqual(node.persisted, data)) continue;
      }
      upserts.push({
        path: node.path,
        kind: node.kind,
        typeName: node.typeName,
        initialTc: isNew ? nextTc : node.initialTc,
        lastUpdateTc: nextTc,
        data,
      });
      written.push(node);
    }
    // A path removed and re-created in the same transaction is an upsert, not a delete.
    const deletes = [...this.removedPaths].filter((p) => !this.nodes.has(p));
    return { upserts, deletes, written, compared };
  }

  /** After a successful commit: the written nodes now match the database. */
  markWritten(diff: TreeDiff): void {
    // Nodes touched after the diff (by task validation, while the write was out) stay candidates.
    for (const node of diff.compared) this.touched.delete(node);
    diff.written.forEach((node, i) => {
      const row = diff.upserts[i]!;
      if (node.kind === 'component') this.componentBytes += row.data.length - (node.persisted?.length ?? 0);
      node.persisted = row.data;
      node.initialTc = row.initialTc;
      node.lastUpdateTc = row.lastUpdateTc;
    });
    this.componentBytes -= this.removedComponentBytes;
    this.removedComponentBytes = 0;
    this.removedPaths.clear();
    this.removedTasks.length = 0;
  }

  private encode(node: TreeNode): Uint8Array {
    switch (node.kind) {
      case 'component':
        return withSchemaVersion(node.componentType!, node.componentType!.codec.encode(node.value));
      case 'data':
        node.codec ??= this.codecOf(node);
        return node.codec.encode(node.value);
      case 'pointer':
        return utf8.encode(String(node.value));
      case 'map':
        return EMPTY;
    }
  }
}
