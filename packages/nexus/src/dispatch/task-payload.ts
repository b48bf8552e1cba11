/**
 * The matching payload of a Nexus task: only the dispatch's id. The request itself stays with
 * the waiting caller in this process (`PendingNexusTasks`): a Nexus task is sync-matched or
 * nothing, so it never outlives the caller and never needs to be stored.
 */
const VERSION = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeNexusTaskPayload(taskId: string): Uint8Array {
  return enc.encode(JSON.stringify({ v: VERSION, id: taskId }));
}

/** The dispatch id, or undefined for a payload this package did not write (matching then drops it). */
export function decodeNexusTaskPayload(bytes: Uint8Array): string | undefined {
  try {
    const o = JSON.parse(dec.decode(bytes)) as { v?: unknown; id?: unknown } | null;
    return o !== null && typeof o === 'object' && o.v === VERSION && typeof o.id === 'string' && o.id ? o.id : undefined;
  } catch {
    return undefined;
  }
}
