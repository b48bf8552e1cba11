/**
 * StartWorkflowExecution and SignalWithStartWorkflowExecution: a new run (ID reuse and conflict
 * policies, TerminateIfRunning), its first workflow task started eagerly for the starter or for a
 * reserved poller (ADR 0040), and signal-with-start. Apart from the other workflow RPCs because
 * this is the start path, with helpers nothing else uses.
 */
import { randomUUID } from 'node:crypto';
import {
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  NotFoundError,
  type RpcCallContext,
  withFields,
  type RpcHandlerSet,
} from '@chasm/core';
import { long } from '@chasm/matching';
import { limitsFor } from '../config.js';
import { Enums, type temporal } from '../proto.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { startFirstTaskEagerly, type EagerWorkflowTask } from '../workflow/eager-start.js';
import { enforceHistoryLimits, historyMark, HistoryLimitExceeded } from '../workflow/history-limits.js';
import { HistoryWriter } from '../workflow/history-writer.js';
import { terminateWorkflow } from '../workflow/mutable-state.js';
import { initRunState, startRun, type RunSpec } from '../workflow/start-run.js';
import { enforceStateSizeLimit } from '../workflow/state-size-limit.js';
import { completeHandoff, reserveFor, startForReservedPoller, type HandedOffTask, type Handoff } from '../workflow/task-handoff.js';
import { taskPriority } from '../workflow/task-priority.js';
import { Workflow, type WorkflowComponent } from '../workflow/workflow.js';
import { historyWarn, terminateOverLimit, warnLargeInput } from './limit-warnings.js';
import { signalRun, target } from './run-target.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';
import { callbackAdmission, runSpecOf, startPolicies } from './start-request.js';
import { checkBlob, checkId, checkSignalName } from './validate.js';

/** StartWorkflowExecution and SignalWithStartWorkflowExecution. */
export function startHandlers(deps: WorkflowDeps, searchAttributes: SearchAttributeRegistry): RpcHandlerSet['methods'] {
  const { engine, matching, namespaces, config } = deps;

  /**
   * Starts a run; with `first.eagerFor` (request_eager_execution) its first task is started for
   * that starter and returned (`eager`), with `first.handoff` for that reserved poller (`handed`).
   */
  async function startOne(
    spec: RunSpec,
    namespace: string,
    policies: ReturnType<typeof startPolicies>,
    first?: { readonly eagerFor?: { identity: string }; readonly handoff?: Handoff },
  ) {
    const opts = {
      requestId: spec.requestId,
      reusePolicy: policies.reusePolicy,
      conflictPolicy: policies.conflictPolicy,
      init: (ctx: { now: Date; key: { runId: string } }) => initRunState(spec, ctx.key.runId, ctx.now.getTime()),
      run: (wf: WorkflowComponent, ctx: Parameters<typeof startRun>[1]): { eager?: EagerWorkflowTask; handed?: HandedOffTask } => {
        startRun(wf, ctx, spec, namespace);
        if (first?.eagerFor) {
          const eager = startFirstTaskEagerly(wf, ctx, first.eagerFor.identity, spec.requestId, config);
          return eager ? { eager } : {};
        }
        const handed = startForReservedPoller(wf, ctx, first?.handoff, config);
        return handed ? { handed } : {};
      },
    };
    const id = { namespaceId: spec.namespaceId, businessId: spec.started.workflowId ?? '' };
    try {
      return await engine.start(Workflow, id, opts);
    } catch (e) {
      if (!(e instanceof ExecutionAlreadyStartedError) || !policies.terminateExisting) throw e;
      await engine
        .update(target(spec.namespaceId, id.businessId, e.currentRunId), (wf, ctx) => {
          const w = new HistoryWriter(wf, ctx);
          terminateWorkflow(w, 'TerminateIfRunning WorkflowIdReusePolicy', null, spec.started.identity ?? '');
          w.commit();
        })
        .catch(() => undefined);
      return engine.start(Workflow, id, { ...opts, reusePolicy: 'allowDuplicate' });
    }
  }

  /**
   * A poller waiting on the new run's queue for its first workflow task, started in the start's
   * own commit (task-handoff.ts): none when the first task waits out a start delay or a cron
   * schedule.
   */
  function reserveFirstTask(spec: RunSpec): Promise<Handoff | undefined> {
    const a = spec.started;
    if (a.firstWorkflowTaskBackoff || a.cronSchedule) return Promise.resolve(undefined);
    return reserveFor(matching, spec.namespaceId, { name: a.taskQueue?.name ?? '', kind: 'normal' }, taskPriority(a.priority));
  }

  /**
   * What an eager start answers, counted as Temporal counts it (workflow_eager_execution and its
   * denials by reason): the started first task of a new run, or nothing when the run existed
   * already (USE_EXISTING, a retried request: its first task is not this caller's to run) or its
   * first task waits out a backoff (start delay, cron).
   */
  function eagerOutcome(created: boolean, task: EagerWorkflowTask | undefined): EagerWorkflowTask | undefined {
    deps.metrics?.eagerStarts.inc();
    if (!task) deps.metrics?.eagerStartsDenied.inc({ reason: created ? 'first_workflow_task_backoff' : 'task_already_dispatched' });
    return task;
  }

  /** Whether an existing run was created by this very request (a retried start answers `started: true`). */
  async function createdByRequest(namespaceId: string, workflowId: string, runId: string, requestId: string): Promise<boolean> {
    return engine.read(target(namespaceId, workflowId, runId), (wf) => wf.state.startRequestId === requestId).catch(() => false);
  }

  return {
    async StartWorkflowExecution(req: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest, call: RpcCallContext) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '', { forNewExecution: true });
      const limits = limitsFor(config, req.namespace ?? '');
      const stamped = await searchAttributes.validate(namespaceId, req.searchAttributes, limits);
      // Without search attributes `validate` hands them back unchanged: no copy of the request.
      const withStamped = stamped === req.searchAttributes ? req : withFields(req, { searchAttributes: stamped ?? null });
      const spec = runSpecOf(namespaceId, withStamped, limits, undefined, callbackAdmission(deps, call));
      warnLargeInput(deps, req.namespace ?? '', req.workflowId ?? '', limits, { input: req.input }, req.memo);
      const eagerFor = req.requestEagerExecution === true ? { identity: spec.started.identity ?? '' } : undefined;
      const handoff = eagerFor ? undefined : await reserveFirstTask(spec);
      let r: Awaited<ReturnType<typeof startOne>> | undefined;
      try {
        // At most one of the two (no poller is reserved for an eager start): no spread of either.
        const first = eagerFor ? { eagerFor } : handoff ? { handoff } : undefined;
        r = await startOne(spec, req.namespace ?? '', startPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy), first);
      } finally {
        // The poll is answered once the start is committed (or the poller given back).
        completeHandoff(handoff, r?.created ? r.output?.handed : undefined);
      }
      if (r.created) deps.metrics?.started.inc();
      const started = r.created || (await createdByRequest(namespaceId, spec.started.workflowId ?? '', r.runId, spec.requestId));
      const eagerWorkflowTask = eagerFor ? eagerOutcome(r.created, r.output?.eager) : undefined;
      // A link to the run's WorkflowExecutionStarted: a Nexus handler hands it back to its caller,
      // whose NexusOperationStarted then links to this run (links both ways).
      const link = {
        workflowEvent: {
          namespace: req.namespace ?? '',
          workflowId: spec.started.workflowId ?? '',
          runId: r.runId,
          eventRef: { eventId: long(1), eventType: Enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
        },
      };
      return {
        runId: r.runId,
        started,
        status: Enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        link,
        ...(eagerWorkflowTask ? { eagerWorkflowTask } : {}),
      };
    },

    async SignalWithStartWorkflowExecution(req: temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '', { forNewExecution: true });
      const limits = limitsFor(config, req.namespace ?? '');
      checkId('workflow_id', req.workflowId, limits.maxIdLength, { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' });
      const signalName = checkSignalName('signal_name', req.signalName, limits);
      checkBlob('signal_input', req.signalInput, limits);
      if (req.workflowIdConflictPolicy === Enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
        // Signal-with-required-start is not supported (Temporal's wording).
        throw new InvalidArgumentError(
          'workflow_id_conflict_policy',
          'Invalid WorkflowIDConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for this operation.',
        );
      }
      const signal = {
        signalName,
        input: req.signalInput,
        header: req.header,
        identity: req.identity ?? '',
        requestId: req.requestId || randomUUID(),
      };
      // Every check of the start happens before the signal reaches a running execution.
      const startReq = (sa: temporal.api.common.v1.ISearchAttributes | null | undefined): temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest =>
        withFields(req, { input: req.input ?? null, searchAttributes: sa ?? null }) as temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
      runSpecOf(namespaceId, startReq(req.searchAttributes), limits, signal);
      const spec = runSpecOf(namespaceId, startReq(await searchAttributes.validate(namespaceId, req.searchAttributes, limits)), limits, signal);
      warnLargeInput(deps, req.namespace ?? '', req.workflowId ?? '', limits, { input: req.input, signal_input: req.signalInput }, req.memo);
      const policies = startPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy);
      const useExisting = (req.workflowIdConflictPolicy ?? 0) === 0 || policies.conflictPolicy === 'useExisting';
      if (useExisting) {
        try {
          const r = await engine.update(target(namespaceId, req.workflowId ?? ''), (wf, ctx) => {
            if (wf.state.status !== 'running') return undefined;
            const mark = historyMark(wf);
            signalRun(wf, ctx, signal);
            enforceHistoryLimits(wf, mark, limits, historyWarn(deps, wf));
            enforceStateSizeLimit(wf, ctx, limits, historyWarn(deps, wf));
            return wf.state.runId;
          });
          if (r.output) return { runId: r.output, started: false };
        } catch (e) {
          if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(deps, target(namespaceId, req.workflowId ?? ''), e);
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
      const r = await startOne(spec, req.namespace ?? '', { ...policies, conflictPolicy: 'fail' });
      if (r.created) deps.metrics?.started.inc();
      return { runId: r.runId, started: r.created };
    },
  };
}
