import { int64ToNumber, proto } from '../grpc/proto-root.js';

/** Namespace lifecycle states, named as in temporal.api.enums.v1.NamespaceState. */
export const NamespaceState = {
  Registered: 'NAMESPACE_STATE_REGISTERED',
  Deprecated: 'NAMESPACE_STATE_DEPRECATED',
  Deleted: 'NAMESPACE_STATE_DELETED',
} as const;
export type NamespaceState = (typeof NamespaceState)[keyof typeof NamespaceState];

export const ArchivalState = {
  Unspecified: 'ARCHIVAL_STATE_UNSPECIFIED',
  Disabled: 'ARCHIVAL_STATE_DISABLED',
  Enabled: 'ARCHIVAL_STATE_ENABLED',
} as const;
export type ArchivalState = (typeof ArchivalState)[keyof typeof ArchivalState];

/** A namespace as the server keeps it. */
export interface NamespaceRecord {
  readonly id: string;
  readonly name: string;
  readonly state: NamespaceState;
  readonly description: string;
  readonly ownerEmail: string;
  readonly data: Readonly<Record<string, string>>;
  /** Retention of closed executions, in seconds (Duration nanos are not kept). */
  readonly retentionSeconds: number;
  readonly historyArchivalState: ArchivalState;
  readonly historyArchivalUri: string;
  readonly visibilityArchivalState: ArchivalState;
  readonly visibilityArchivalUri: string;
  /** Optimistic-concurrency version; bumped by every update. */
  readonly version: number;
  readonly createdAt: Date;
}

/** The columns `data` holds; name, state, id and version live in their own columns. */
export type NamespaceData = Omit<NamespaceRecord, 'id' | 'name' | 'state' | 'version' | 'createdAt'>;

const Container = proto.temporal.api.workflowservice.v1.DescribeNamespaceResponse;

/**
 * Encodes the mutable details as a DescribeNamespaceResponse (namespace_info + config): an
 * official message with exactly these fields, so new fields Temporal adds have a home and
 * old rows still decode.
 */
export function encodeNamespaceData(record: NamespaceData & { id: string; name: string; state: NamespaceState }): Uint8Array {
  const message = {
    namespaceInfo: {
      id: record.id,
      name: record.name,
      state: enumValue('NamespaceState', record.state),
      description: record.description,
      ownerEmail: record.ownerEmail,
      data: { ...record.data },
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: record.retentionSeconds },
      historyArchivalState: enumValue('ArchivalState', record.historyArchivalState),
      historyArchivalUri: record.historyArchivalUri,
      visibilityArchivalState: enumValue('ArchivalState', record.visibilityArchivalState),
      visibilityArchivalUri: record.visibilityArchivalUri,
    },
  };
  return Container.encode(Container.fromObject(message)).finish();
}

export function decodeNamespaceData(bytes: Uint8Array): NamespaceData {
  const m = Container.toObject(Container.decode(bytes), { enums: String, defaults: true }) as {
    namespaceInfo?: { description?: string; ownerEmail?: string; data?: Record<string, string> };
    config?: {
      workflowExecutionRetentionTtl?: { seconds?: unknown };
      historyArchivalState?: ArchivalState;
      historyArchivalUri?: string;
      visibilityArchivalState?: ArchivalState;
      visibilityArchivalUri?: string;
    };
  };
  return {
    description: m.namespaceInfo?.description ?? '',
    ownerEmail: m.namespaceInfo?.ownerEmail ?? '',
    data: { ...(m.namespaceInfo?.data ?? {}) },
    retentionSeconds: int64ToNumber(m.config?.workflowExecutionRetentionTtl?.seconds),
    historyArchivalState: m.config?.historyArchivalState ?? ArchivalState.Disabled,
    historyArchivalUri: m.config?.historyArchivalUri ?? '',
    visibilityArchivalState: m.config?.visibilityArchivalState ?? ArchivalState.Disabled,
    visibilityArchivalUri: m.config?.visibilityArchivalUri ?? '',
  };
}

function enumValue(enumName: 'NamespaceState' | 'ArchivalState', name: string): number {
  const values = proto.temporal.api.enums.v1[enumName] as unknown as Record<string, number>;
  const v = values[name];
  if (v === undefined) throw new Error(`unknown ${enumName} ${name}`);
  return v;
}
