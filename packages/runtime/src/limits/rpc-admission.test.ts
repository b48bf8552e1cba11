import { describe, expect, it } from 'vitest';
import { RpcAdmission } from './rpc-admission.js';
import { DEFAULT_RPC_LIMITS } from './rpc-limits.js';
import { classOfCall, classOfMethod, priorityOfCall } from './rpc-class.js';

/** Admits one call of `method` as the front door does: its class and Temporal's priority. */
const call = (a: RpcAdmission, method: string, namespace: string | undefined, request: unknown = {}) =>
  a.admit(classOfCall(method, classOfMethod(method), request), priorityOfCall(method, request), namespace);

describe('RpcAdmission', () => {
  it('refuses a namespace past its quota with RPS_LIMIT/NAMESPACE while another namespace goes on', () => {
    let now = 0;
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, namespaces: { noisy: { rps: 5, burst: 5 } } }, () => now);
    for (let i = 0; i < 5; i++) expect(call(a, 'StartWorkflowExecution', 'noisy')).toBeUndefined();
    const refused = call(a, 'StartWorkflowExecution', 'noisy');
    expect(refused).toMatchObject({ cause: 'RPS_LIMIT', scope: 'NAMESPACE' });
    for (let i = 0; i < 100; i++) expect(call(a, 'StartWorkflowExecution', 'quiet')).toBeUndefined();
    now += 1000;
    expect(call(a, 'StartWorkflowExecution', 'noisy')).toBeUndefined();
  });

  it('refuses past the instance quota with RPS_LIMIT/SYSTEM, and calls without a namespace count there only', () => {
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, instance: { rps: 3, burst: 3 } }, () => 0);
    expect(call(a, 'GetSystemInfo', undefined)).toBeUndefined();
    expect(call(a, 'DescribeWorkflowExecution', 'x')).toBeUndefined();
    expect(call(a, 'StartWorkflowExecution', 'y')).toBeUndefined();
    // Three calls at P0, P3 and P1 each charged the P3 level: a fourth P3 call finds it empty.
    expect(call(a, 'DescribeWorkflowExecution', 'z')).toMatchObject({ cause: 'RPS_LIMIT', scope: 'SYSTEM' });
  });

  it('refuses past a class concurrency limit with CONCURRENT_LIMIT/SYSTEM until a call is released', () => {
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, concurrency: { ...DEFAULT_RPC_LIMITS.concurrency, poll: 2 } }, () => 0);
    expect(call(a, 'PollActivityTaskQueue', 'n')).toBeUndefined();
    expect(call(a, 'PollActivityTaskQueue', 'n')).toBeUndefined();
    expect(call(a, 'PollActivityTaskQueue', 'n')).toMatchObject({ cause: 'CONCURRENT_LIMIT', scope: 'SYSTEM' });
    expect(call(a, 'StartWorkflowExecution', 'n')).toBeUndefined();
    a.release('poll');
    expect(call(a, 'PollActivityTaskQueue', 'n')).toBeUndefined();
    expect(a.inFlight().get('poll')).toBe(2);
  });

  it('forgets namespaces whose buckets are full again, so made-up names do not pile up', () => {
    let now = 0;
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, namespace: { rps: 1000, burst: 1000 } }, () => now);
    for (let i = 0; i < 1000; i++) {
      expect(call(a, 'DescribeWorkflowExecution', `ns-${i}`)).toBeUndefined();
      a.release('other');
    }
    now += 10_000;
    expect(call(a, 'DescribeWorkflowExecution', 'one-more')).toBeUndefined();
    // The first 1000 filled the map; the rest came within the same instant (no refill: no sweep).
    // Ten seconds on, every bucket is full: the sweep drops them all and keeps the new one.
    expect(a.trackedNamespaces).toBe(1);
  });
});

describe('priority (Temporal\'s order: polls last)', () => {
  it('refuses polls while starts flood the namespace, and serves starts while polls flood it', () => {
    let now = 0;
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, namespaces: { noisy: { rps: 5, burst: 5 } } }, () => now);
    // Starts (P1) take their own bucket and are charged to every lower level: polls (P4) find theirs empty.
    for (let i = 0; i < 5; i++) expect(call(a, 'StartWorkflowExecution', 'noisy')).toBeUndefined();
    expect(call(a, 'PollWorkflowTaskQueue', 'noisy')).toMatchObject({ cause: 'RPS_LIMIT', scope: 'NAMESPACE' });
    expect(call(a, 'RespondWorkflowTaskCompleted', 'noisy')).toMatchObject({ cause: 'RPS_LIMIT' });
    now += 10_000;
    // Polls flooding the namespace spend only the levels at and below theirs.
    for (let i = 0; i < 5; i++) expect(call(a, 'PollActivityTaskQueue', 'noisy')).toBeUndefined();
    expect(call(a, 'PollActivityTaskQueue', 'noisy')).toMatchObject({ cause: 'RPS_LIMIT' });
    expect(call(a, 'StartWorkflowExecution', 'noisy')).toBeUndefined();
    expect(call(a, 'RespondActivityTaskCompleted', 'noisy')).toBeUndefined();
    expect(call(a, 'TerminateWorkflowExecution', 'noisy')).toBeUndefined();
  });

  it('gives each method Temporal\'s priority', () => {
    expect(priorityOfCall('GetSystemInfo', {})).toBe(0);
    expect(priorityOfCall('StartWorkflowExecution', {})).toBe(1);
    expect(priorityOfCall('RespondWorkflowTaskCompleted', {})).toBe(1);
    expect(priorityOfCall('TerminateWorkflowExecution', {})).toBe(2);
    expect(priorityOfCall('GetWorkflowExecutionHistory', { waitNewEvent: false })).toBe(2);
    expect(priorityOfCall('RespondActivityTaskFailed', {})).toBe(3);
    expect(priorityOfCall('ListWorkflowExecutions', {})).toBe(3);
    expect(priorityOfCall('PollWorkflowTaskQueue', {})).toBe(4);
    expect(priorityOfCall('PollNexusTaskQueue', {})).toBe(4);
    expect(priorityOfCall('GetWorkflowExecutionHistory', { waitNewEvent: true })).toBe(5);
  });
});

describe('rpc classes', () => {
  it('classifies polls, completions, starts and system calls', () => {
    expect(classOfMethod('PollWorkflowTaskQueue')).toBe('poll');
    expect(classOfMethod('PollActivityTaskQueue')).toBe('poll');
    expect(classOfMethod('RespondWorkflowTaskCompleted')).toBe('complete');
    expect(classOfMethod('RecordActivityTaskHeartbeat')).toBe('complete');
    expect(classOfMethod('StartWorkflowExecution')).toBe('start');
    expect(classOfMethod('SignalWorkflowExecution')).toBe('start');
    expect(classOfMethod('GetSystemInfo')).toBe('system');
    expect(classOfMethod('DescribeWorkflowExecution')).toBe('other');
    expect(classOfCall('GetWorkflowExecutionHistory', 'other', { waitNewEvent: true })).toBe('poll');
    expect(classOfCall('GetWorkflowExecutionHistory', 'other', { waitNewEvent: false })).toBe('other');
  });
});
