import { InvalidArgumentError } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import type { WorkerHeartbeatRecord } from './worker-heartbeat.js';
import { compileWorkerQuery } from './worker-query.js';

const hb: WorkerHeartbeatRecord = {
  workerInstanceKey: 'k',
  workerIdentity: 'id',
  hostName: 'h',
  taskQueue: 'orders',
  sdkName: 's',
  sdkVersion: '1',
  status: 'RUNNING',
  deploymentName: '',
  heartbeatTime: new Date('2026-12-01T10:00:00Z'),
  heartbeat: {},
};

describe('compileWorkerQuery (the visibility query language, evaluated in memory)', () => {
  it('matches AND / OR / STARTS_WITH / parentheses and status in either spelling', () => {
    expect(compileWorkerQuery("TaskQueue = 'orders' AND Status = 'RUNNING'")(hb)).toBe(true);
    expect(compileWorkerQuery("WorkerStatus = 'WORKER_STATUS_RUNNING'")(hb)).toBe(true);
    expect(compileWorkerQuery("TaskQueue = 'x' OR HostName STARTS_WITH 'h'")(hb)).toBe(true);
    expect(compileWorkerQuery("(TaskQueue = 'x' OR TaskQueue = 'y') AND SdkName = 's'")(hb)).toBe(false);
    expect(compileWorkerQuery("TaskQueue != 'orders'")(hb)).toBe(false);
    expect(compileWorkerQuery("TaskQueue IN ('a', 'orders')")(hb)).toBe(true);
    expect(compileWorkerQuery('')(hb)).toBe(true);
  });
  it('compares times and treats empty strings as absent', () => {
    expect(compileWorkerQuery("HeartbeatTime > '2026-11-30T00:00:00Z'")(hb)).toBe(true);
    expect(compileWorkerQuery("HeartbeatTime BETWEEN '2026-12-02T00:00:00Z' AND '2026-12-03T00:00:00Z'")(hb)).toBe(false);
    expect(compileWorkerQuery('DeploymentName IS NULL')(hb)).toBe(true);
    expect(compileWorkerQuery('BuildId IS NOT NULL')(hb)).toBe(false);
  });
  it('refuses unknown fields (names are case-sensitive, as in Temporal), bad statuses and malformed queries', () => {
    expect(() => compileWorkerQuery('Nope = 1')).toThrow(InvalidArgumentError);
    expect(() => compileWorkerQuery("taskqueue = 'orders'")).toThrow(/taskqueue/);
    expect(() => compileWorkerQuery("Status = 'Sleeping'")).toThrow(InvalidArgumentError);
    expect(() => compileWorkerQuery("TaskQueue = 'a' AND")).toThrow(InvalidArgumentError);
  });
});
