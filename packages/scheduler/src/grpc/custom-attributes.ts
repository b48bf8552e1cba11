import { InvalidArgumentError, OPERATOR_SERVICE, type SearchAttributeTypeName, type SearchAttributeValue, type ServiceClient } from '@chasm/core';
import { temporalProto, type temporal } from '@chasm/matching';

const I = temporalProto.temporal.api.enums.v1.IndexedValueType;
const TYPE_NAMES: Readonly<Partial<Record<number, SearchAttributeTypeName>>> = {
  [I.INDEXED_VALUE_TYPE_TEXT]: 'Text',
  [I.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [I.INDEXED_VALUE_TYPE_INT]: 'Int',
  [I.INDEXED_VALUE_TYPE_DOUBLE]: 'Double',
  [I.INDEXED_VALUE_TYPE_BOOL]: 'Bool',
  [I.INDEXED_VALUE_TYPE_DATETIME]: 'Datetime',
  [I.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KeywordList',
};

/**
 * The namespace's registered custom search attributes, asked of whichever package serves
 * OperatorService.ListSearchAttributes (the workflow package): schedules share the namespace's
 * attributes with workflows without importing that package.
 */
export async function customAttributeTypes(services: ServiceClient, namespace: string): Promise<Map<string, SearchAttributeTypeName>> {
  const res = await services.call<temporal.api.operatorservice.v1.IListSearchAttributesResponse>(OPERATOR_SERVICE, 'ListSearchAttributes', { namespace });
  const out = new Map<string, SearchAttributeTypeName>();
  for (const [name, type] of Object.entries(res.customAttributes ?? {})) {
    const t = TYPE_NAMES[type as number];
    if (t) out.set(name, t);
  }
  return out;
}

/** Every attribute must be a registered custom one. */
export function checkCustomAttributes(field: string, sa: temporal.api.common.v1.ISearchAttributes | null | undefined, types: ReadonlyMap<string, SearchAttributeTypeName>, allowed: ReadonlySet<string> = new Set()): void {
  for (const name of Object.keys(sa?.indexedFields ?? {})) {
    if (!types.has(name) && !allowed.has(name)) throw new InvalidArgumentError(field, `search attribute ${name} is not defined`);
  }
}

const dec = new TextDecoder();

/** Visibility values of indexed search attribute payloads (JSON); empty payloads are left out. */
export function visibilityValues(sa: temporal.api.common.v1.ISearchAttributes | null | undefined): Record<string, SearchAttributeValue> {
  const out: Record<string, SearchAttributeValue> = {};
  for (const [name, p] of Object.entries(sa?.indexedFields ?? {})) {
    if (!p?.data || p.data.length === 0) continue;
    try {
      const v: unknown = JSON.parse(dec.decode(p.data));
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
      else if (Array.isArray(v) && v.length > 0) out[name] = v.map(String);
    } catch {
      // not JSON: not indexable
    }
  }
  return out;
}
