import { randomUUID } from 'node:crypto';
import type { MutableContext } from '@chasm/core';
import { durationToMs, long, msToDuration, msToTimestamp } from '@chasm/matching';
import { BadCommandError, type Command, type WorkflowComponent, type WorkflowExtension, type WorkflowHistory } from '@chasm/workflow';
import type { NexusConfig } from '../config.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import type { NexusEndpoint } from '../endpoints/endpoint.js';
import { temporalProto, type temporal } from '../proto.js';
import type { EndpointCircuitBreakers } from './circuit-breakers.js';
import { NexusOperation, OPERATIONS_KEY, PENDING, WorkflowOperations, type OperationComponent, type WorkflowOperationsComponent } from './operation.js';
import { requestCancel, scheduled } from './operation-machine.js';
import { checkNexusHeader } from './header.js';
import { BLOCKED_REASON, cancellationInfoProto, decodeFailure, pendingState } from './operation-proto.js';

const { CommandType, EventType, WorkflowTaskFailedCause: Cause } = temporalProto.temporal.api.enums.v1;
const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;

const BAD_SCHEDULE = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES;
const BAD_CANCEL = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES;
const LIMIT = Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_NEXUS_OPERATIONS_LIMIT_EXCEEDED;


export interface NexusExtensionDeps {
  readonly endpoints: EndpointRegistry;
  readonly breakers: EndpointCircuitBreakers;
  readonly config: NexusConfig;
}

/** The endpoints a completion's ScheduleNexusOperation commands name, looked up before the transaction (null: none). */
type Prepared = ReadonlyMap<string, NexusEndpoint | null>;

export function operationsOf(wf: WorkflowComponent): WorkflowOperationsComponent | undefined {
  return wf.fields.extensions.get(OPERATIONS_KEY) as WorkflowOperationsComponent | undefined;
}

function ensureOperations(wf: WorkflowComponent): WorkflowOperationsComponent {
  return operationsOf(wf) ?? wf.fields.extensions.create(OPERATIONS_KEY, WorkflowOperations, {} as never);
}

function pendingOperations(wf: WorkflowComponent): OperationComponent[] {
  const reg = operationsOf(wf);
  if (!reg) return [];
  return reg.fields.operations
    .keys()
    .map((k) => reg.fields.operations.get(k)!)
    .filter((op) => PENDING.has(op.state.status));
}

/**
 * The nexus package's part of the workflow-task protocol (reference D.2, D.3): the
 * ScheduleNexusOperation and RequestCancelNexusOperation commands, pending operations in
 * DescribeWorkflowExecution. Operations live under the run's `extensions` map.
 */
export function nexusWorkflowExtension(deps: NexusExtensionDeps): WorkflowExtension {
  const { config } = deps;
  return {
    name: 'nexus',
    async prepare(_namespaceId, commands) {
      const names = new Set<string>();
      for (const c of commands) {
        if (c.commandType === CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION) names.add(c.scheduleNexusOperationCommandAttributes?.endpoint ?? '');
      }
      if (names.size === 0) return undefined;
      const out = new Map<string, NexusEndpoint | null>();
      for (const n of names) out.set(n, n ? ((await deps.endpoints.getByName(n)) ?? null) : null);
      return out;
    },
    applyCommand(h, cmd, task) {
      if (cmd.commandType === CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION) {
        schedule(h, cmd, task.completedEventId, task.prepared?.get('nexus') as Prepared | undefined, config);
        return true;
      }
      if (cmd.commandType === CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION) {
        cancel(h, Number(cmd.requestCancelNexusOperationCommandAttributes?.scheduledEventId ?? 0), task.completedEventId);
        return true;
      }
      return false;
    },
    // Operations closed since the last task leave the map now that the worker has seen them: a
    // cancel command in the task that saw the completion still found its operation (D.2).
    afterCompletion(h) {
      const reg = operationsOf(h.wf);
      if (!reg) return;
      for (const k of reg.fields.operations.keys()) {
        if (!PENDING.has(reg.fields.operations.get(k)!.state.status)) reg.fields.operations.delete(k);
      }
    },
    describe(wf, out) {
      const ops = pendingOperations(wf);
      if (ops.length > 0) out.pendingNexusOperations = ops.map((op) => pendingInfo(op, deps.breakers.isOpen(op.state.endpointId)));
    },
  };
}

function schedule(h: WorkflowHistory, cmd: Command, completedId: number, prepared: Prepared | undefined, config: NexusConfig): void {
  const a = cmd.scheduleNexusOperationCommandAttributes ?? {};
  const name = a.endpoint ?? '';
  if (!name) throw new BadCommandError(BAD_SCHEDULE, 'Endpoint is not set on command.');
  if (!a.service) throw new BadCommandError(BAD_SCHEDULE, 'Service is not set on command.');
  if (!a.operation) throw new BadCommandError(BAD_SCHEDULE, 'Operation is not set on command.');
  if (a.service.length > config.maxServiceNameLength) throw new BadCommandError(BAD_SCHEDULE, `ScheduleNexusOperationCommandAttributes.Service exceeds length limit of ${config.maxServiceNameLength}.`);
  if (a.operation.length > config.maxOperationNameLength) throw new BadCommandError(BAD_SCHEDULE, `ScheduleNexusOperationCommandAttributes.Operation exceeds length limit of ${config.maxOperationNameLength}.`);
  const endpoint = prepared?.get(name);
  if (!endpoint) throw new BadCommandError(BAD_SCHEDULE, `endpoint "${name}" not found`);
  const input = a.input ? PayloadMsg.encode(PayloadMsg.fromObject(a.input)).finish() : null;
  if (input && input.length > config.maxInputBytes) throw new BadCommandError(BAD_SCHEDULE, 'ScheduleNexusOperationCommandAttributes.Input exceeds size limit.');
  const header = checkNexusHeader(a.nexusHeader, config, (msg) => new BadCommandError(BAD_SCHEDULE, `ScheduleNexusOperationCommandAttributes.${msg}`));
  const wf = h.wf;
  if (pendingOperations(wf).length >= config.maxPendingOperations) {
    throw new BadCommandError(LIMIT, `workflow has reached the pending nexus operation limit of ${config.maxPendingOperations} for this namespace`);
  }
  // InvalidArgumentError from a bad Duration fails the task with BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES.
  let s2c = durationToMs(a.scheduleToCloseTimeout, 'schedule_to_close_timeout');
  let s2s = durationToMs(a.scheduleToStartTimeout, 'schedule_to_start_timeout');
  let stc = durationToMs(a.startToCloseTimeout, 'start_to_close_timeout');
  // Trimming (reference D.2): S2C within the run timeout, S2S and STC within S2C.
  const run = wf.state.runTimeoutMs;
  if (run > 0) s2c = s2c === 0 ? run : Math.min(s2c, run);
  if (s2c > 0) {
    s2s = Math.min(s2s, s2c);
    stc = Math.min(stc, s2c);
  }
  const requestId = randomUUID();
  const ev: temporal.api.history.v1.IHistoryEvent = {
    eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
    nexusOperationScheduledEventAttributes: {
      endpoint: name,
      endpointId: endpoint.id,
      service: a.service,
      operation: a.operation,
      ...(a.input ? { input: a.input } : {}),
      ...(s2c > 0 ? { scheduleToCloseTimeout: msToDuration(s2c) } : {}),
      ...(s2s > 0 ? { scheduleToStartTimeout: msToDuration(s2s) } : {}),
      ...(stc > 0 ? { startToCloseTimeout: msToDuration(stc) } : {}),
      nexusHeader: header,
      workflowTaskCompletedEventId: long(completedId),
      requestId,
    },
    ...(cmd.userMetadata ? { userMetadata: cmd.userMetadata } : {}),
  };
  const id = h.append(ev);
  const op = ensureOperations(wf).fields.operations.create(String(id), {
    status: 'scheduled',
    endpointId: endpoint.id,
    endpoint: name,
    service: a.service,
    operation: a.operation,
    scheduledTime: h.now,
    startedTime: null,
    closedTime: null,
    scheduleToCloseMs: s2c,
    scheduleToStartMs: s2s,
    startToCloseMs: stc,
    requestId,
    attempt: 1,
    lastAttemptCompleteTime: null,
    lastAttemptFailure: null,
    nextAttemptScheduleTime: null,
    operationToken: '',
    input,
    header,
    scheduledEventId: id,
    cancellation: null,
  });
  scheduled(op, h.ctx as MutableContext);
}

function cancel(h: WorkflowHistory, scheduledEventId: number, completedId: number): void {
  const op = operationsOf(h.wf)?.fields.operations.get(String(scheduledEventId));
  if (!op) {
    throw new BadCommandError(BAD_CANCEL, `requested cancelation for a non-existing or already completed operation with scheduled event ID of ${scheduledEventId}`);
  }
  if (op.state.cancellation) {
    throw new BadCommandError(BAD_CANCEL, `cancelation was already requested for an operation with scheduled event ID ${scheduledEventId}`);
  }
  // Always written, even when the operation's completion is waiting to be delivered (D.2).
  const requestedId = h.append({
    eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
    nexusOperationCancelRequestedEventAttributes: { scheduledEventId: long(scheduledEventId), workflowTaskCompletedEventId: long(completedId) },
  });
  if (PENDING.has(op.state.status)) requestCancel(op, h.ctx, requestedId);
}

/** Reference D.3, "pending operations in DescribeWorkflowExecution". */
function pendingInfo(op: OperationComponent, circuitOpen: boolean): temporal.api.workflow.v1.IPendingNexusOperationInfo {
  const s = op.state;
  const blocked = circuitOpen && s.status === 'scheduled';
  const state = pendingState(s.status, circuitOpen);
  const c = s.cancellation;
  return {
    endpoint: s.endpoint,
    service: s.service,
    operation: s.operation,
    operationId: s.operationToken,
    operationToken: s.operationToken,
    ...(s.scheduleToCloseMs > 0 ? { scheduleToCloseTimeout: msToDuration(s.scheduleToCloseMs) } : {}),
    scheduledTime: msToTimestamp(s.scheduledTime),
    state,
    attempt: s.attempt,
    ...(s.lastAttemptCompleteTime !== null ? { lastAttemptCompleteTime: msToTimestamp(s.lastAttemptCompleteTime) } : {}),
    ...(s.lastAttemptFailure ? { lastAttemptFailure: decodeFailure(s.lastAttemptFailure) } : {}),
    ...(s.nextAttemptScheduleTime !== null ? { nextAttemptScheduleTime: msToTimestamp(s.nextAttemptScheduleTime) } : {}),
    scheduledEventId: long(s.scheduledEventId),
    ...(blocked ? { blockedReason: BLOCKED_REASON } : {}),
    ...(c ? { cancellationInfo: cancellationInfoProto(c) } : {}),
  };
}

export { NexusOperation };
