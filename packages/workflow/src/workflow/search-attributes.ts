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

const enc = new TextEncoder();

/**
 * Temporal's `ApplyTypeMap`: every search attribute payload without a `type` metadata entry gets
 * its registered type's name ('Keyword', 'Datetime', …), so whoever reads it back (Describe,
 * List, the started and upsert events a worker replays) decodes it by type: a Datetime set
 * through the untyped option comes back as a date, not a string. Unknown names are left as sent.
 */
export function stampSearchAttributes(
  sa: temporal.api.common.v1.ISearchAttributes | null | undefined,
  types: ReadonlyMap<string, string>,
): temporal.api.common.v1.ISearchAttributes | null | undefined {
  const fields = sa?.indexedFields;
  if (!fields) return sa;
  let out: Record<string, Payload> | undefined;
  for (const [name, payload] of Object.entries(fields)) {
    const type = types.get(name);
    if (!type || !payload || payload.metadata?.['type']) continue;
    out ??= { ...(fields as Record<string, Payload>) };
    out[name] = { ...payload, metadata: { ...(payload.metadata ?? {}), type: enc.encode(type) } } as Payload;
  }
  return out ? { ...sa, indexedFields: out } : sa;
}

type CompletionRequest = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;

/** Whether a completion carries search attributes (upsert, continue-as-new, child start) to stamp. */
export function completionHasSearchAttributes(req: CompletionRequest): boolean {
  return (req.commands ?? []).some(
    (c) =>
      c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes ||
      c.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes ||
      c.startChildWorkflowExecutionCommandAttributes?.searchAttributes,
  );
}

/** The completion with every command's search attributes stamped (a copy; the request is not changed). */
export function stampCompletion(req: CompletionRequest, types: ReadonlyMap<string, string>): CompletionRequest {
  return {
    ...req,
    commands: (req.commands ?? []).map((c) => {
      const u = c.upsertWorkflowSearchAttributesCommandAttributes;
      if (u?.searchAttributes) return { ...c, upsertWorkflowSearchAttributesCommandAttributes: { ...u, searchAttributes: stampSearchAttributes(u.searchAttributes, types) ?? null } };
      const n = c.continueAsNewWorkflowExecutionCommandAttributes;
      if (n?.searchAttributes) return { ...c, continueAsNewWorkflowExecutionCommandAttributes: { ...n, searchAttributes: stampSearchAttributes(n.searchAttributes, types) ?? null } };
      const ch = c.startChildWorkflowExecutionCommandAttributes;
      if (ch?.searchAttributes) return { ...c, startChildWorkflowExecutionCommandAttributes: { ...ch, searchAttributes: stampSearchAttributes(ch.searchAttributes, types) ?? null } };
      return c;
    }),
  };
}
