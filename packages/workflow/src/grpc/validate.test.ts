import { completionDelivery, internalCallback, InvalidArgumentError, type CallbackDeliverer, type CompletionReceiver } from '@chasm/core';
import { encodePayloads, long } from '@chasm/matching';
import { describe, expect, it } from 'vitest';
import { api } from '../proto.js';
import { checkBlob, checkCompletionCallbacks, checkDuration, checkHeader, checkId, checkMemo, checkRetryPolicy, checkTaskQueueName, MAX_DURATION_MS } from './validate.js';

const refusal = (f: () => unknown): { field: string; message: string } | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    return { field: e.field, message: e.message };
  }
};

describe('front-door checks', () => {
  it('counts identifier length in UTF-8 bytes, as Go does, and refuses NUL and lone surrogates', () => {
    const rule = { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' };
    expect(checkId('workflow_id', 'x'.repeat(1000), 1000, rule)).toHaveLength(1000);
    expect(refusal(() => checkId('workflow_id', 'é'.repeat(501), 1000, rule))?.message).toBe('workflow_id: WorkflowId length exceeds limit.');
    expect(refusal(() => checkId('workflow_id', '', 1000, rule))?.message).toBe('workflow_id: WorkflowId is not set on request.');
    expect(checkId('identity', '', 1000, { name: 'Identity' })).toBe('');
    expect(refusal(() => checkId('workflow_id', 'a\u0000', 1000, rule))?.field).toBe('workflow_id');
    expect(refusal(() => checkId('workflow_id', 'a\uD800', 1000, rule))?.message).toContain('not a valid UTF-8 string');
    expect(refusal(() => checkId('workflow_id', '\uDC00a', 1000, rule))?.message).toContain('not a valid UTF-8 string');
    expect(checkId('workflow_id', 'emoji \uD83D\uDE00', 1000, rule)).toBe('emoji 😀');
  });

  it("refuses task queues under Temporal's reserved prefix", () => {
    expect(checkTaskQueueName('task_queue', 'my/_sys/queue', 1000)).toBe('my/_sys/queue');
    expect(refusal(() => checkTaskQueueName('task_queue', '/_sys/q/3', 1000))?.message).toBe(
      'task_queue: task queue name cannot start with reserved prefix /_sys/',
    );
  });

  it('takes Durations as ValidateAndCapProtoDuration does', () => {
    const invalid = 'An invalid WorkflowRunTimeoutSeconds is set on request.';
    expect(checkDuration('t', null, invalid)).toBe(0);
    expect(checkDuration('t', { seconds: 1, nanos: 500_000_000 }, invalid)).toBe(1500);
    expect(checkDuration('t', { seconds: 200 * 365 * 24 * 3600 }, invalid)).toBe(MAX_DURATION_MS);
    expect(refusal(() => checkDuration('workflow_run_timeout', { seconds: -1 }, invalid))?.message).toBe(
      `workflow_run_timeout: ${invalid} cause: negative duration`,
    );
    expect(refusal(() => checkDuration('t', { seconds: 1, nanos: -1 }, invalid))?.message).toContain('different signs');
    expect(refusal(() => checkDuration('t', { seconds: 0, nanos: 2e9 }, invalid))?.field).toBe('t');
    expect(refusal(() => checkDuration('t', { seconds: 1e12 }, invalid))?.field).toBe('t');
  });

  it('checks retry policies after the defaults fill unset fields, as Temporal does', () => {
    expect(refusal(() => checkRetryPolicy('rp', {}))).toBeUndefined();
    expect(refusal(() => checkRetryPolicy('rp', { backoffCoefficient: 0 }))).toBeUndefined();
    expect(refusal(() => checkRetryPolicy('rp', { maximumAttempts: 1, backoffCoefficient: 0.1 }))).toBeUndefined();
    // An unset maximum is 100x the initial interval, so a long initial one is fine.
    expect(refusal(() => checkRetryPolicy('rp', { initialInterval: { seconds: long(3600) } }))).toBeUndefined();
    expect(refusal(() => checkRetryPolicy('rp', { backoffCoefficient: 0.5 }))?.message).toBe(
      'rp.backoff_coefficient: BackoffCoefficient cannot be less than 1 on retry policy.',
    );
    expect(refusal(() => checkRetryPolicy('rp', { backoffCoefficient: Number.NaN }))?.field).toBe('rp.backoff_coefficient');
    expect(refusal(() => checkRetryPolicy('rp', { initialInterval: { seconds: long(-1) } }))?.message).toBe(
      'rp.initial_interval: InitialInterval cannot be negative on retry policy.',
    );
    expect(refusal(() => checkRetryPolicy('rp', { initialInterval: { seconds: long(10) }, maximumInterval: { seconds: long(9) } }))?.message).toBe(
      'rp.maximum_interval: MaximumInterval cannot be less than InitialInterval on retry policy.',
    );
    expect(refusal(() => checkRetryPolicy('rp', { maximumAttempts: -1 }))?.message).toBe(
      'rp.maximum_attempts: MaximumAttempts cannot be negative on retry policy.',
    );
    for (const ok of ['TemporalTimeout:StartToClose', 'TemporalTimeout:Heartbeat', 'TemporalTimeout:TIMEOUT_TYPE_SCHEDULE_TO_START', 'Other']) {
      expect(refusal(() => checkRetryPolicy('rp', { nonRetryableErrorTypes: [ok] }))).toBeUndefined();
    }
    expect(refusal(() => checkRetryPolicy('rp', { nonRetryableErrorTypes: ['TemporalTimeout:Unspecified'] }))?.message).toBe(
      'rp.non_retryable_error_types: Invalid timeout type value: Unspecified.',
    );
  });
});

describe('size checks', () => {
  const limits = { maxIdLength: 1000, blobSizeLimitBytes: 1000, memoSizeLimitBytes: 1000, headerSizeLimitBytes: 1000 };
  const payload = (bytes: number, meta: Record<string, number> = { encoding: 10 }) => ({
    metadata: Object.fromEntries(Object.entries(meta).map(([k, n]) => [k, new Uint8Array(n)])),
    data: new Uint8Array(bytes),
  });
  it('measure the encoded size exactly around the limit (the bound only skips clear cases)', () => {
    // Encoded: payloads field (tag+len) + payload (metadata entry + data field).
    for (const data of [900, 950, 960, 970, 980, 990, 1000]) {
      const p = { payloads: [payload(data)] };
      const exact = encodePayloads(p)!.length;
      const refused = refusal(() => checkBlob('input', p, limits)) !== undefined;
      expect(refused).toBe(exact > 1000);
      const m = { fields: { k: payload(data) } };
      expect(refusal(() => checkMemo('memo', m, limits)) !== undefined).toBe(api.common.v1.Memo.encode(m).finish().length > 1000);
      expect(refusal(() => checkHeader('header', m, limits)) !== undefined).toBe(api.common.v1.Header.encode(m).finish().length > 1000);
    }
  });

  it('admits completion callbacks the installed packages can deliver, internal ones from in-process calls only', () => {
    const receiver: CompletionReceiver = { archetype: 'test.receiver', receive: async () => undefined };
    const http: CallbackDeliverer = { schemes: ['https:'], deliver: async () => undefined };
    const internal = internalCallback({ namespaceId: 'n', archetype: 'test.receiver', businessId: 'b', runId: 'r', data: 'd' });
    const none = completionDelivery([], []);
    const both = completionDelivery([receiver], [http]);
    const admit = (internalCall: boolean, delivery = both, max = 32) => ({ internal: internalCall, delivery, max });
    const F = 'completion_callbacks';
    expect(checkCompletionCallbacks(F, null, undefined)).toEqual([]);
    expect(checkCompletionCallbacks(F, [{ nexus: internal }], admit(true))).toEqual([internal]);
    expect(checkCompletionCallbacks(F, [{ nexus: { url: 'https://x.example/cb', header: { a: 'b' } } }], admit(false))).toEqual([
      { url: 'https://x.example/cb', header: { a: 'b' } },
    ]);
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: internal }], admit(false)))?.message).toBe(
      'completion_callbacks: temporal://internal callbacks are reserved for the server',
    );
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: internal }], admit(true, none)))?.message).toContain('no installed package receives');
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: { url: 'http://x.example' } }], admit(true)))?.message).toContain(
      'no installed package delivers callbacks to http: URLs',
    );
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: { url: 'temporal://internal', header: { 'temporal-callback-token': 'junk' } } }], admit(true)))?.message).toContain(
      'invalid temporal-callback-token',
    );
    expect(refusal(() => checkCompletionCallbacks(F, [{}], admit(true)))?.message).toContain('not a Nexus callback');
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: internal }, { nexus: internal }], admit(true, both, 1)))?.message).toContain(
      'cannot attach more than 1 callbacks',
    );
    // A request kind that takes no callbacks refuses any.
    expect(refusal(() => checkCompletionCallbacks(F, [{ nexus: internal }], undefined))?.field).toBe(F);
  });
});
