/**
 * The worker's side of workflow tasks: PollWorkflowTaskQueue (starting the task in the accept hook,
 * speculative tasks, query tasks, tasks handed over at commit) and RespondWorkflowTaskCompleted /
 * Failed / RespondQueryTaskCompleted. Apart from the other workflow RPCs because this is the
 * per-task hot path, with helpers (failing a task, query task responses) nothing else uses.
 */
import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  checkTokenNamespace,
  ErrorCode,
  InvalidArgumentError,
  NotFoundError,
  type MutableContext,
  type RpcCallContext,
  withFields,
  type RpcHandlerSet,
} from '@chasm/core';
import { long } from '@chasm/matching';
import { limitsFor } from '../config.js';
import { Enums, type temporal } from '../proto.js';
import { PENDING_LIMITS } from '../workflow/command-limits.js';
import { childSearchAttributeNamespaces, commandsCarrySearchAttributes, type CompletionSearchAttributes } from '../workflow/command-search-attributes.js';
import { BadCommandAbort, checkCompletionToken, checkTaskToken, completeWorkflowTask, prepareCompletion } from '../workflow/complete-workflow-task.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { HistoryLimitExceeded, HISTORY_SERVICE_IDENTITY } from '../workflow/history-limits.js';
import { HistoryWriter, readHistory } from '../workflow/history-writer.js';
import { restoreLostLazyStart, startLazily } from '../workflow/lazy-start.js';
import { failWorkflowTask, startWorkflowTask, taskQueueProto, terminateWorkflow } from '../workflow/mutable-state.js';
import type { QueryRegistry } from '../workflow/queries.js';
import { completionHasSearchAttributes, stampCompletion } from '../workflow/search-attributes.js';
import {
  armSpeculativeStartToClose,
  discardSpeculativeWorkflowTask,
  dispatchSpeculativeWorkflowTask,
  restoreLostSpeculativeTask,
  settleSpeculativeTask,
  timeOutStartedTask,
} from '../workflow/speculative-task.js';
import { decodeMatchingPayload, decodeTaskToken, decodeWorkflowTaskToken, encodeQueryTaskToken, type WorkflowTaskToken } from '../workflow/task-token.js';
import type { WorkflowComponent } from '../workflow/workflow.js';
import { historyWarn, terminateOverLimit } from './limit-warnings.js';
import { target } from './run-target.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';
import { checkTaskQueueName } from './validate.js';

/** PollWorkflowTaskQueue and the responses to workflow and query tasks. */
export function workflowTaskHandlers(deps: WorkflowDeps, queries: QueryRegistry, searchAttributes: SearchAttributeRegistry): RpcHandlerSet['methods'] {
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
      else restoreLostLazyStart(wf, ctx, token, identity);
      checkTaskToken(wf, token);
      const w = new HistoryWriter(wf, ctx);
      failWorkflowTask(w, cause, failure, identity, checksum);
      if (terminateReason !== undefined) terminateWorkflow(w, terminateReason, null, HISTORY_SERVICE_IDENTITY);
      w.commit();
    });
    if (terminateReason !== undefined) deps.logger?.warn({ workflowId: token.workflowId, runId: token.runId, cause }, 'workflow terminated: a command exceeded a size limit');
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

  return {
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
                    armSpeculativeStartToClose(engine, { namespaceId, workflowId: p.wf, runId: p.run, stamp: p.stamp }, spec.output.timeoutMs, timeOutStartedTask);
                  }
                } else {
                  // A stored task starts in memory, written with its completion (ADRs 0063, 0064).
                  const polled = t.taskQueue.kind;
                  const lazy =
                    (polled === 'sticky' ? config.lazyStickyStart : config.lazyNormalStart)
                      ? await engine.update(target(namespaceId, p.wf, p.run), (wf, ctx) => startLazily(wf, ctx, p.stamp, polled, identity, randomUUID(), config), {
                          speculative: true,
                        })
                      : undefined;
                  if (lazy?.output) {
                    response = lazy.output;
                    deps.metrics?.lazyStarts.inc({ queue: polled });
                  } else {
                    response = (await engine.update(target(namespaceId, p.wf, p.run), start)).output;
                  }
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
        const r = await engine.update(t, (wf, ctx) => completeWorkflowTask(wf, ctx, token, completion, limits, prepared, historyWarn(deps, wf), saSchemas), {
          precondition: (wf) => checkCompletionToken(wf, token),
        });
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
        if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(deps, t, e, (wf, ctx) => restoreLostLazyStart(wf, ctx, token, req.identity ?? ''));
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
  };
}
