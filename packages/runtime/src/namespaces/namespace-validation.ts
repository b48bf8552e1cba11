import { InvalidArgumentError } from '@chasm/core';
import { int64ToNumber } from '../grpc/proto-root.js';

export const MAX_NAMESPACE_NAME_LENGTH = 255;
/** Letters, digits, '.', '_' and '-', starting with a letter or digit (Temporal's rule). */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

export const DEFAULT_RETENTION_SECONDS = 24 * 60 * 60;
/** The single cluster this server presents itself as (Temporal's dev-server name). */
export const CLUSTER_NAME = 'active';

/** Validates a namespace name; `field` is the request field it came from. */
export function validateNamespaceName(name: unknown, field = 'namespace'): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(field, `${field} is required`);
  if (name.length > MAX_NAMESPACE_NAME_LENGTH) {
    throw new InvalidArgumentError(field, `${field} is longer than ${MAX_NAMESPACE_NAME_LENGTH} characters`);
  }
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      field,
      `${field} '${name}' may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit`,
    );
  }
  return name;
}

/**
 * Reads a google.protobuf.Duration as whole seconds. Absent or zero means "use the default";
 * negative or malformed values are rejected naming the field.
 */
export function retentionSeconds(duration: { seconds?: unknown; nanos?: unknown } | null | undefined, field: string): number | undefined {
  if (!duration) return undefined;
  const seconds = int64ToNumber(duration.seconds);
  const nanos = typeof duration.nanos === 'number' ? duration.nanos : 0;
  if (!Number.isFinite(seconds) || seconds < 0 || nanos < 0 || nanos > 999_999_999) {
    throw new InvalidArgumentError(field, `${field} must be a non-negative duration`);
  }
  const total = seconds + (nanos > 0 ? 1 : 0); // round up: retention is never shorter than asked
  return total === 0 ? undefined : total;
}

/** Data keys must be non-empty (they become map keys in every SDK). */
export function validateData(data: Record<string, string> | null | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) {
    if (k === '') throw new InvalidArgumentError(field, `${field} has an empty key`);
    out[k] = v;
  }
  return out;
}

/** This server is a single cluster named 'active'; anything else is a request for replication. */
export function validateClusterName(name: string | null | undefined, field: string): void {
  if (name && name !== CLUSTER_NAME) {
    throw new InvalidArgumentError(field, `${field} '${name}' is unknown; the only cluster is '${CLUSTER_NAME}'`);
  }
}
