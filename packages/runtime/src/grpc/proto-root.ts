import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';

/**
 * The official Temporal API definitions, as the protobufjs root shipped in `@temporalio/proto`
 * (the same root the TypeScript SDK encodes with). We never copy `.proto` files: the SDK
 * release we test against pins the API, and both sides read one definition.
 *
 * `@temporalio/proto` is CommonJS whose export is computed at runtime (a patched Root), so Node's
 * ESM loader cannot see named exports; we load it with `require` and type it as the package.
 */
const require = createRequire(import.meta.url);
export const proto = require('@temporalio/proto') as typeof TemporalProto;
export type { temporal, google } from '@temporalio/proto';

/** The slice of protobufjs reflection the server uses (kept local: protobufjs is not our dep). */
export interface ProtoType {
  readonly fullName: string;
  /** Fields by name (field numbers for hand-written parts of an encoding). */
  readonly fields: Readonly<Record<string, { readonly id: number }>>;
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
  toObject(message: object, options?: Record<string, unknown>): Record<string, unknown>;
}

export interface ProtoMethod {
  readonly name: string;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
  readonly resolvedRequestType: ProtoType | null;
  readonly resolvedResponseType: ProtoType | null;
  resolve(): ProtoMethod;
}

export interface ProtoService {
  readonly fullName: string;
  readonly methods: Readonly<Record<string, ProtoMethod>>;
}

interface ProtoRoot {
  lookupService(path: string): ProtoService;
  lookupType(path: string): ProtoType;
}

const root = proto as unknown as ProtoRoot;

/** A service by fully qualified name, e.g. 'temporal.api.workflowservice.v1.WorkflowService'. */
export function lookupService(fullName: string): ProtoService {
  return root.lookupService(fullName);
}

/** A message type by fully qualified name (no leading dot). */
export function lookupType(fullName: string): ProtoType {
  return root.lookupType(fullName);
}

/** Int64 fields decode as Long objects (or numbers/strings from plain objects); read as number. */
export function int64ToNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number.NaN;
}
