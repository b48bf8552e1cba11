import type { SearchAttributeType, SearchAttributeValue } from '@chasm/core';
import { temporalProto, type temporal } from './temporal-proto.js';

/**
 * Search attributes as the Temporal API carries them: registered types as IndexedValueType
 * numbers, values as json/plain payloads. Shared by every package that takes search attributes
 * on its requests (workflows, schedules).
 */

const I = temporalProto.temporal.api.enums.v1.IndexedValueType;
/** IndexedValueType → the type name the query language and component schemas use. */
const TYPE_NAMES: Readonly<Partial<Record<number, SearchAttributeType>>> = {
  [I.INDEXED_VALUE_TYPE_TEXT]: 'Text',
  [I.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [I.INDEXED_VALUE_TYPE_INT]: 'Int',
  [I.INDEXED_VALUE_TYPE_DOUBLE]: 'Double',
  [I.INDEXED_VALUE_TYPE_BOOL]: 'Bool',
  [I.INDEXED_VALUE_TYPE_DATETIME]: 'Datetime',
  [I.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KeywordList',
};

/** The type name of an IndexedValueType; undefined for UNSPECIFIED or an unknown number. */
export function searchAttributeTypeName(indexedValueType: number): SearchAttributeType | undefined {
  return TYPE_NAMES[indexedValueType];
}

/** name → IndexedValueType (as ListSearchAttributes answers) to name → type name; unnamed types are left out. */
export function searchAttributeTypeNames(types: Readonly<Record<string, number>>): Map<string, SearchAttributeType> {
  const out = new Map<string, SearchAttributeType>();
  for (const [name, type] of Object.entries(types)) {
    const t = TYPE_NAMES[type];
    if (t) out.set(name, t);
  }
  return out;
}

const dec = new TextDecoder();

/** Decodes an indexed search attribute payload (JSON) to a visibility value; null removes it. */
export function searchAttributeValue(p: temporal.api.common.v1.IPayload | null | undefined): SearchAttributeValue {
  if (!p?.data || p.data.length === 0) return null;
  try {
    const v: unknown = JSON.parse(dec.decode(p.data));
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return v.length === 0 ? null : v.map(String);
    return null;
  } catch {
    return null; // not JSON: not indexable
  }
}

/** Visibility values of indexed search attribute payloads; those that decode to null are left out. */
export function searchAttributeValues(sa: temporal.api.common.v1.ISearchAttributes | null | undefined): Record<string, SearchAttributeValue> {
  const out: Record<string, SearchAttributeValue> = {};
  for (const [name, p] of Object.entries(sa?.indexedFields ?? {})) {
    const v = searchAttributeValue(p);
    if (v !== null) out[name] = v;
  }
  return out;
}
