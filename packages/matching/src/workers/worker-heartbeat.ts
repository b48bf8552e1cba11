/**
 * A worker's last heartbeat. `heartbeat` is the decoded temporal.api.worker.v1.WorkerHeartbeat
 * kept as given (matching reads only the fields it filters on).
 */
export interface WorkerHeartbeatRecord {
  readonly workerInstanceKey: string;
  readonly workerIdentity: string;
  readonly hostName: string;
  readonly taskQueue: string;
  readonly sdkName: string;
  readonly sdkVersion: string;
  /** 'RUNNING' | 'SHUTTING_DOWN' | 'SHUTDOWN' | 'UNSPECIFIED' */
  readonly status: string;
  readonly deploymentName?: string;
  readonly buildId?: string;
  readonly startTime?: Date;
  readonly heartbeatTime: Date;
  readonly heartbeat: unknown;
}

export interface WorkerListQuery {
  /** SQL-like filter, e.g. `TaskQueue = 'orders' AND Status = 'RUNNING'`. Empty: all. */
  readonly query?: string;
}
