import type { temporal } from '@temporalio/proto';

/** Short names for the WorkflowService messages matching handles (decoded protobufjs shapes). */
export type DescribeTaskQueueRequest = temporal.api.workflowservice.v1.IDescribeTaskQueueRequest;
export type DescribeTaskQueueResponse = temporal.api.workflowservice.v1.IDescribeTaskQueueResponse;
export type UpdateTaskQueueConfigRequest = temporal.api.workflowservice.v1.IUpdateTaskQueueConfigRequest;
export type UpdateTaskQueueConfigResponse = temporal.api.workflowservice.v1.IUpdateTaskQueueConfigResponse;
export type RecordWorkerHeartbeatRequest = temporal.api.workflowservice.v1.IRecordWorkerHeartbeatRequest;
export type RecordWorkerHeartbeatResponse = temporal.api.workflowservice.v1.IRecordWorkerHeartbeatResponse;
export type ListWorkersRequest = temporal.api.workflowservice.v1.IListWorkersRequest;
export type ListWorkersResponse = temporal.api.workflowservice.v1.IListWorkersResponse;
export type DescribeWorkerRequest = temporal.api.workflowservice.v1.IDescribeWorkerRequest;
export type DescribeWorkerResponse = temporal.api.workflowservice.v1.IDescribeWorkerResponse;
export type ShutdownWorkerRequest = temporal.api.workflowservice.v1.IShutdownWorkerRequest;
export type ShutdownWorkerResponse = temporal.api.workflowservice.v1.IShutdownWorkerResponse;
export type ListTaskQueuePartitionsRequest = temporal.api.workflowservice.v1.IListTaskQueuePartitionsRequest;
export type ListTaskQueuePartitionsResponse = temporal.api.workflowservice.v1.IListTaskQueuePartitionsResponse;
