import { lib } from '../library-builder.js';
import {
  ExecutionAlreadyStartedError,
  NotFoundError,
  type ComponentRef,
  type SideEffectContext,
} from '@chasm/core';
import { BadCommandError } from '../activity/activity-state-machine.js';
import { event } from '../history/events.js';
import { runSpecOf, startPolicies } from '../grpc/start-request.js';
import { checkId } from '../grpc/validate.js';
import { decodeMessage, encodeMessage, long } from '@chasm/matching';
import { api, CommandType, Enums, type HistoryEvent, type temporal } from '../proto.js';
import { DEFAULT_WORKFLOW_CONFIG, type WorkflowConfig } from '../config.js';
import { depsOf } from './deps.js';
import { HistoryWriter, lastEvent, readHistory } from './history-writer.js';
import { requestCancelWorkflow, scheduleWorkflowTask, signalWorkflow, terminateWorkflow } from './mutable-state.js';
import { initRunState, startRun } from './start-run.js';
import { Workflow, type WorkflowComponent } from './workflow.js';
import { rootExecutionOf } from './root-execution.js';
import { mergePriority, taskPriority } from './task-priority.js';

const Cause = Enums.WorkflowTaskFailedCause;
const Common = api.common.v1;

/** StartChildWorkflowExecution, SignalExternal…, RequestCancelExternal… → Initiated events and their tasks. */
export function applyChildCommand(
  w: HistoryWriter,
  cmd: temporal.api.command.v1.ICommand,
  completedId: number,
  config: WorkflowConfig = DEFAULT_WORKFLOW_CONFIG,
): 'newTask' | undefined | 'unsupported' {
  const s = w.wf.state;
  const wtc = long(completedId);
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const a = cmd.startChildWorkflowExecutionCommandAttributes ?? {};
      const BAD = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES;
      if (!a.workflowId) throw new BadCommandError(BAD, 'Required field WorkflowId is not set on command.');
      if (!a.workflowType?.name) throw new BadCommandError(BAD, 'Required field WorkflowType is not set on command.');
      const namespace = a.namespace || s.namespace;
      const taskQueue = { name: a.taskQueue?.name || s.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
      // The child's start is checked now, as a start request is at the door (the StartChild task
      // makes it later and must not meet a refusal it would retry forever). An InvalidArgumentError
      // fails this workflow task with BAD_START_CHILD_EXECUTION_ATTRIBUTES.
      runSpecOf(s.namespaceId, childStartRequest({ ...a, taskQueue }, 'validation'), config);
      const ev: HistoryEvent = event('startChildWorkflowExecutionInitiatedEventAttributes', {
        ...a,
        namespace,
        taskQueue,
        parentClosePolicy: a.parentClosePolicy || Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
        workflowTaskCompletedEventId: wtc,
      });
      if (cmd.userMetadata) ev.userMetadata = cmd.userMetadata;
      const id = w.append(ev);
      s.children[String(id)] = {
        initiatedEventId: id,
        startedEventId: 0,
        workflowId: a.workflowId,
        runId: '',
        workflowType: a.workflowType.name,
        namespace,
        namespaceId: namespace === s.namespace ? s.namespaceId : '',
        parentClosePolicy: a.parentClosePolicy || Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
        status: 'initiated',
      };
      w.ctx.addTask(w.wf, StartChild, { initiatedEventId: id });
      return undefined;
    }
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      const a = cmd.signalExternalWorkflowExecutionCommandAttributes ?? {};
      // Temporal's ValidateSignalExternalWorkflowExecutionAttributes, plus no NUL: the target is looked up by these.
      checkId('execution.workflow_id', a.execution?.workflowId, config.maxIdLength, {
        name: 'WorkflowId',
        notSet: 'WorkflowId is not set on SignalExternalWorkflowExecutionCommand.',
      });
      checkId('execution.run_id', a.execution?.runId, config.maxIdLength, { name: 'RunId' });
      checkId('signal_name', a.signalName, config.maxIdLength, { name: 'SignalName', notSet: 'SignalName is not set on SignalExternalWorkflowExecutionCommand.' });
      checkId('namespace', a.namespace, config.maxIdLength, { name: 'Namespace' });
      const namespace = a.namespace || s.namespace;
      const id = w.append(
        event('signalExternalWorkflowExecutionInitiatedEventAttributes', {
          namespace,
          workflowExecution: a.execution ?? {},
          signalName: a.signalName ?? '',
          ...(a.input ? { input: a.input } : {}),
          control: a.control ?? '',
          childWorkflowOnly: a.childWorkflowOnly ?? false,
          ...(a.header ? { header: a.header } : {}),
          workflowTaskCompletedEventId: wtc,
        }),
      );
      s.pendingExternal.push(id);
      w.ctx.addTask(w.wf, SignalExternal, {
        initiatedEventId: id,
        namespace,
        workflowId: a.execution?.workflowId ?? '',
        runId: a.execution?.runId ?? '',
        signalName: a.signalName ?? '',
        input: encodeMessage(Common.Payloads, a.input as temporal.api.common.v1.Payloads | null | undefined),
        header: encodeMessage(Common.Header, a.header as temporal.api.common.v1.Header | null | undefined),
        childWorkflowOnly: a.childWorkflowOnly ?? false,
        control: a.control ?? '',
      });
      return undefined;
    }
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
      const a = cmd.requestCancelExternalWorkflowExecutionCommandAttributes ?? {};
      checkId('workflow_id', a.workflowId, config.maxIdLength, {
        name: 'WorkflowId',
        notSet: 'WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand.',
      });
      checkId('run_id', a.runId, config.maxIdLength, { name: 'RunId' });
      checkId('namespace', a.namespace, config.maxIdLength, { name: 'Namespace' });
      const namespace = a.namespace || s.namespace;
      const execution = { workflowId: a.workflowId ?? '', runId: a.runId ?? '' };
      const id = w.append(
        event('requestCancelExternalWorkflowExecutionInitiatedEventAttributes', {
          namespace,
          workflowExecution: execution,
          control: a.control ?? '',
          childWorkflowOnly: a.childWorkflowOnly ?? false,
          reason: a.reason ?? '',
          workflowTaskCompletedEventId: wtc,
        }),
      );
      s.pendingExternal.push(id);
      s.pendingExternalCancels = [...(s.pendingExternalCancels ?? []), id];
      w.ctx.addTask(w.wf, CancelExternal, {
        initiatedEventId: id,
        namespace,
        workflowId: execution.workflowId,
        runId: execution.runId,
        reason: a.reason ?? '',
        childWorkflowOnly: a.childWorkflowOnly ?? false,
        control: a.control ?? '',
      });
      return undefined;
    }
    default:
      return 'unsupported';
  }
}

async function namespaceIdOf(ctx: SideEffectContext, ref: ComponentRef, parentNamespace: string, namespace: string): Promise<string> {
  return namespace === parentNamespace || !namespace ? ref.namespaceId : depsOf(ctx.engine).namespaces.idOf(namespace);
}

/** Re-enters the parent and records an outcome (skipped when the parent moved on). */
async function recordOnParent(ctx: SideEffectContext, ref: ComponentRef, fn: (w: HistoryWriter) => void): Promise<void> {
  await ctx.engine.update(ref, (c, tx) => {
    const wf = c as WorkflowComponent;
    if (wf.state.status !== 'running') return;
    const w = new HistoryWriter(wf, tx);
    fn(w);
    scheduleWorkflowTask(w);
    w.commit();
  });
}

type ChildAttributes = temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes &
  temporal.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes;

/** The start request of a child: what the command is checked as, and what the StartChild task makes. */
function childStartRequest(a: ChildAttributes, requestId: string): temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest {
  return {
    workflowId: a.workflowId ?? '',
    workflowType: a.workflowType ?? null,
    taskQueue: a.taskQueue ?? null,
    input: a.input ?? null,
    workflowExecutionTimeout: a.workflowExecutionTimeout ?? null,
    workflowRunTimeout: a.workflowRunTimeout ?? null,
    workflowTaskTimeout: a.workflowTaskTimeout ?? null,
    retryPolicy: a.retryPolicy ?? null,
    cronSchedule: a.cronSchedule ?? '',
    memo: a.memo ?? null,
    searchAttributes: a.searchAttributes ?? null,
    header: a.header ?? null,
    priority: a.priority ?? null,
    requestId,
  };
}

/** Starts the child run of a StartChildWorkflowExecutionInitiated event. */
export const StartChild = lib.sideEffectTask<typeof Workflow, { readonly initiatedEventId: number }>({
  name: 'startChild',
  component: Workflow,
  validate: (_ctx, wf, p) => wf.state.status === 'running' && wf.state.children[String(p.initiatedEventId)]?.status === 'initiated',
  async execute(ctx, ref, p) {
    const deps = depsOf(ctx.engine);
    const info = await ctx.engine.read(ref, (c) => {
      const wf = c as WorkflowComponent;
      const ev = readHistory(wf, p.initiatedEventId, p.initiatedEventId)[0];
      return {
        attrs: ev?.startChildWorkflowExecutionInitiatedEventAttributes,
        namespace: wf.state.namespace,
        root: rootExecutionOf(wf),
        // The command's static summary and details become the child's own (Temporal's StartChild does the same).
        userMetadata: ev?.userMetadata ?? null,
        priority: wf.state.priority,
      };
    });
    const a = info.attrs;
    if (!a) return;
    const namespaceId = await namespaceIdOf(ctx, ref, info.namespace, a.namespace ?? '');
    // The command's priority fields over the parent's: "if any fields are not present, they
    // inherit the values from the workflow" (command.proto), as for activities.
    const priority = mergePriority(info.priority, taskPriority(a.priority)) ?? null;
    const spec = runSpecOf(namespaceId, { ...childStartRequest(a, `child-${ref.runId}-${p.initiatedEventId}`), userMetadata: info.userMetadata, priority }, deps.config);
    const started = {
      ...spec.started,
      parentWorkflowNamespace: info.namespace,
      parentWorkflowNamespaceId: ref.namespaceId,
      parentWorkflowExecution: { workflowId: ref.businessId, runId: ref.runId },
      parentInitiatedEventId: long(p.initiatedEventId),
      rootWorkflowExecution: info.root,
    };
    const childSpec = { ...spec, started };
    const namespace = a.namespace || info.namespace;
    let runId: string;
    try {
      const r = await deps.engine.start(
        Workflow,
        { namespaceId, businessId: a.workflowId ?? '' },
        {
          requestId: spec.requestId,
          reusePolicy: startPolicies(a.workflowIdReusePolicy, 0).reusePolicy,
          init: (tx) => initRunState(childSpec, tx.key.runId, tx.now.getTime()),
          run: (wf, tx) => startRun(wf, tx, childSpec, namespace),
        },
      );
      runId = r.runId;
    } catch (e) {
      if (!(e instanceof ExecutionAlreadyStartedError)) throw e;
      await recordOnParent(ctx, ref, (w) => {
        const child = w.wf.state.children[String(p.initiatedEventId)];
        if (!child || child.status !== 'initiated') return;
        child.status = 'closed';
        w.external(
          event('startChildWorkflowExecutionFailedEventAttributes', {
            namespace,
            workflowId: a.workflowId ?? '',
            workflowType: a.workflowType ?? {},
            cause: Enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
            control: a.control ?? '',
            initiatedEventId: long(p.initiatedEventId),
            workflowTaskCompletedEventId: a.workflowTaskCompletedEventId ?? long(0),
          }),
        );
      });
      return;
    }
    await recordOnParent(ctx, ref, (w) => {
      const child = w.wf.state.children[String(p.initiatedEventId)];
      if (!child || child.status !== 'initiated') return;
      child.status = 'started';
      child.runId = runId;
      w.external(
        event('childWorkflowExecutionStartedEventAttributes', {
          namespace,
          initiatedEventId: long(p.initiatedEventId),
          workflowExecution: { workflowId: a.workflowId ?? '', runId },
          workflowType: a.workflowType ?? {},
          ...(a.header ? { header: a.header } : {}),
        }),
      );
    });
  },
});

/** A closed child run tells its parent (the chain's last run: continue-as-new and retries do not). */
export const NotifyParent = lib.sideEffectTask<typeof Workflow, Record<string, never>>({
  name: 'notifyParent',
  component: Workflow,
  validate: (_ctx, wf) => wf.state.parent !== null && wf.state.status !== 'running' && wf.state.newExecutionRunId === null,
  async execute(ctx, ref) {
    const info = await ctx.engine.read(ref, (c) => {
      const wf = c as WorkflowComponent;
      return { s: { ...wf.state }, last: lastEvent(wf) };
    });
    const parent = info.s.parent;
    if (!parent || !info.last) return;
    const base = {
      namespace: info.s.namespace,
      workflowExecution: { workflowId: info.s.workflowId, runId: info.s.runId },
      workflowType: { name: info.s.workflowType },
      initiatedEventId: long(parent.initiatedEventId),
      startedEventId: long(0),
    };
    const l = info.last;
    let ev: HistoryEvent;
    if (l.workflowExecutionCompletedEventAttributes) {
      ev = event('childWorkflowExecutionCompletedEventAttributes', { ...base, ...(l.workflowExecutionCompletedEventAttributes.result ? { result: l.workflowExecutionCompletedEventAttributes.result } : {}) });
    } else if (l.workflowExecutionFailedEventAttributes) {
      const f = l.workflowExecutionFailedEventAttributes;
      ev = event('childWorkflowExecutionFailedEventAttributes', { ...base, ...(f.failure ? { failure: f.failure } : {}), retryState: f.retryState ?? 0 });
    } else if (l.workflowExecutionCanceledEventAttributes) {
      const d = l.workflowExecutionCanceledEventAttributes.details;
      ev = event('childWorkflowExecutionCanceledEventAttributes', { ...base, ...(d ? { details: d } : {}) });
    } else if (l.workflowExecutionTimedOutEventAttributes) {
      ev = event('childWorkflowExecutionTimedOutEventAttributes', { ...base, retryState: l.workflowExecutionTimedOutEventAttributes.retryState ?? 0 });
    } else {
      ev = event('childWorkflowExecutionTerminatedEventAttributes', base);
    }
    try {
      await ctx.engine.update({ type: Workflow, namespaceId: parent.namespaceId || ref.namespaceId, businessId: parent.workflowId, runId: parent.runId }, (wf, tx) => {
        const child = wf.state.children[String(parent.initiatedEventId)];
        if (wf.state.status !== 'running' || !child || child.status === 'closed') return;
        child.status = 'closed';
        const attrs = Object.values(ev).find((v) => typeof v === 'object' && v !== null && 'initiatedEventId' in v) as { startedEventId: unknown } | undefined;
        if (attrs) attrs.startedEventId = long(child.startedEventId);
        const w = new HistoryWriter(wf, tx);
        w.external(ev, { childInitiated: parent.initiatedEventId });
        scheduleWorkflowTask(w);
        w.commit();
      });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  },
});

export interface ParentClosePolicyPayload {
  readonly children: readonly {
    readonly namespaceId: string;
    readonly workflowId: string;
    readonly policy: number;
    /** The first run of the child's chain ('' or absent: not recorded as started; older tasks). */
    readonly runId?: string;
  }[];
}

/**
 * Whether the open run of a child workflow id is one this closed parent run is responsible for:
 * the chain it started (by first run id), or, when the start was not recorded, a run naming this
 * very parent run. Matching on the parent's workflow id alone is not enough: this task stays valid
 * after it ran (the parent is closed for good), so a repeat after a crash, or a slow first run,
 * would otherwise reach a child of the same id that the parent's *next* run (continue-as-new)
 * started, and terminate it.
 */
function childOf(wf: WorkflowComponent, parent: ComponentRef, childRunId: string | undefined): boolean {
  const s = wf.state;
  if (s.status !== 'running' || s.parent?.workflowId !== parent.businessId) return false;
  return childRunId ? s.firstExecutionRunId === childRunId : s.parent.runId === parent.runId;
}

/** TERMINATE or REQUEST_CANCEL the open children of a closed parent. */
export const ApplyParentClosePolicy = lib.sideEffectTask<typeof Workflow, ParentClosePolicyPayload>({
  name: 'applyParentClosePolicy',
  component: Workflow,
  validate: (_ctx, wf) => wf.state.status !== 'running',
  async execute(ctx, ref, p) {
    for (const c of p.children) {
      try {
        await ctx.engine.update({ type: Workflow, namespaceId: c.namespaceId || ref.namespaceId, businessId: c.workflowId }, (wf, tx) => {
          if (!childOf(wf, ref, c.runId)) return;
          const w = new HistoryWriter(wf, tx);
          if (c.policy === Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
            requestCancelWorkflow(w, 'by parent close policy', '', { initiatedEventId: 0, execution: { workflowId: ref.businessId, runId: ref.runId } });
          } else {
            terminateWorkflow(w, 'by parent close policy', null, '');
          }
          w.commit();
        });
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
  },
});

interface ExternalPayload {
  readonly initiatedEventId: number;
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly childWorkflowOnly: boolean;
  readonly control: string;
}

const pendingExternal = (wf: WorkflowComponent, id: number): boolean => wf.state.status === 'running' && wf.state.pendingExternal.includes(id);

function doneExternal(w: HistoryWriter, id: number): boolean {
  const s = w.wf.state;
  if (!s.pendingExternal.includes(id)) return false;
  s.pendingExternal = s.pendingExternal.filter((x) => x !== id);
  if (s.pendingExternalCancels?.includes(id)) s.pendingExternalCancels = s.pendingExternalCancels.filter((x) => x !== id);
  return true;
}

/** Signals another workflow for a SignalExternalWorkflowExecution command. */
export const SignalExternal = lib.sideEffectTask<
  typeof Workflow,
  ExternalPayload & { readonly signalName: string; readonly input: Uint8Array | null; readonly header: Uint8Array | null }
>({
  name: 'signalExternal',
  component: Workflow,
  validate: (_ctx, wf, p) => pendingExternal(wf, p.initiatedEventId),
  async execute(ctx, ref, p) {
    const parentNs = await ctx.engine.read(ref, (c) => (c as WorkflowComponent).state.namespace);
    const namespaceId = await namespaceIdOf(ctx, ref, parentNs, p.namespace);
    let ok = true;
    try {
      await ctx.engine.update({ type: Workflow, namespaceId, businessId: p.workflowId, ...(p.runId ? { runId: p.runId } : {}) }, (wf, tx) => {
        if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
        if (p.childWorkflowOnly && wf.state.parent?.workflowId !== ref.businessId) throw new NotFoundError('not a child');
        const w = new HistoryWriter(wf, tx);
        signalWorkflow(w, {
          signalName: p.signalName,
          input: decodeMessage(Common.Payloads, p.input),
          header: decodeMessage(Common.Header, p.header),
          identity: '',
          requestId: `${ref.runId}-${p.initiatedEventId}`,
          externalWorkflowExecution: { workflowId: ref.businessId, runId: ref.runId },
        });
        w.commit();
      });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      ok = false;
    }
    const execution = { workflowId: p.workflowId, runId: p.runId };
    await recordOnParent(ctx, ref, (w) => {
      if (!doneExternal(w, p.initiatedEventId)) return;
      w.external(
        ok
          ? event('externalWorkflowExecutionSignaledEventAttributes', { initiatedEventId: long(p.initiatedEventId), namespace: p.namespace, workflowExecution: execution, control: p.control })
          : event('signalExternalWorkflowExecutionFailedEventAttributes', {
              cause: Enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
              initiatedEventId: long(p.initiatedEventId),
              namespace: p.namespace,
              workflowExecution: execution,
              control: p.control,
            }),
      );
    });
  },
});

/** Requests cancellation of another workflow for a RequestCancelExternalWorkflowExecution command. */
export const CancelExternal = lib.sideEffectTask<typeof Workflow, ExternalPayload & { readonly reason: string }>({
  name: 'cancelExternal',
  component: Workflow,
  validate: (_ctx, wf, p) => pendingExternal(wf, p.initiatedEventId),
  async execute(ctx, ref, p) {
    const parentNs = await ctx.engine.read(ref, (c) => (c as WorkflowComponent).state.namespace);
    const namespaceId = await namespaceIdOf(ctx, ref, parentNs, p.namespace);
    let ok = true;
    try {
      await ctx.engine.update({ type: Workflow, namespaceId, businessId: p.workflowId, ...(p.runId ? { runId: p.runId } : {}) }, (wf, tx) => {
        if (p.childWorkflowOnly && wf.state.parent?.workflowId !== ref.businessId) throw new NotFoundError('not a child');
        const w = new HistoryWriter(wf, tx);
        requestCancelWorkflow(w, p.reason, '', { initiatedEventId: p.initiatedEventId, execution: { workflowId: ref.businessId, runId: ref.runId } });
        w.commit();
      });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      ok = false;
    }
    const execution = { workflowId: p.workflowId, runId: p.runId };
    await recordOnParent(ctx, ref, (w) => {
      if (!doneExternal(w, p.initiatedEventId)) return;
      w.external(
        ok
          ? event('externalWorkflowExecutionCancelRequestedEventAttributes', { initiatedEventId: long(p.initiatedEventId), namespace: p.namespace, workflowExecution: execution })
          : event('requestCancelExternalWorkflowExecutionFailedEventAttributes', {
              cause: Enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
              initiatedEventId: long(p.initiatedEventId),
              namespace: p.namespace,
              workflowExecution: execution,
              control: p.control,
            }),
      );
    });
  },
});
