import type { SearchAttributeType } from '@chasm/core';
import { api, type temporal } from '../proto.js';

/** Temporal's search attribute limits (`limit.searchAttributes*`), from the workflow settings. */
export interface SearchAttributeLimits {
  /** limit.searchAttributesNumberOfKeys: attributes one request or command may set. */
  readonly searchAttributesMaxCount: number;
  /** limit.searchAttributesSizeOfValue */
  readonly searchAttributeValueMaxBytes: number;
  /** limit.searchAttributesTotalSize */
  readonly searchAttributesTotalMaxBytes: number;
}

/** What a namespace lets requests and commands set: settable names with their types, and the names only the server sets. */
export interface NamespaceSearchAttributes {
  /** Custom and predefined (TemporalChangeVersion, …) attributes, by name. */
  readonly types: ReadonlyMap<string, SearchAttributeType>;
  /** System attributes (WorkflowId, StartTime, …): defined, but never set by a request. */
  readonly reserved: ReadonlySet<string>;
}

/**
 * A refusal, in Temporal's words. `invalid` is its `Validator.Validate` (count, names, types: the
 * request is wrong, a workflow task carrying it fails and is retried); `size` its `ValidateSize`
 * (a value or the whole set too large: a command carrying it is terminal for the run).
 */
export interface SearchAttributeProblem {
  readonly kind: 'invalid' | 'size';
  readonly message: string;
}

type SA = temporal.api.common.v1.ISearchAttributes | null | undefined;

const dec = new TextDecoder();
/** How much of an invalid value a message quotes (Temporal quotes all of it; ours stays short). */
const QUOTED_VALUE_CHARS = 64;

/** Both of Temporal's checks, in its order: `Validate`, then `ValidateSize`. */
export function searchAttributeProblem(sa: SA, schema: NamespaceSearchAttributes, limits: SearchAttributeLimits): SearchAttributeProblem | undefined {
  return invalidSearchAttributes(sa, schema, limits) ?? searchAttributesSizeProblem(sa, limits);
}

/**
 * Temporal's `searchattribute.Validator.Validate`: no more attributes than the limit, none of the
 * system ones, each defined in the namespace, and each value decoding as its registered type (a
 * JSON string for Keyword, Text and Datetime, which must also parse as a time; an integer for
 * Int; a number for Double; a boolean for Bool; a list of strings for KeywordList; for the scalar
 * types a list of them is accepted, as Temporal does). A null or empty value unsets the attribute.
 */
export function invalidSearchAttributes(sa: SA, schema: NamespaceSearchAttributes, limits: SearchAttributeLimits): SearchAttributeProblem | undefined {
  const entries = Object.entries(sa?.indexedFields ?? {});
  if (entries.length > limits.searchAttributesMaxCount) {
    return invalid(`number of search attributes ${entries.length} exceeds limit ${limits.searchAttributesMaxCount}`);
  }
  for (const [name, payload] of entries) {
    if (schema.reserved.has(name)) return invalid(`${name} attribute can't be set in SearchAttributes`);
    const type = schema.types.get(name);
    if (!type) return invalid(`search attribute ${name} is not defined`);
    const data = payload?.data;
    if (!data || data.length === 0) continue;
    const value = decodeJson(data);
    if (!value.ok || !valueFits(type, value.v)) {
      return invalid(`invalid value for search attribute ${name} of type ${type}: ${quoted(data)}`);
    }
  }
  return undefined;
}

/** Temporal's `ValidateSize`: each value's bytes, then the encoded size of the whole set. */
export function searchAttributesSizeProblem(sa: SA, limits: SearchAttributeLimits): SearchAttributeProblem | undefined {
  const fields = sa?.indexedFields;
  if (!fields) return undefined;
  for (const [name, payload] of Object.entries(fields)) {
    const size = payload?.data?.length ?? 0;
    if (size > limits.searchAttributeValueMaxBytes) {
      return { kind: 'size', message: `search attribute ${name} value of size ${size}: exceeds size limit ${limits.searchAttributeValueMaxBytes}` };
    }
  }
  const total = api.common.v1.SearchAttributes.encode(sa).finish().length;
  if (total > limits.searchAttributesTotalMaxBytes) {
    return { kind: 'size', message: `total size of search attributes ${total}: exceeds size limit ${limits.searchAttributesTotalMaxBytes}` };
  }
  return undefined;
}

const invalid = (message: string): SearchAttributeProblem => ({ kind: 'invalid', message });

function decodeJson(data: Uint8Array): { ok: true; v: unknown } | { ok: false } {
  try {
    return { ok: true, v: JSON.parse(dec.decode(data)) as unknown };
  } catch {
    return { ok: false };
  }
}

function quoted(data: Uint8Array): string {
  const s = dec.decode(data.subarray(0, QUOTED_VALUE_CHARS * 4));
  return s.length > QUOTED_VALUE_CHARS ? `${s.slice(0, QUOTED_VALUE_CHARS)}…` : s;
}

function valueFits(type: SearchAttributeType, v: unknown): boolean {
  if (v === null) return true;
  if (type === 'KeywordList') return Array.isArray(v) && v.every((x) => typeof x === 'string');
  return Array.isArray(v) ? v.every((x) => scalarFits(type, x)) : scalarFits(type, v);
}

function scalarFits(type: SearchAttributeType, v: unknown): boolean {
  switch (type) {
    case 'Keyword':
    case 'Text':
      return typeof v === 'string';
    case 'Datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    case 'Int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'Double':
      return typeof v === 'number';
    case 'Bool':
      return typeof v === 'boolean';
    default:
      return true;
  }
}
