import {
  decodeInternalCallbackToken,
  headerValue,
  CALLBACK_TOKEN_HEADER,
  INTERNAL_CALLBACK_URL,
  InvalidArgumentError,
  SYSTEM_CALLBACK_URL,
  type CompletionCallback,
  type CompletionDelivery,
  type InternalCallbackTarget,
} from '@chasm/core';
import { durationToMs, encodePayloads, type ProtoTime } from '@chasm/matching';
import { api, Enums, type temporal } from '../proto.js';

/**
 * Front-door checks of the WorkflowService requests that create or change runs, as Temporal's
 * frontend and history services make them by default (`service/frontend/workflow_handler.go`,
 * `common/tqid`, `common/retrypolicy`, `common/primitives/timestamp`,
 * `service/history/api/create_workflow_util.go`), with Temporal's messages. Every violation is
 * INVALID_ARGUMENT naming the field, raised before anything is stored.
 */

/** What the checks need from the workflow settings. */
export interface InputLimits {
  /** limit.maxIDLength */
  readonly maxIdLength: number;
  /** limit.blobSize.error */
  readonly blobSizeLimitBytes: number;
  /** limit.memoSize.error */
  readonly memoSizeLimitBytes: number;
  /** Ours: Temporal only measures headers (`header_size` metric). */
  readonly headerSizeLimitBytes: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Length in UTF-8 bytes, as Go's `len` counts a string. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

interface IdRule {
  /** Temporal's name for the field in its messages, e.g. `WorkflowId`. */
  readonly name: string;
  /** The message when the field is required and empty; optional when absent. */
  readonly notSet?: string;
  /** The message when it is too long (default `<name> length exceeds limit.`). */
  readonly tooLong?: string;
}

/**
 * An identifier: required when the rule says so, at most `max` UTF-8 bytes, well-formed Unicode
 * (a string that arrived as invalid UTF-8 decodes to lone surrogates) and free of NUL, which no
 * store keeps in text.
 */
export function checkId(field: string, value: string | null | undefined, max: number, rule: IdRule): string {
  const v = value ?? '';
  if (v === '') {
    if (rule.notSet) throw new InvalidArgumentError(field, rule.notSet);
    return v;
  }
  if (byteLength(v) > max) throw new InvalidArgumentError(field, rule.tooLong ?? `${rule.name} length exceeds limit.`);
  if (LONE_SURROGATE.test(v)) throw new InvalidArgumentError(field, `${rule.name} is not a valid UTF-8 string.`);
  if (v.includes('\u0000')) throw new InvalidArgumentError(field, `${rule.name} contains a NUL character.`);
  return v;
}

const RESERVED_TASK_QUEUE_PREFIX = '/_sys/';

/** A task queue name as `tqid.Validate` checks it, plus no NUL. */
export function checkTaskQueueName(field: string, name: string | null | undefined, max: number, notSet = 'TaskQueue is not set on request.'): string {
  const v = name ?? '';
  if (v === '') throw new InvalidArgumentError(field, notSet);
  if (byteLength(v) > max) throw new InvalidArgumentError(field, 'taskQueue length exceeds limit');
  if (LONE_SURROGATE.test(v)) throw new InvalidArgumentError(field, 'taskQueue is not a valid UTF-8 string');
  if (v.includes('\u0000')) throw new InvalidArgumentError(field, 'taskQueue contains a NUL character');
  if (v.startsWith(RESERVED_TASK_QUEUE_PREFIX)) {
    throw new InvalidArgumentError(field, `task queue name cannot start with reserved prefix ${RESERVED_TASK_QUEUE_PREFIX}`);
  }
  return v;
}

/** 100 years: `timestamp.ValidateAndCapProtoDuration` caps longer durations to this. */
export const MAX_DURATION_MS = 100 * 365 * 24 * 3600 * 1000;

/**
 * A Duration in milliseconds (0 when absent) as `ValidateAndCapProtoDuration` takes it: seconds
 * and nanos of one sign, not negative, and longer than 100 years capped to 100 years. Seconds or
 * nanos outside protobuf's ranges are refused (Go would saturate them; protobuf calls them invalid).
 * `invalid` is Temporal's message for the field, e.g. `An invalid WorkflowRunTimeoutSeconds is set on request.`
 */
export function checkDuration(field: string, d: ProtoTime | null | undefined, invalid: string): number {
  if (d === null || d === undefined) return 0;
  const seconds = Number(d.seconds ?? 0);
  const nanos = d.nanos ?? 0;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    throw new InvalidArgumentError(field, `${invalid} cause: duration has seconds and nanos with different signs`);
  }
  const ms = durationToMs(d, field);
  if (ms < 0) throw new InvalidArgumentError(field, `${invalid} cause: negative duration`);
  return Math.min(ms, MAX_DURATION_MS);
}

const TIMEOUT_FAILURE_PREFIX = 'TemporalTimeout:';

function timeoutTypeKnown(value: string): boolean {
  const full = value.startsWith('TIMEOUT_TYPE_') ? value : `TIMEOUT_TYPE_${value.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
  const n = (Enums.TimeoutType as unknown as Record<string, number | undefined>)[full];
  return n !== undefined && n !== Enums.TimeoutType.TIMEOUT_TYPE_UNSPECIFIED;
}

/**
 * A workflow retry policy as Temporal's frontend takes it: the namespace defaults fill unset
 * fields (`retrypolicy.EnsureDefaults`: 1 s initial interval, coefficient 2, maximum interval
 * 100× initial), then `retrypolicy.Validate`. The stored policy stays as sent.
 */
export function checkRetryPolicy(field: string, p: temporal.api.common.v1.IRetryPolicy | null | undefined): void {
  if (!p) return;
  const maximumAttempts = p.maximumAttempts ?? 0;
  if (maximumAttempts === 1) return; // one attempt disables retries; Temporal checks nothing else
  let initial = durationToMs(p.initialInterval, `${field}.initial_interval`);
  if (initial === 0) initial = 1000;
  let maximum = durationToMs(p.maximumInterval, `${field}.maximum_interval`);
  if (maximum === 0) maximum = 100 * initial;
  const coefficient = (p.backoffCoefficient ?? 0) === 0 ? 2 : (p.backoffCoefficient ?? 2); // NaN stays, and is refused
  if (initial < 0) throw new InvalidArgumentError(`${field}.initial_interval`, 'InitialInterval cannot be negative on retry policy.');
  if (!(coefficient >= 1)) throw new InvalidArgumentError(`${field}.backoff_coefficient`, 'BackoffCoefficient cannot be less than 1 on retry policy.');
  if (maximum < 0) throw new InvalidArgumentError(`${field}.maximum_interval`, 'MaximumInterval cannot be negative on retry policy.');
  if (maximum < initial) throw new InvalidArgumentError(`${field}.maximum_interval`, 'MaximumInterval cannot be less than InitialInterval on retry policy.');
  if (maximumAttempts < 0) throw new InvalidArgumentError(`${field}.maximum_attempts`, 'MaximumAttempts cannot be negative on retry policy.');
  for (const t of p.nonRetryableErrorTypes ?? []) {
    if (t.startsWith(TIMEOUT_FAILURE_PREFIX) && !timeoutTypeKnown(t.slice(TIMEOUT_FAILURE_PREFIX.length))) {
      throw new InvalidArgumentError(`${field}.non_retryable_error_types`, `Invalid timeout type value: ${t.slice(TIMEOUT_FAILURE_PREFIX.length)}.`);
    }
  }
}

/**
 * Payloads against limit.blobSize.error (their encoded size, as Go's `proto.Size`). Encoding a
 * request's payloads only to measure them would copy every start's input on the hot path, so the
 * exact size is computed only when a cheap upper bound says it could be over the limit.
 */
export function checkBlob(field: string, p: temporal.api.common.v1.IPayloads | null | undefined, limits: InputLimits): void {
  if (payloadsOverLimit(p, limits.blobSizeLimitBytes)) throw new InvalidArgumentError(field, 'Blob data size exceeds limit.');
}

/** Whether payloads encode to more than `limit` bytes (encoded only when the cheap bound is over it). */
export function payloadsOverLimit(p: temporal.api.common.v1.IPayloads | null | undefined, limit: number): boolean {
  if (!p?.payloads?.length || payloadsUpperBound(p.payloads) <= limit) return false;
  return (encodePayloads(p)?.length ?? 0) > limit;
}

/** A memo against limit.memoSize.error (exact size only near the limit, as for payloads). */
export function checkMemo(field: string, m: temporal.api.common.v1.IMemo | null | undefined, limits: InputLimits): void {
  if (memoOverLimit(m, limits.memoSizeLimitBytes)) throw new InvalidArgumentError(field, 'Memo size exceeds limit.');
}

/** Whether a memo encodes to more than `limit` bytes. */
export function memoOverLimit(m: temporal.api.common.v1.IMemo | null | undefined, limit: number): boolean {
  if (!m?.fields || payloadMapUpperBound(m.fields) <= limit) return false;
  return api.common.v1.Memo.encode(m).finish().length > limit;
}

/** A header against our header limit (Temporal records its size only). */
export function checkHeader(field: string, h: temporal.api.common.v1.IHeader | null | undefined, limits: InputLimits): void {
  if (!h?.fields || payloadMapUpperBound(h.fields) <= limits.headerSizeLimitBytes) return;
  const n = api.common.v1.Header.encode(h).finish().length;
  if (n > limits.headerSizeLimitBytes) throw new InvalidArgumentError(field, 'Header size exceeds limit.');
}

/**
 * Upper bounds of encoded sizes, from lengths alone: a length-delimited field costs at most 6
 * bytes of tag and length besides its content, and a string at most 3 UTF-8 bytes per UTF-16 unit.
 */
const FIELD = 6;
function payloadUpperBound(p: temporal.api.common.v1.IPayload | null | undefined): number {
  let n = FIELD + FIELD + (p?.data?.length ?? 0);
  for (const [k, v] of Object.entries(p?.metadata ?? {})) n += 3 * FIELD + 3 * k.length + (v?.length ?? 0);
  return n;
}
function payloadsUpperBound(payloads: readonly (temporal.api.common.v1.IPayload | null)[]): number {
  let n = 0;
  for (const p of payloads) n += payloadUpperBound(p);
  return n;
}
function payloadMapUpperBound(fields: Readonly<Record<string, temporal.api.common.v1.IPayload | null>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(fields)) n += 2 * FIELD + 3 * k.length + payloadUpperBound(v);
  return n;
}

/** The identity a caller gives: optional, at most limit.maxIDLength. */
export const checkIdentity = (field: string, identity: string | null | undefined, limits: InputLimits): string =>
  checkId(field, identity, limits.maxIdLength, { name: 'Identity' });

/** A request id: optional (the server makes one), at most limit.maxIDLength. */
export const checkRequestId = (field: string, requestId: string | null | undefined, limits: InputLimits): string =>
  checkId(field, requestId, limits.maxIdLength, { name: 'RequestId' });

/** A signal name: required, at most limit.maxIDLength. */
export const checkSignalName = (field: string, name: string | null | undefined, limits: InputLimits): string =>
  checkId(field, name, limits.maxIdLength, { name: 'SignalName', notSet: 'SignalName is not set on request.' });

/** Reuse and conflict policies that contradict each other (`ValidateWorkflowIdReusePolicy`). */
export function checkIdPolicies(reuse: number | null | undefined, conflict: number | null | undefined): void {
  const Reuse = Enums.WorkflowIdReusePolicy;
  const Conflict = Enums.WorkflowIdConflictPolicy;
  if ((conflict ?? 0) !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED && reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    throw new InvalidArgumentError(
      'workflow_id_reuse_policy',
      'Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIDConflictPolicy',
    );
  }
  if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING && reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    throw new InvalidArgumentError(
      'workflow_id_reuse_policy',
      'Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE cannot be used together with WorkflowIdConflictPolicy WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING',
    );
  }
}

/** Who may attach which completion callbacks to a start. */
export interface CallbackAdmission {
  /** The request came through the in-process ServiceClient (`call.internal`): internal callbacks are allowed. */
  readonly internal: boolean;
  /** What the installed packages can deliver. */
  readonly delivery: CompletionDelivery;
  /** system.maxCallbacksPerWorkflow */
  readonly max: number;
}

/**
 * A start's `completion_callbacks`: at most `max`, each a Nexus callback whose URL some installed
 * package delivers. `temporal://internal` routes straight into another execution of this server,
 * so only the server itself (an in-process call) may ask for one; a remote caller could otherwise
 * forge completions of executions it does not own. Without an admission (a request kind that
 * does not take callbacks), any callback is refused.
 */
export function checkCompletionCallbacks(
  field: string,
  callbacks: readonly temporal.api.common.v1.ICallback[] | null | undefined,
  admission: CallbackAdmission | undefined,
): CompletionCallback[] {
  const list = callbacks ?? [];
  if (list.length === 0) return [];
  if (!admission) throw new InvalidArgumentError(field, 'completion callbacks are not supported on this request');
  if (list.length > admission.max) {
    throw new InvalidArgumentError(field, `cannot attach more than ${admission.max} callbacks to a workflow (${list.length} given)`);
  }
  return list.map((c, i) => {
    const url = c.nexus?.url ?? '';
    if (!c.nexus) throw new InvalidArgumentError(field, `callback ${i} is not a Nexus callback; only Nexus callbacks are supported`);
    const header: Record<string, string> = { ...(c.nexus.header ?? {}) };
    if (url === INTERNAL_CALLBACK_URL || url === SYSTEM_CALLBACK_URL) {
      if (url === INTERNAL_CALLBACK_URL && !admission.internal) throw new InvalidArgumentError(field, `${INTERNAL_CALLBACK_URL} callbacks are reserved for the server`);
      const token = headerValue(header, CALLBACK_TOKEN_HEADER);
      if (!token) throw new InvalidArgumentError(field, `internal callback ${i} has no ${CALLBACK_TOKEN_HEADER} header`);
      let target: InternalCallbackTarget;
      try {
        target = decodeInternalCallbackToken(token);
      } catch {
        throw new InvalidArgumentError(field, `internal callback ${i} has an invalid ${CALLBACK_TOKEN_HEADER}`);
      }
      // A remote client's temporal://system callback reaches only receivers that check their own secret.
      if (!admission.delivery.receives(url, target)) throw new InvalidArgumentError(field, `no installed package receives ${url} callbacks for ${target.archetype}`);
      return { url, header };
    }
    if (!url) throw new InvalidArgumentError(field, `callback ${i} has no URL`);
    if (!URL.canParse(url)) throw new InvalidArgumentError(field, `callback ${i} has a malformed URL`);
    if (!admission.delivery.accepts(url)) {
      throw new InvalidArgumentError(field, `no installed package delivers callbacks to ${new URL(url).protocol} URLs (callback ${i})`);
    }
    return { url, header };
  });
}
