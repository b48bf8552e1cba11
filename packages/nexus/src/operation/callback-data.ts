/** The receiver's part of an internal callback token: which operation of the run, and its request id. */
export interface CallbackData {
  readonly scheduledEventId: number;
  readonly requestId: string;
}

export function encodeCallbackData(d: CallbackData): string {
  return JSON.stringify({ s: d.scheduledEventId, r: d.requestId });
}

/** Undefined when `data` is not one of ours. */
export function decodeCallbackData(data: string): CallbackData | undefined {
  try {
    const o = JSON.parse(data) as { s?: unknown; r?: unknown };
    if (typeof o.s === 'number' && typeof o.r === 'string') return { scheduledEventId: o.s, requestId: o.r };
  } catch {
    // fall through
  }
  return undefined;
}
