import { describe, expect, it } from 'vitest';
import { RpcAdmission } from './rpc-admission.js';
import { DEFAULT_RPC_LIMITS } from './rpc-limits.js';
import { classOfCall, classOfMethod } from './rpc-class.js';

describe('RpcAdmission', () => {
  it('refuses a namespace past its quota with RPS_LIMIT/NAMESPACE while another namespace goes on', () => {
    let now = 0;
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, namespaces: { noisy: { rps: 5, burst: 5 } } }, () => now);
    for (let i = 0; i < 5; i++) expect(a.admit('start', 'noisy')).toBeUndefined();
    const refused = a.admit('start', 'noisy');
    expect(refused).toMatchObject({ cause: 'RPS_LIMIT', scope: 'NAMESPACE' });
    for (let i = 0; i < 100; i++) expect(a.admit('start', 'quiet')).toBeUndefined();
    // Polls in the flooded namespace are decided by their own bucket.
    expect(a.admit('poll', 'noisy')).toBeUndefined();
    now += 1000;
    expect(a.admit('start', 'noisy')).toBeUndefined();
  });

  it('refuses past the instance quota with RPS_LIMIT/SYSTEM, and calls without a namespace count there only', () => {
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, instance: { rps: 3, burst: 3 } }, () => 0);
    expect(a.admit('system', undefined)).toBeUndefined();
    expect(a.admit('other', 'x')).toBeUndefined();
    expect(a.admit('start', 'y')).toBeUndefined();
    expect(a.admit('start', 'z')).toMatchObject({ cause: 'RPS_LIMIT', scope: 'SYSTEM' });
  });

  it('refuses past a class concurrency limit with CONCURRENT_LIMIT/SYSTEM until a call is released', () => {
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, concurrency: { ...DEFAULT_RPC_LIMITS.concurrency, poll: 2 } }, () => 0);
    expect(a.admit('poll', 'n')).toBeUndefined();
    expect(a.admit('poll', 'n')).toBeUndefined();
    expect(a.admit('poll', 'n')).toMatchObject({ cause: 'CONCURRENT_LIMIT', scope: 'SYSTEM' });
    expect(a.admit('start', 'n')).toBeUndefined();
    a.release('poll');
    expect(a.admit('poll', 'n')).toBeUndefined();
    expect(a.inFlight().get('poll')).toBe(2);
  });

  it('forgets namespaces whose buckets are full again, so made-up names do not pile up', () => {
    let now = 0;
    const a = new RpcAdmission({ ...DEFAULT_RPC_LIMITS, namespace: { rps: 1000, burst: 1000 } }, () => now);
    for (let i = 0; i < 1000; i++) {
      expect(a.admit('other', `ns-${i}`)).toBeUndefined();
      a.release('other');
    }
    now += 10_000;
    expect(a.admit('other', 'one-more')).toBeUndefined();
    // The first 1000 filled the map; the rest came within the same instant (no refill: no sweep).
    // Ten seconds on, every bucket is full: the sweep drops them all and keeps the new one.
    expect(a.trackedNamespaces).toBe(1);
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
