import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  checkTokenNamespace,
  ErrorCode,
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  NotFoundError,
  parseVisibilityQuery,
  WORKFLOW_SERVICE,
  type MutableContext,
  type RpcCallContext,
  type RpcHandlerSet,
  withFields,
} from '@chasm/core';
import { HistoryWriter, lastEvent, readHistory } from '../workflow/history-writer.js';
import {
  failWorkflowTask,
  requestCancelWorkflow,
  signalWorkflow,
  startWorkflowTask,
  taskQueueProto,
  terminateWorkflow,
  timeoutWorkflowTask,
  type SignalInput,
} from '../workflow/mutable-state.js';
import {
  armSpeculativeStartToClose,
  discardSpeculativeWorkflowTask,
  dispatchSpeculativeWorkflowTask,
  restoreLostSpeculativeTask,
  settleSpeculativeTask,
} from '../workflow/speculative-task.js';
import { BadCommandAbort, checkTaskToken, completeWorkflowTask, prepareCompletion } from '../workflow/complete-workflow-task.js';
import { PENDING_LIMITS } from '../workflow/command-limits.js';
import { childSearchAttributeNamespaces, commandsCarrySearchAttributes, type CompletionSearchAttributes } from '../workflow/command-search-attributes.js';
import { enforceHistoryLimits, historyMark, HistoryLimitExceeded, HISTORY_SERVICE_IDENTITY, RUN_LIMIT_LABEL, type HistoryWarn } from '../workflow/history-limits.js';
import { enforceStateSizeLimit } from '../workflow/state-size-limit.js';
import { limitsFor, type WorkflowConfig } from '../config.js';
import { initRunState, startRun, type RunSpec } from '../workflow/start-run.js';
import { startFirstTaskEagerly, type EagerWorkflowTask } from '../workflow/eager-start.js';
import { completeHandoff, reserveFor, startForReservedPoller, type HandedOffTask, type Handoff } from '../workflow/task-handoff.js';
import { taskPriority } from '../workflow/task-priority.js';
import { type QueryRegistry } from '../workflow/queries.js';
import {
  decodeMatchingPayload,
  decodeTaskToken,
  decodeWorkflowTaskToken,
  encodeMatchingPayload,
  encodeQueryTaskToken,
  workflowTaskNotFound,
  type WorkflowTaskToken,
} from '../workflow/task-token.js';
import { Workflow, type WorkflowComponent } from '../workflow/workflow.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { jsonPayload, long } from '@chasm/matching';
import { api, Enums, type temporal } from '../proto.js';
import { activityOperatorHandlers } from './activity-operator-handlers.js';
import { workflowOptionsHandlers } from './workflow-options-handlers.js';
import { resetWorkflowExecution } from './reset-handler.js';
import { describeResponse, EXECUTION_STATUS_PROTO, executionInfoFromRecord, STATUS_PROTO } from './describe.js';
import { completionHasSearchAttributes, stampCompletion } from '../workflow/search-attributes.js';
import { callbackAdmission, runSpecOf, startPolicies } from './start-request.js';
import { checkBlob, checkHeader, checkId, checkIdentity, checkRequestId, checkSignalName, checkTaskQueueName, memoOverLimit, payloadsOverLimit } from './validate.js';
import { workflowQueryLanguage } from '../query/workflow-query.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';


const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A run addressed by workflow id (and run id, or the current run). */
function target(namespaceId: string, workflowId: string, runId?: string | null) {
  return { type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) };
}

const closed = (): NotFoundError => new NotFoundError('workflow execution already completed');

function requireExecution(e: temporal.api.common.v1.IWorkflowExecution | null | undefined): { workflowId: string; runId: string } {
  const workflowId = e?.workflowId ?? '';
  if (!workflowId) throw new InvalidArgumentError('workflow_execution.workflow_id', 'WorkflowId is not set on request.');
  // No length limit here (a run started under a larger limit stays addressable); a NUL, which no
  // store can look up, is refused rather than failing in the store.
  checkId('workflow_execution.workflow_id', workflowId, Infinity, { name: 'WorkflowId' });
  const runId = checkId('workflow_execution.run_id', e?.runId, Infinity, { name: 'RunId' });
  return { workflowId, runId };
}

function checkChain(wf: WorkflowComponent, firstExecutionRunId: string | null | undefined): void {
  if (firstExecutionRunId && wf.state.firstExecutionRunId !== firstExecutionRunId) {
    throw new NotFoundError('workflow execution not found for the given first execution run id');
  }
}

/** The WorkflowService methods for workflow runs (activity tasks go through the router). */
export function workflowRpcHandlers(deps: WorkflowDeps, queries: QueryRegistry, searchAttributes: SearchAttributeRegistry): RpcHandlerSet {
  const { engine, matching, namespaces, config } = deps;

  /**
   * A task token is honoured only in the namespace it was issued for: one presented with another
   * (or an unknown) namespace changes nothing. As Temporal's namespace validator does, a request
   * that names no namespace takes the token's. Temporal's wording.
   */
  const inNamespace = async <T extends { readonly namespaceId: string }>(namespace: string | null | undefined, token: T): Promise<T> => {
    await checkTokenNamespace(namespaces, namespace, token.namespaceId);
    return token;
  };

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

  async function waitForQueryAnswer(
    namespaceId: string,
    run: { workflowId: string; runId: string; taskQueue: string },
    query: temporal.api.query.v1.IWorkflowQuery,
    call: RpcCallContext,
  ): Promise<temporal.api.workflowservice.v1.IQueryWorkflowResponse> {
    const q = queries.add({ namespaceId, workflowId: run.workflowId, runId: run.runId, query });
    try {
      await matching.addTask({
        namespaceId,
        taskQueue: { name: run.taskQueue, kind: 'normal' },
        type: 'workflow',
        payload: encodeMatchingPayload({ k: 'q', id: q.id }),
      });
      const deadlineMs = Math.min(call.deadline ? call.deadline.getTime() - Date.now() : config.queryTimeoutMs, config.queryTimeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, deadlineMs))));
      const aborted = new Promise<'timeout'>((r) => call.signal.addEventListener('abort', () => r('timeout'), { once: true }));
      const answer = await Promise.race([q.answer, timeout, aborted]);
      clearTimeout(timer);
      if (answer === 'timeout') throw new ChasmError(ErrorCode.DeadlineExceeded, 'query timed out waiting for a worker');
      if (answer.completedType === Enums.QueryResultType.QUERY_RESULT_TYPE_FAILED) {
        throw new ChasmError(ErrorCode.InvalidArgument, answer.errorMessage || 'query failed', {
          statusDetail: { type: 'temporal.api.errordetails.v1.QueryFailedFailure', value: answer.failure ? { failure: answer.failure } : {} },
        });
      }
      return { queryResult: answer.queryResult ?? null };
    } finally {
      q.cancel();
    }
  }

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      ...activityOperatorHandlers(deps),
      ...workflowOptionsHandlers(deps),
      ResetWorkflowExecution: resetWorkflowExecution(deps),

      async StartWorkflowExecution(req: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '', { forNewExecution: true });
        const limits = limitsFor(config, req.namespace ?? '');
        const stamped = await searchAttributes.validate(namespaceId, req.searchAttributes, limits);
        // Without search attributes `validate` hands them back unchanged: no copy of the request.
        const withStamped = stamped === req.searchAttributes ? req : withFields(req, { searchAttributes: stamped ?? null });
        const spec = runSpecOf(namespaceId, withStamped, limits, undefined, callbackAdmission(deps, call));
        warnLargeInput(req.namespace ?? '', req.workflowId ?? '', limits, { input: req.input }, req.memo);
        const eagerFor = req.requestEagerExecution === true ? { identity: spec.started.identity ?? '' } : undefined;
        const handoff = eagerFor ? undefined : await reserveFirstTask(spec);
        let r: Awaited<ReturnType<typeof startOne>> | undefined;
        try {
          r = await startOne(spec, req.namespace ?? '', startPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy), { ...(eagerFor ? { eagerFor } : {}), ...(handoff ? { handoff } : {}) });
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
        warnLargeInput(req.namespace ?? '', req.workflowId ?? '', limits, { input: req.input, signal_input: req.signalInput }, req.memo);
        const policies = startPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy);
        const useExisting = (req.workflowIdConflictPolicy ?? 0) === 0 || policies.conflictPolicy === 'useExisting';
        if (useExisting) {
          try {
            const r = await engine.update(target(namespaceId, req.workflowId ?? ''), (wf, ctx) => {
              if (wf.state.status !== 'running') return undefined;
              const mark = historyMark(wf);
              signalRun(wf, ctx, signal);
              enforceHistoryLimits(wf, mark, limits, historyWarn(wf));
              enforceStateSizeLimit(wf, ctx, limits, historyWarn(wf));
              return wf.state.runId;
            });
            if (r.output) return { runId: r.output, started: false };
          } catch (e) {
            if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(target(namespaceId, req.workflowId ?? ''), e);
            if (!(e instanceof NotFoundError)) throw e;
          }
        }
        const r = await startOne(spec, req.namespace ?? '', { ...policies, conflictPolicy: 'fail' });
        if (r.created) deps.metrics?.started.inc();
        return { runId: r.runId, started: r.created };
      },

      async PollWorkflowTaskQueue(req: temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const name = checkTaskQueueName('task_queue', req.taskQueue?.name, config.maxIdLength);
        const sticky = req.taskQueue?.kind === Enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
        const identity = req.identity ?? '';
        let response: temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse | undefined;
        const task = await matching.poll(
          {
            namespaceId,
            taskQueue: sticky ? { name, kind: 'sticky', normalName: req.taskQueue?.normalName ?? '' } : { name, kind: 'normal' },
            type: 'workflow',
            identity,
            ...(req.workerInstanceKey ? { workerInstanceKey: req.workerInstanceKey } : {}),
            accept: async (t) => {
              const p = decodeMatchingPayload(t.payload);
              if (!p) return 'stale';
              try {
                if (p.k === 'q') {
                  response = await queryTaskResponse(p.id);
                } else {
                  const start = (wf: WorkflowComponent, ctx: MutableContext) => {
                    const w = new HistoryWriter(wf, ctx);
                    const out = startWorkflowTask(w, p.stamp, t.taskQueue.kind, identity, randomUUID(), config);
                    w.commit();
                    return out;
                  };
                  // A speculative task starts without a commit; once settled it starts as any other.
                  const spec = p.sp
                    ? await engine.update(
                        target(namespaceId, p.wf, p.run),
                        (wf, ctx) => (wf.state.wft?.speculative ? { out: start(wf, ctx), timeoutMs: wf.state.wftTimeoutMs } : undefined),
                        { speculative: true },
                      )
                    : undefined;
                  if (spec?.output) {
                    response = spec.output.out;
                    if (response) {
                      armSpeculativeStartToClose(engine, { namespaceId, workflowId: p.wf, runId: p.run, stamp: p.stamp }, spec.output.timeoutMs, (wf, ctx) => {
                        const w = new HistoryWriter(wf, ctx);
                        timeoutWorkflowTask(w, 'startToClose');
                        w.commit();
                      });
                    }
                  } else {
                    response = (await engine.update(target(namespaceId, p.wf, p.run), start)).output;
                  }
                }
              } catch (e) {
                if (e instanceof NotFoundError) return 'stale';
                throw e;
              }
              return response ? 'accepted' : 'stale';
            },
          },
          call.signal,
          call.deadline,
        );
        // A task handed to this poll by a reserver (task-handoff.ts) comes already started.
        const answer = (task?.prepared as temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse | undefined) ?? response;
        if (!task || !answer) return {};
        // withFields: a spread-then-new-field literal is slow on Node 20 (ADR 0041).
        return withFields(answer, { backlogCountHint: long(task.backlogCountHint) });
      },

      async RespondWorkflowTaskCompleted(req: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest) {
        const token = await inNamespace(req.namespace, decodeWorkflowTaskToken(req.taskToken));
        const t = target(token.namespaceId, token.workflowId, token.runId);
        try {
          if (
            (req.commands ?? []).length === 0 &&
            !req.forceCreateNewWorkflowTask &&
            (await engine.read(t, (wf) => wf.state.wft?.speculative === true && wf.state.wft.stamp === token.stamp))
          ) {
            // Rejections only: a speculative task is dropped without a write (ADR 0034).
            const d = await engine.update(t, (wf, ctx) => discardSpeculativeWorkflowTask(wf, ctx, token, req), { speculative: true });
            if (d.output.discarded) {
              deps.metrics?.speculativeTasks.inc({ outcome: 'discarded' });
              deps.metrics?.workflowTasks.inc({ outcome: 'completed' });
              if (d.output.next) void dispatchSpeculativeWorkflowTask(engine, d.output.next);
              return { resetHistoryEventId: long(d.output.resetHistoryEventId) };
            }
          }
          const prepared = await prepareCompletion(token.namespaceId, req.commands ?? []);
          // Search attributes the commands carry are stamped with their types before they are stored.
          const completion = completionHasSearchAttributes(req) ? stampCompletion(req, await searchAttributes.allTypes(token.namespaceId)) : req;
          const saSchemas = await completionSearchAttributes(token.namespaceId, req.commands ?? []);
          const limits = limitsFor(config, req.namespace ?? '');
          const r = await engine.update(t, (wf, ctx) => completeWorkflowTask(wf, ctx, token, completion, limits, prepared, historyWarn(wf), saSchemas));
          if (r.output.error) throw r.output.error;
          deps.metrics?.workflowTasks.inc({ outcome: 'completed' });
          if (r.output.activityTasks) return { activityTasks: r.output.activityTasks };
        } catch (e) {
          if (e instanceof BadCommandAbort) {
            await failTask(token, e.failedCause, { message: e.message, source: 'Server' }, req.identity ?? '', '', e.terminate ? e.message : undefined);
            const pending = PENDING_LIMITS.get(e.failedCause);
            if (pending) deps.metrics?.limits.inc({ limit: pending, level: 'error' });
            throw new ChasmError(ErrorCode.InvalidArgument, e.message);
          }
          if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(t, e);
          throw e;
        }
        return {};
      },

      async RespondWorkflowTaskFailed(req: temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest) {
        const token = await inNamespace(req.namespace, decodeWorkflowTaskToken(req.taskToken));
        await failTask(token, req.cause ?? 0, req.failure, req.identity ?? '', req.binaryChecksum ?? '');
        deps.metrics?.workflowTasks.inc({ outcome: 'failed' });
        return {};
      },

      async RespondQueryTaskCompleted(req: temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest) {
        const token = await inNamespace(req.namespace, decodeTaskToken(req.taskToken));
        if (token.kind !== 'query') throw new InvalidArgumentError('task_token', 'not a query task token');
        const ok = queries.answer(token.queryId, {
          completedType: req.completedType ?? 0,
          queryResult: req.queryResult,
          errorMessage: req.errorMessage ?? '',
          failure: req.failure,
        });
        if (!ok) throw new NotFoundError('query task not found or already expired');
        return {};
      },

      async QueryWorkflow(req: temporal.api.workflowservice.v1.IQueryWorkflowRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.execution);
        if (!req.query?.queryType) throw new InvalidArgumentError('query.query_type', 'QueryType is not set on request.');
        // A query needs a completed workflow task to replay to; wait for the first one. It is also
        // delivered when no workflow task is in flight, so the worker answers it at once instead
        // of parking it behind that task (and it sees every event the task would have).
        const info = await queryableRun(namespaceId, exec.workflowId, exec.runId, call);
        if (!info) throw new ChasmError(ErrorCode.FailedPrecondition, 'Workflow task is not scheduled yet.');
        const cond = req.queryRejectCondition ?? 0;
        const status = STATUS_PROTO[info.status];
        if (
          (cond === Enums.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN && info.status !== 'running') ||
          (cond === Enums.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && info.status !== 'running' && info.status !== 'completed')
        ) {
          return { queryRejected: { status } };
        }
        if (!info.ready) throw new ChasmError(ErrorCode.FailedPrecondition, 'Workflow execution closed before WorkflowTaskStarted event');
        if (info.attempt >= 3) throw new ChasmError(ErrorCode.FailedPrecondition, 'Unable to query workflow due to Workflow Task in failed state.');
        return waitForQueryAnswer(namespaceId, { workflowId: exec.workflowId, runId: info.runId, taskQueue: info.taskQueue }, req.query, call);
      },

      async SignalWorkflowExecution(req: temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.workflowExecution);
        checkId('workflow_execution.workflow_id', exec.workflowId, config.maxIdLength, { name: 'WorkflowId' });
        checkId('workflow_execution.run_id', exec.runId, config.maxIdLength, { name: 'RunId' });
        const signalName = checkSignalName('signal_name', req.signalName, config);
        const requestId = checkRequestId('request_id', req.requestId, config);
        const identity = checkIdentity('identity', req.identity, config);
        const limits = limitsFor(config, req.namespace ?? '');
        checkBlob('input', req.input, limits);
        checkHeader('header', req.header, limits);
        warnLargeInput(req.namespace ?? '', exec.workflowId, limits, { input: req.input });
        const t = target(namespaceId, exec.workflowId, exec.runId);
        try {
          await engine.update(t, (wf, ctx) => {
            if (wf.state.status !== 'running') throw closed();
            const mark = historyMark(wf);
            signalRun(wf, ctx, { signalName, input: req.input, header: req.header, identity, requestId });
            enforceHistoryLimits(wf, mark, limits, historyWarn(wf));
            enforceStateSizeLimit(wf, ctx, limits, historyWarn(wf));
          });
        } catch (e) {
          if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(t, e);
          throw e;
        }
        return {};
      },

      async RequestCancelWorkflowExecution(req: temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.workflowExecution);
        await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf, ctx) => {
          checkChain(wf, req.firstExecutionRunId);
          // Idempotent: a second request, or one against a closed run, succeeds and does nothing.
          const w = new HistoryWriter(wf, ctx);
          requestCancelWorkflow(w, req.reason ?? '', req.identity ?? '');
          w.commit();
        });
        return {};
      },

      async TerminateWorkflowExecution(req: temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.workflowExecution);
        await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf, ctx) => {
          checkChain(wf, req.firstExecutionRunId);
          if (wf.state.status !== 'running') throw closed();
          const w = new HistoryWriter(wf, ctx);
          terminateWorkflow(w, req.reason ?? '', req.details, req.identity ?? '');
          w.commit();
        });
        return {};
      },

      async DeleteWorkflowExecution(req: temporal.api.workflowservice.v1.IDeleteWorkflowExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.workflowExecution);
        await engine.delete(target(namespaceId, exec.workflowId, exec.runId), 'Delete workflow execution');
        return {};
      },

      async ResetStickyTaskQueue(req: temporal.api.workflowservice.v1.IResetStickyTaskQueueRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.execution);
        await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf) => {
          wf.state.sticky = null;
        });
        return {};
      },

      async DescribeWorkflowExecution(req: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.execution);
        return engine.read(target(namespaceId, exec.workflowId, exec.runId), (wf) => describeResponse(wf));
      },

      async GetWorkflowExecutionHistory(req: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.execution);
        const token = parsePageToken(req.nextPageToken);
        if (token && exec.runId && token.runId !== exec.runId) {
          throw new InvalidArgumentError('next_page_token', 'next_page_token does not belong to this run');
        }
        const runId = token?.runId ?? exec.runId;
        const t = target(namespaceId, exec.workflowId, runId);
        const pageSize = req.maximumPageSize || config.historyPageSize;
        const wait = req.waitNewEvent === true;
        const closeOnly = req.historyEventFilterType === Enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
        const deadline = new Date(Math.min(call.deadline?.getTime() ?? Infinity, Date.now() + config.historyLongPollMs + 1000));
        if (closeOnly) {
          const r = await engine.poll(
            t,
            (wf) => {
              if (wf.state.status === 'running') return wait ? undefined : { events: [], runId: wf.state.runId };
              const last = lastEvent(wf);
              return { events: last ? [last] : [], runId: wf.state.runId };
            },
            { deadline, signal: call.signal },
          );
          if (r.value) return { history: { events: r.value.events }, nextPageToken: EMPTY };
          return { history: { events: [] }, nextPageToken: pageToken(r.ref.runId, 1) };
        }
        const from = token?.next ?? 1;
        const r = await engine.poll(
          t,
          (wf) => {
            const s = wf.state;
            if (wait && s.status === 'running' && s.nextEventId <= from) return undefined;
            const events = readHistory(wf, from, from + pageSize - 1);
            const next = from + events.length;
            const more = next < s.nextEventId || (wait && s.status === 'running');
            return { events, next: more ? pageToken(s.runId, next) : EMPTY };
          },
          { deadline, signal: call.signal },
        );
        if (r.value) return { history: { events: r.value.events }, nextPageToken: r.value.next };
        return { history: { events: [] }, nextPageToken: pageToken(r.ref.runId, from) };
      },

      async GetWorkflowExecutionHistoryReverse(req: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const exec = requireExecution(req.execution);
        const token = parsePageToken(req.nextPageToken);
        const pageSize = req.maximumPageSize || config.historyPageSize;
        return engine.read(target(namespaceId, exec.workflowId, token?.runId ?? exec.runId), (wf) => {
          const s = wf.state;
          const upTo = token?.next ?? s.nextEventId - 1;
          const low = Math.max(1, upTo - pageSize + 1);
          const events = readHistory(wf, low, upTo).reverse();
          return { history: { events }, nextPageToken: low > 1 ? pageToken(s.runId, low - 1) : EMPTY };
        });
      },

      async ListWorkflowExecutions(req: temporal.api.workflowservice.v1.IListWorkflowExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const parsed = parseVisibilityQuery(req.query, workflowQueryLanguage(await searchAttributes.types(namespaceId)));
        const page = await engine.list(Workflow, {
          namespaceId,
          ...(parsed.filter ? { filter: parsed.filter } : {}),
          ...(parsed.orderBy.length ? { orderBy: parsed.orderBy } : {}),
          pageSize: req.pageSize || 100,
          ...(req.nextPageToken?.length ? { pageToken: dec.decode(req.nextPageToken) } : {}),
        });
        const types = await searchAttributes.allTypes(namespaceId);
        return {
          executions: page.records.map((r) => executionInfoFromRecord(r, types)),
          nextPageToken: page.nextPageToken ? enc.encode(page.nextPageToken) : EMPTY,
        };
      },

      async CountWorkflowExecutions(req: temporal.api.workflowservice.v1.ICountWorkflowExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const parsed = parseVisibilityQuery(req.query, workflowQueryLanguage(await searchAttributes.types(namespaceId)));
        if (parsed.groupBy) {
          const groups = [];
          let total = 0;
          for (const [status, code] of Object.entries(EXECUTION_STATUS_PROTO)) {
            const clause = { kind: 'compare' as const, field: 'Status', op: '=' as const, value: status };
            const filter = parsed.filter ? { kind: 'and' as const, clauses: [parsed.filter, clause] } : clause;
            const count = await engine.count(Workflow, { namespaceId, filter });
            if (count === 0) continue;
            total += count;
            groups.push({ count: long(count), groupValues: [jsonPayload(statusName(code))] });
          }
          return { count: long(total), groups };
        }
        const count = await engine.count(Workflow, { namespaceId, ...(parsed.filter ? { filter: parsed.filter } : {}) });
        return { count: long(count), groups: [] };
      },
    },
  };

  type QueryableRun = { status: WorkflowComponent['state']['status']; runId: string; taskQueue: string; ready: boolean; attempt: number };
  async function queryableRun(namespaceId: string, workflowId: string, runId: string, call: RpcCallContext): Promise<QueryableRun | undefined> {
    const describe = (wf: WorkflowComponent): QueryableRun => {
      const s = wf.state;
      return { status: s.status, runId: s.runId, taskQueue: s.taskQueue, ready: s.lastCompletedStartedEventId > 0, attempt: s.wftAttempt };
    };
    const t = target(namespaceId, workflowId, runId);
    const callDeadline = call.deadline?.getTime() ?? Date.now() + config.queryTimeoutMs;
    const idle = await engine.poll(
      t,
      (wf) => (wf.state.status !== 'running' || (wf.state.lastCompletedStartedEventId > 0 && wf.state.wft === null) ? describe(wf) : undefined),
      { deadline: new Date(Math.min(callDeadline, Date.now() + config.queryIdleWaitMs)), signal: call.signal },
    );
    if (idle.value) return idle.value;
    // A task is still in flight (or keeps failing): query anyway once one task has completed.
    const ready = await engine.poll(t, (wf) => (wf.state.status !== 'running' || wf.state.lastCompletedStartedEventId > 0 ? describe(wf) : undefined), {
      deadline: new Date(callDeadline),
      signal: call.signal,
    });
    return ready.value;
  }

  /**
   * The registered search attributes the completion's commands are checked against (none read
   * when no command carries any): the run's namespace, and those other namespaces child starts name.
   */
  async function completionSearchAttributes(namespaceId: string, commands: readonly temporal.api.command.v1.ICommand[]): Promise<CompletionSearchAttributes | undefined> {
    if (!commandsCarrySearchAttributes(commands)) return undefined;
    const out = new Map([['', await searchAttributes.settable(namespaceId)]]);
    for (const name of childSearchAttributeNamespaces(commands)) {
      const id = await namespaces.idOf(name).catch(() => undefined);
      if (id !== undefined) out.set(name, await searchAttributes.settable(id));
    }
    return out;
  }

  /** Fails the task; with `terminateReason`, then terminates the run (a command Temporal treats as terminal). */
  async function failTask(
    token: WorkflowTaskToken,
    cause: number,
    failure: temporal.api.failure.v1.IFailure | null | undefined,
    identity: string,
    checksum = '',
    terminateReason?: string,
  ) {
    await engine.update(target(token.namespaceId, token.workflowId, token.runId), (wf, ctx) => {
      // A speculative task lost with a rolled-back completion: put back, then settled and failed.
      if (restoreLostSpeculativeTask(wf, token, identity, ctx.now.getTime())) settleSpeculativeTask(wf, ctx);
      checkTaskToken(wf, token);
      const w = new HistoryWriter(wf, ctx);
      failWorkflowTask(w, cause, failure, identity, checksum);
      if (terminateReason !== undefined) terminateWorkflow(w, terminateReason, null, HISTORY_SERVICE_IDENTITY);
      w.commit();
    });
    if (terminateReason !== undefined) deps.logger?.warn({ workflowId: token.workflowId, runId: token.runId, cause }, 'workflow terminated: a command exceeded a size limit');
  }

  /**
   * Payloads and memos accepted but above limit.blobSize.warn / limit.memoSize.warn: a warn line
   * (ids and sizes only) and a metric, as Temporal's CheckEventBlobSizeLimit.
   */
  function warnLargeInput(
    namespace: string,
    workflowId: string,
    limits: WorkflowConfig,
    blobs: Readonly<Record<string, temporal.api.common.v1.IPayloads | null | undefined>>,
    memo?: temporal.api.common.v1.IMemo | null,
  ): void {
    for (const [field, p] of Object.entries(blobs)) {
      if (!payloadsOverLimit(p, limits.blobSizeWarnBytes)) continue;
      deps.metrics?.limits.inc({ limit: 'blob_size', level: 'warn' });
      deps.logger?.warn({ namespace, workflowId, field, warnLimit: limits.blobSizeWarnBytes }, 'blob size exceeds warn limit');
    }
    if (memoOverLimit(memo, limits.memoSizeWarnBytes)) {
      deps.metrics?.limits.inc({ limit: 'memo_size', level: 'warn' });
      deps.logger?.warn({ namespace, workflowId, field: 'memo', warnLimit: limits.memoSizeWarnBytes }, 'memo size exceeds warn limit');
    }
  }

  /** Logs (ids and numbers only) and counts a run whose history passed a warn limit. */
  function historyWarn(wf: WorkflowComponent): HistoryWarn {
    return (limit, value) => {
      deps.metrics?.limits.inc({ limit: RUN_LIMIT_LABEL[limit], level: 'warn' });
      deps.logger?.warn({ workflowId: wf.state.workflowId, runId: wf.state.runId, limit, value }, `${RUN_LIMIT_LABEL[limit]} exceeds warn limit`);
    };
  }

  /**
   * The change that took the run past a history error limit was rolled back; the run is
   * terminated instead (Temporal's forceTerminateWorkflow) and the caller told why.
   */
  async function terminateOverLimit(t: ReturnType<typeof target>, e: HistoryLimitExceeded): Promise<Error> {
    const r = await engine.update(t, (wf, ctx) => {
      const w = new HistoryWriter(wf, ctx);
      terminateWorkflow(w, e.reason, null, HISTORY_SERVICE_IDENTITY);
      w.commit();
      return { workflowId: wf.state.workflowId, runId: wf.state.runId, events: wf.state.nextEventId - 1, bytes: wf.state.historySizeBytes, stateBytes: ctx.stateBytes };
    });
    deps.metrics?.limits.inc({ limit: RUN_LIMIT_LABEL[e.limit], level: 'error' });
    deps.logger?.warn(r.output, `${RUN_LIMIT_LABEL[e.limit]} exceeds error limit; workflow terminated`);
    return new ChasmError(ErrorCode.InvalidArgument, e.reason);
  }

  async function queryTaskResponse(queryId: string): Promise<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse | undefined> {
    const q = queries.get(queryId);
    if (!q) return undefined;
    return engine.read(target(q.namespaceId, q.workflowId, q.runId), (wf) => {
      const s = wf.state;
      return {
        taskToken: encodeQueryTaskToken({ namespaceId: q.namespaceId, queryId }),
        workflowExecution: { workflowId: s.workflowId, runId: s.runId },
        workflowType: { name: s.workflowType },
        previousStartedEventId: long(s.lastCompletedStartedEventId),
        startedEventId: long(0),
        attempt: 1,
        history: { events: readHistory(wf, 1) },
        query: q.query,
        workflowExecutionTaskQueue: taskQueueProto(s.taskQueue, 'normal', s.taskQueue),
      };
    });
  }
}

/** Appends a signal (deduplicated by request id) and schedules a workflow task. */
function signalRun(wf: WorkflowComponent, ctx: Parameters<typeof startRun>[1], sig: SignalInput): void {
  const w = new HistoryWriter(wf, ctx);
  signalWorkflow(w, sig);
  w.commit();
}

interface PageToken {
  readonly runId: string;
  readonly next: number;
}

function pageToken(runId: string, next: number): Uint8Array {
  return enc.encode(JSON.stringify({ r: runId, n: next }));
}

function parsePageToken(b: Uint8Array | null | undefined): PageToken | undefined {
  if (!b || b.length === 0) return undefined;
  try {
    const o = JSON.parse(dec.decode(b)) as { r?: unknown; n?: unknown };
    if (typeof o.r === 'string' && typeof o.n === 'number') return { runId: o.r, next: o.n };
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('next_page_token', 'next_page_token is malformed');
}

function statusName(code: number): string {
  const name = Enums.WorkflowExecutionStatus[code] ?? '';
  const short = name.replace('WORKFLOW_EXECUTION_STATUS_', '');
  return short
    .toLowerCase()
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

export { api, workflowTaskNotFound };
