/**
 * Splits each sequential update's round trip, as the timing proxy saw it, into the server's part
 * and the SDK worker's own activation:
 *
 *   UpdateWorkflowExecution in ─ dispatch ─▶ poll answered with the task ─ activation ─▶
 *   RespondWorkflowTaskCompleted in ─ answer ─▶ UpdateWorkflowExecution answered
 *
 * All times are the proxy's clock. "Activation" is what the worker spends between receiving the
 * workflow task and sending its completion (plus one proxy hop each way); the round trip minus
 * the activation is the server's share (plus the proxy's forwarding of the two requests).
 */
import { percentile } from '@chasm/core/testing';
import type { CallTiming } from './capture-proxy-process.js';

export interface UpdateTimeline {
  /** Updates whose poll answer and completion were both found inside their round trip. */
  readonly matched: number;
  readonly roundTrip: readonly number[];
  readonly activation: readonly number[];
  readonly serverShare: readonly number[];
  /** Update arrival → the worker's poll answered with the update's task. */
  readonly dispatch: readonly number[];
  /** Completion arrival → the update's answer. */
  readonly answer: readonly number[];
  /** Completion arrival → the completion's own answer. */
  readonly completion: readonly number[];
}

const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);

export function updateTimeline(calls: readonly CallTiming[]): UpdateTimeline {
  const updates = calls.filter((c) => c.method === 'UpdateWorkflowExecution').sort((a, b) => a.inMs - b.inMs);
  const polls = calls.filter((c) => c.method === 'PollWorkflowTaskQueue' && c.task).sort((a, b) => a.outMs - b.outMs);
  const completions = calls.filter((c) => c.method === 'RespondWorkflowTaskCompleted').sort((a, b) => a.inMs - b.inMs);
  const out = { roundTrip: [] as number[], activation: [] as number[], serverShare: [] as number[], dispatch: [] as number[], answer: [] as number[], completion: [] as number[] };
  for (const u of updates) {
    const p = polls.find((x) => x.outMs >= u.inMs && x.outMs <= u.outMs);
    if (!p) continue;
    const c = completions.find((x) => x.inMs >= p.outMs && x.inMs <= u.outMs);
    if (!c) continue;
    const rtt = u.outMs - u.inMs;
    const activation = c.inMs - p.outMs;
    out.roundTrip.push(rtt);
    out.activation.push(activation);
    out.serverShare.push(rtt - activation);
    out.dispatch.push(p.outMs - u.inMs);
    out.answer.push(u.outMs - c.inMs);
    out.completion.push(c.outMs - c.inMs);
  }
  return {
    matched: out.roundTrip.length,
    roundTrip: sorted(out.roundTrip),
    activation: sorted(out.activation),
    serverShare: sorted(out.serverShare),
    dispatch: sorted(out.dispatch),
    answer: sorted(out.answer),
    completion: sorted(out.completion),
  };
}

/** `p50/p99` of a sorted sample, in ms. */
export function p50p99(xs: readonly number[]): string {
  return `${percentile(xs, 50).toFixed(2)}/${percentile(xs, 99).toFixed(2)} ms`;
}
