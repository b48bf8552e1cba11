import { invalidField } from '../errors.js';
import type { NexusConfig } from '../config.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An endpoint id from a request: set and a UUID (ids are server-generated UUIDs). */
export function validateId(id: string | null | undefined): string {
  if (!id) throw invalidField('id', 'endpoint ID not set');
  if (!UUID.test(id)) throw invalidField('id', `malformed endpoint ID: ${JSON.stringify(id)}`);
  return id;
}

/** int64 fields arrive as a number or a Long, depending on the protobufjs build. */
type Int64 = number | { toNumber(): number } | null | undefined;

/** The version update and delete must name: the endpoint's current one, so positive. */
export function validateVersion(version: Int64): number {
  const v = version == null ? 0 : typeof version === 'number' ? version : version.toNumber();
  if (!(v > 0)) throw invalidField('version', 'endpoint version is non-positive');
  return v;
}

/** 0 (unset) means the default; negative or above the limit is refused, as Temporal does. */
export function validatePageSize(pageSize: number | null | undefined, config: Pick<NexusConfig, 'defaultPageSize' | 'maxPageSize'>): number {
  const n = pageSize ?? 0;
  if (n === 0) return Math.min(config.defaultPageSize, config.maxPageSize);
  if (n < 0) throw invalidField('page_size', 'is negative');
  if (n > config.maxPageSize) throw invalidField('page_size', `exceeds limit of ${config.maxPageSize}`);
  return n;
}
