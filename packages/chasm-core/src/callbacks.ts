/**
 * Completion callbacks: the contract between an execution that completes (a workflow run, the end
 * of its continue-as-new chain) and whoever asked to be told (the scheduler that started it, a
 * Nexus caller). Temporal attaches them to StartWorkflowExecution as `completion_callbacks`; the
 * workflow package stores them, and when the run closes for good it hands each one with the
 * outcome to a `CompletionDelivery` built from what the installed packages bind here. Living in
 * core, the contract is shared without the scheduler or Nexus importing the workflow package.
 */
import { InvalidArgumentError } from './errors.js';

/** The URL of callbacks delivered inside this server (Temporal's `temporal://internal`). */
export const INTERNAL_CALLBACK_URL = 'temporal://internal';
/**
 * The URL a Nexus caller gives the handler worker for async completion (Temporal's
 * `temporal://system` for worker-target endpoints). Delivered inside this server like
 * `temporal://internal`, but a remote client (the handler worker) attaches it, so only receivers
 * that check a secret of their own in the token (`CompletionReceiver.external`: the Nexus request
 * id, known only to the handler that got the request) take it.
 */
export const SYSTEM_CALLBACK_URL = 'temporal://system';
/** The header carrying an internal callback's token. */
export const CALLBACK_TOKEN_HEADER = 'temporal-callback-token';

/** A completion callback as stored on the run: the Nexus callback's URL and headers. */
export interface CompletionCallback {
  readonly url: string;
  readonly header: Readonly<Record<string, string>>;
}

/** How the completed execution ended (the last run of the chain). */
export type CompletionStatus = 'completed' | 'failed' | 'canceled' | 'terminated' | 'timedOut';

export interface CompletionOutcome {
  readonly status: CompletionStatus;
  readonly closeTime: Date;
  /** The completed execution: workflow id, and the run ids of the chain's first and last runs. */
  readonly businessId: string;
  readonly firstRunId: string;
  readonly runId: string;
  /** Encoded temporal.api.common.v1.Payloads, on success. */
  readonly result: Uint8Array | null;
  /** Encoded temporal.api.failure.v1.Failure, otherwise. */
  readonly failure: Uint8Array | null;
}

/** Where an internal callback goes: an execution of an archetype, plus the receiver's own data. */
export interface InternalCallbackTarget {
  readonly namespaceId: string;
  readonly archetype: string;
  readonly businessId: string;
  readonly runId: string;
  /** Opaque to the framework: the receiver's key for this callback (the scheduler: a request id). */
  readonly data: string;
}

/** Receives internal callbacks for executions of one archetype (multi-bound: `TOKENS.CompletionReceivers`). */
export interface CompletionReceiver {
  readonly archetype: string;
  /**
   * Takes `temporal://system` callbacks, which remote clients attach: set only by a receiver that
   * refuses a token whose `data` does not carry its secret.
   */
  readonly external?: boolean;
  /**
   * Applies the outcome. Idempotent: delivery is at least once. Throws NotFound-class errors when
   * the target is gone (the delivery stops), anything else to be retried.
   */
  receive(target: InternalCallbackTarget, outcome: CompletionOutcome): Promise<void>;
}

/** Delivers callbacks whose URL has one of `schemes` (multi-bound: `TOKENS.CallbackDeliverers`; Nexus binds http/https). */
export interface CallbackDeliverer {
  /** URL schemes with the colon, e.g. 'https:'. */
  readonly schemes: readonly string[];
  deliver(callback: CompletionCallback, outcome: CompletionOutcome, signal: AbortSignal): Promise<void>;
}

/** An internal callback for `target`: the URL and the token header the runtime routes by. */
export function internalCallback(target: InternalCallbackTarget): CompletionCallback {
  return { url: INTERNAL_CALLBACK_URL, header: { [CALLBACK_TOKEN_HEADER]: encodeInternalCallbackToken(target) } };
}

export function encodeInternalCallbackToken(target: InternalCallbackTarget): string {
  const { namespaceId, archetype, businessId, runId, data } = target;
  return Buffer.from(JSON.stringify({ v: 1, n: namespaceId, a: archetype, b: businessId, r: runId, d: data }), 'utf8').toString('base64url');
}

/** Decodes a token written by `encodeInternalCallbackToken`; InvalidArgument if it is not one. */
export function decodeInternalCallbackToken(token: string): InternalCallbackTarget {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; n?: unknown; a?: unknown; b?: unknown; r?: unknown; d?: unknown };
    const { v, n, a, b, r, d } = o;
    if (v === 1 && typeof n === 'string' && typeof a === 'string' && typeof b === 'string' && typeof r === 'string' && typeof d === 'string') {
      return { namespaceId: n, archetype: a, businessId: b, runId: r, data: d };
    }
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(CALLBACK_TOKEN_HEADER, 'invalid internal callback token');
}

/** Delivers callbacks: internal ones to the receiver of the token's archetype, others by URL scheme. */
export interface CompletionDelivery {
  /** Whether a callback with this URL can be delivered by the installed packages. */
  accepts(url: string): boolean;
  /** Whether an internal (`temporal://internal`) or system (`temporal://system`) callback for `target` has a receiver. */
  receives(url: string, target: InternalCallbackTarget): boolean;
  deliver(callback: CompletionCallback, outcome: CompletionOutcome, signal: AbortSignal): Promise<void>;
}

/** Thrown when no installed package can take a callback; delivery gives up on it. */
export class UndeliverableCallbackError extends InvalidArgumentError {
  constructor(message: string) {
    super('completion_callbacks', message);
  }
}

export function completionDelivery(receivers: readonly CompletionReceiver[], deliverers: readonly CallbackDeliverer[]): CompletionDelivery {
  const byArchetype = new Map(receivers.map((r) => [r.archetype, r]));
  const schemeOf = (url: string): string | undefined => {
    try {
      return new URL(url).protocol;
    } catch {
      return undefined;
    }
  };
  const delivererOf = (url: string): CallbackDeliverer | undefined => {
    const scheme = schemeOf(url);
    return scheme === undefined ? undefined : deliverers.find((d) => d.schemes.includes(scheme));
  };
  const receiverOf = (url: string, target: InternalCallbackTarget): CompletionReceiver | undefined => {
    const r = byArchetype.get(target.archetype);
    return r && (url === INTERNAL_CALLBACK_URL || r.external === true) ? r : undefined;
  };
  return {
    accepts: (url) =>
      url === INTERNAL_CALLBACK_URL
        ? byArchetype.size > 0
        : url === SYSTEM_CALLBACK_URL
          ? receivers.some((r) => r.external === true)
          : delivererOf(url) !== undefined,
    receives: (url, target) => (url === INTERNAL_CALLBACK_URL || url === SYSTEM_CALLBACK_URL) && receiverOf(url, target) !== undefined,
    async deliver(callback, outcome, signal) {
      if (callback.url === INTERNAL_CALLBACK_URL || callback.url === SYSTEM_CALLBACK_URL) {
        const token = headerValue(callback.header, CALLBACK_TOKEN_HEADER);
        if (!token) throw new UndeliverableCallbackError(`internal callback without a ${CALLBACK_TOKEN_HEADER} header`);
        const target = decodeInternalCallbackToken(token);
        const receiver = receiverOf(callback.url, target);
        if (!receiver) throw new UndeliverableCallbackError(`no installed package receives ${callback.url} callbacks for ${target.archetype}`);
        await receiver.receive(target, outcome);
        return;
      }
      const deliverer = delivererOf(callback.url);
      if (!deliverer) throw new UndeliverableCallbackError(`no installed package delivers callbacks to ${schemeOf(callback.url) ?? 'this URL'}`);
      await deliverer.deliver(callback, outcome, signal);
    },
  };
}

/** A header value by case-insensitive key (clients may send `Temporal-Callback-Token`). */
export function headerValue(header: Readonly<Record<string, string>>, key: string): string | undefined {
  const direct = header[key];
  if (direct !== undefined) return direct;
  const k = Object.keys(header).find((h) => h.toLowerCase() === key);
  return k === undefined ? undefined : header[k];
}
