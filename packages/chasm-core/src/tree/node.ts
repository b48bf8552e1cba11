import type { AnyComponentType } from '../component/component-type.js';
import type { Codec } from '../component/codec.js';
import type { NodeKind, TaskRow } from '../persistence/store.js';

/** A logical task attached to a component node, as the tree keeps it in memory. */
export interface LiveTask {
  readonly row: TaskRow;
  /** Decoded payload, memoised. */
  payload?: unknown;
}

/**
 * One node of an execution's tree; one database row. Values are decoded lazily: a loaded node
 * keeps its bytes until first access (`hydrated`). At commit every hydrated node is re-encoded
 * and compared with its persisted bytes: equal bytes mean "not dirty", so accidental touches
 * cost no write.
 */
export class TreeNode {
  readonly children = new Map<string, TreeNode>();
  /** Outstanding logical tasks (component nodes only). */
  tasks: LiveTask[] = [];
  /** 0 until the node's creating transaction commits. */
  initialTc = 0;
  lastUpdateTc = 0;
  /** Bytes as last persisted; undefined for a node not yet written. */
  persisted: Uint8Array | undefined;
  hydrated = false;
  value: unknown = undefined;
  /**
   * Component nodes: the older schema version the persisted state was migrated from when it was
   * hydrated (undefined if it was current). The next commit writes it back at the current one.
   */
  migratedFrom: number | undefined;
  /** Component type for component nodes. */
  componentType: AnyComponentType | undefined;
  /** Codec for data nodes. */
  codec: Codec<unknown> | undefined;
  /** Memoised component wrapper (see component-impl.ts). */
  wrapper: unknown = undefined;

  constructor(
    readonly kind: NodeKind,
    readonly name: string,
    readonly path: string,
    readonly parent: TreeNode | undefined,
    readonly typeName: string,
  ) {}

  /** Nearest ancestor that is a component (maps are skipped). */
  parentComponent(): TreeNode | undefined {
    let p = this.parent;
    while (p && p.kind !== 'component') p = p.parent;
    return p;
  }
}

const VERSION_BYTES = 2;

/** Component node bytes: a 2-byte big-endian schema version, then the codec's bytes. */
export function encodeComponentState(type: AnyComponentType, state: unknown): Uint8Array {
  return withSchemaVersion(type, type.codec.encode(state));
}

/**
 * Whether `persisted` holds exactly `body` at the type's current schema version: the dirtiness
 * check of a commit, without building the versioned copy for the (common) unchanged node.
 */
export function persistedStateEquals(type: AnyComponentType, persisted: Uint8Array | undefined, body: Uint8Array): boolean {
  if (!persisted || persisted.length !== body.length + VERSION_BYTES) return false;
  if (persistedSchemaVersion(persisted) !== type.schemaVersion) return false;
  return Buffer.compare(persisted.subarray(VERSION_BYTES), body) === 0;
}

/** `body` prefixed with the type's schema version (see encodeComponentState). */
export function withSchemaVersion(type: AnyComponentType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + VERSION_BYTES);
  out[0] = (type.schemaVersion >> 8) & 0xff;
  out[1] = type.schemaVersion & 0xff;
  out.set(body, VERSION_BYTES);
  return out;
}

/** The schema version component node bytes were written at. */
export function persistedSchemaVersion(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
}

export function decodeComponentState(type: AnyComponentType, bytes: Uint8Array): unknown {
  const version = persistedSchemaVersion(bytes);
  const state: unknown = type.codec.decode(bytes.subarray(VERSION_BYTES));
  if (version === type.schemaVersion) return state;
  if (version > type.schemaVersion) {
    throw new Error(`component ${type.name} state has schema version ${version}, newer than this build's ${type.schemaVersion}`);
  }
  if (!type.migrate) {
    throw new Error(`component ${type.name} state has schema version ${version} but the type has no migrate()`);
  }
  return type.migrate(state, version);
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  return Buffer.compare(a, b) === 0;
}
