import { evaluateFilter, parseVisibilityQuery, type VisibilityFilter, type VisibilityQueryLanguage } from '@chasm/core';
import type { WorkerHeartbeatRecord } from './worker-heartbeat.js';

const STATUSES = ['RUNNING', 'SHUTTING_DOWN', 'SHUTDOWN', 'UNSPECIFIED'] as const;
const FULL = (s: string): string => (s.startsWith('WORKER_STATUS_') ? s : `WORKER_STATUS_${s}`);

/**
 * ListWorkers' query language, as Temporal's worker query engine defines it: the heartbeat
 * fields below, case-sensitive; the status as `WorkerStatus` (or `Status`) holding the enum name
 * (`WORKER_STATUS_RUNNING`; the short `RUNNING` is accepted too). Parsed by the one visibility
 * query parser of @chasm/core and evaluated in memory, since heartbeats are soft state.
 */
const keyword = { type: 'Keyword' } as const;
const status = { field: 'WorkerStatus', type: 'Keyword', values: [...STATUSES.map(FULL), ...STATUSES] } as const;
export const WORKER_QUERY_LANGUAGE: VisibilityQueryLanguage = {
  fields: {
    WorkerInstanceKey: { field: 'WorkerInstanceKey', ...keyword },
    WorkerIdentity: { field: 'WorkerIdentity', ...keyword },
    HostName: { field: 'HostName', ...keyword },
    TaskQueue: { field: 'TaskQueue', ...keyword },
    DeploymentName: { field: 'DeploymentName', ...keyword },
    BuildId: { field: 'BuildId', ...keyword },
    SdkName: { field: 'SdkName', ...keyword },
    SdkVersion: { field: 'SdkVersion', ...keyword },
    StartTime: { field: 'StartTime', type: 'Datetime' },
    HeartbeatTime: { field: 'HeartbeatTime', type: 'Datetime' },
    WorkerStatus: status,
    Status: status,
  },
  orderBy: false,
  fieldNoun: 'worker field',
  listFieldsInErrors: true,
};

/** A heartbeat's value of a mapped field; an empty string counts as absent (IS NULL), as in Temporal. */
function valueOf(hb: WorkerHeartbeatRecord, field: string): unknown {
  const v = ((): unknown => {
    switch (field) {
      case 'WorkerInstanceKey': return hb.workerInstanceKey;
      case 'WorkerIdentity': return hb.workerIdentity;
      case 'HostName': return hb.hostName;
      case 'TaskQueue': return hb.taskQueue;
      case 'DeploymentName': return hb.deploymentName;
      case 'BuildId': return hb.buildId;
      case 'SdkName': return hb.sdkName;
      case 'SdkVersion': return hb.sdkVersion;
      case 'StartTime': return hb.startTime;
      case 'HeartbeatTime': return hb.heartbeatTime;
      case 'WorkerStatus': return FULL(hb.status);
      default: return undefined;
    }
  })();
  return v === '' || v === undefined ? null : v;
}

/** Status values in either spelling compare as the enum name. */
function normalizeStatus(f: VisibilityFilter): VisibilityFilter {
  switch (f.kind) {
    case 'and':
    case 'or':
      return { ...f, clauses: f.clauses.map(normalizeStatus) };
    case 'not':
      return { ...f, clause: normalizeStatus(f.clause) };
    case 'compare':
      return f.field === 'WorkerStatus' && typeof f.value === 'string' ? { ...f, value: FULL(f.value) } : f;
    case 'in':
      return f.field === 'WorkerStatus' ? { ...f, values: f.values.map((v) => (typeof v === 'string' ? FULL(v) : v)) } : f;
    default:
      return f;
  }
}

/** Compiles a ListWorkers query (INVALID_ARGUMENT on `query` if it is malformed); empty matches all. */
export function compileWorkerQuery(query: string): (hb: WorkerHeartbeatRecord) => boolean {
  const { filter } = parseVisibilityQuery(query, WORKER_QUERY_LANGUAGE);
  if (!filter) return () => true;
  const normalized = normalizeStatus(filter);
  return (hb) => evaluateFilter(normalized, (field) => valueOf(hb, field));
}
