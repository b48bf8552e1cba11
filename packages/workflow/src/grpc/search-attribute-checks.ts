import { InvalidArgumentError, type SearchAttributeType } from '@chasm/core';
import { api, type temporal } from '../proto.js';

/** Temporal's search attribute limits (`limit.searchAttributes*`), from the workflow settings. */
export interface SearchAttributeLimits {
  /** limit.numberOfSearchAttributes… : attributes one request may set (searchAttributesNumberOfKeys). */
  readonly searchAttributesMaxCount: number;
  /** limit.searchAttributesSizeOfValue */
  readonly searchAttributeValueMaxBytes: number;
  /** limit.searchAttributesTotalSize */
  readonly searchAttributesTotalMaxBytes: number;
}

const dec = new TextDecoder();

/**
 * Search attributes as Temporal's `searchattribute.Validator` checks them at the door, after the
 * names are known to be defined: how many, each value's size, their total size, and that each
 * value decodes as its registered type (a JSON string for Keyword, Text and Datetime, which must
 * also parse as a time; an integer for Int; a number for Double; a boolean for Bool; a list of
 * strings for KeywordList; for the scalar types a list of them is accepted, as Temporal does).
 * A null or empty value unsets the attribute and is always accepted.
 */
export function checkSearchAttributes(
  field: string,
  sa: temporal.api.common.v1.ISearchAttributes | null | undefined,
  types: ReadonlyMap<string, SearchAttributeType>,
  limits: SearchAttributeLimits,
): void {
  const entries = Object.entries(sa?.indexedFields ?? {});
  if (entries.length === 0) return;
  if (entries.length > limits.searchAttributesMaxCount) {
    throw new InvalidArgumentError(field, `number of search attributes ${entries.length} exceeds limit ${limits.searchAttributesMaxCount}`);
  }
  for (const [name, payload] of entries) {
    const size = payload?.data?.length ?? 0;
    if (size > limits.searchAttributeValueMaxBytes) {
      throw new InvalidArgumentError(field, `search attribute ${name} value size ${size} exceeds size limit ${limits.searchAttributeValueMaxBytes}`);
    }
    const type = types.get(name);
    if (type && size > 0 && !valueFits(type, payload!.data!)) {
      throw new InvalidArgumentError(field, `invalid value for search attribute ${name} of type ${type}`);
    }
  }
  const total = api.common.v1.SearchAttributes.encode(sa!).finish().length;
  if (total > limits.searchAttributesTotalMaxBytes) {
    throw new InvalidArgumentError(field, `total size of search attributes ${total} exceeds size limit ${limits.searchAttributesTotalMaxBytes}`);
  }
}

function valueFits(type: SearchAttributeType, data: Uint8Array): boolean {
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    return false;
  }
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
