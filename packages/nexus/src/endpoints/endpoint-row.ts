import type { ColumnType } from 'kysely';
import type { EndpointDescription, EndpointSpec, EndpointTarget, NexusEndpoint } from './endpoint.js';

/** Kysely type of `nexus_endpoints` (created by `migrations.ts`). bigint reads as a number (see core's `openDatabase`). */
export interface NexusEndpointsTable {
  id: string;
  name: string;
  version: number;
  spec: ColumnType<StoredSpec, string, string>;
  created_at: ColumnType<Date, Date, Date>;
  updated_at: ColumnType<Date, Date, Date>;
}

export interface NexusDatabase {
  nexus_endpoints: NexusEndpointsTable;
}

/** The jsonb `spec` column: description and target, bytes as base64. Persisted: change it with care. */
interface StoredSpec {
  readonly description?: { readonly metadata: Readonly<Record<string, string>>; readonly data: string };
  readonly target: EndpointTarget;
}

export function specToJson(spec: EndpointSpec): string {
  const stored: StoredSpec = {
    ...(spec.description ? { description: encodeDescription(spec.description) } : {}),
    target: spec.target,
  };
  return JSON.stringify(stored);
}

export function rowToEndpoint(row: { id: string; name: string; version: number; spec: StoredSpec; created_at: Date; updated_at: Date }): NexusEndpoint {
  return {
    id: row.id,
    version: Number(row.version),
    name: row.name,
    description: row.spec.description ? decodeDescription(row.spec.description) : undefined,
    target: row.spec.target,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function encodeDescription(d: EndpointDescription): NonNullable<StoredSpec['description']> {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata)) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(d.data).toString('base64') };
}

function decodeDescription(d: NonNullable<StoredSpec['description']>): EndpointDescription {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(d.metadata)) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(d.data, 'base64')) };
}
