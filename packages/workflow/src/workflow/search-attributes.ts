import type { SearchAttributeValue } from '@chasm/core';
import { encodeMessage, searchAttributeValue } from '@chasm/matching';
import { api, type Payload, type temporal } from '../proto.js';

export interface SearchAttributeStore {
  searchAttributes: Record<string, SearchAttributeValue>;
  searchAttributesBytes: Uint8Array | null;
}

/** Merges upserted attributes into the run's values and its encoded SearchAttributes. */
export function upsertSearchAttributes(s: SearchAttributeStore, upsert: temporal.api.common.v1.ISearchAttributes | null | undefined): void {
  const fields = upsert?.indexedFields ?? {};
  const current = s.searchAttributesBytes ? api.common.v1.SearchAttributes.decode(s.searchAttributesBytes) : null;
  const merged: Record<string, Payload> = { ...(current?.indexedFields ?? {}) };
  for (const [name, payload] of Object.entries(fields)) {
    const value = searchAttributeValue(payload);
    if (value === null) {
      delete merged[name];
      delete s.searchAttributes[name];
    } else {
      merged[name] = payload;
      s.searchAttributes[name] = value;
    }
  }
  s.searchAttributesBytes =
    Object.keys(merged).length > 0 ? encodeMessage(api.common.v1.SearchAttributes, api.common.v1.SearchAttributes.create({ indexedFields: merged })) : null;
}

/** Merges upserted memo fields into an encoded Memo. */
export function upsertMemo(current: Uint8Array | null, upsert: temporal.api.common.v1.IMemo | null | undefined): Uint8Array | null {
  const base = current ? api.common.v1.Memo.decode(current) : null;
  const merged: Record<string, Payload> = { ...(base?.fields ?? {}) };
  for (const [name, payload] of Object.entries(upsert?.fields ?? {})) {
    if (!payload?.data || payload.data.length === 0) delete merged[name];
    else merged[name] = payload;
  }
  return Object.keys(merged).length > 0 ? encodeMessage(api.common.v1.Memo, api.common.v1.Memo.create({ fields: merged })) : null;
}
