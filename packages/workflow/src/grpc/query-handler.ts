/**
 * QueryWorkflow: waits until the run can answer (a completed workflow task, none in flight), hands
 * the query to a worker as a query task and waits for its answer (RespondQueryTaskCompleted, in
 * workflow-task-handlers.ts). Apart from the other workflow RPCs because of its own waits.
 */
import { ChasmError, ErrorCode, InvalidArgumentError, type RpcCallContext, type RpcHandlerSet } from '@chasm/core';
import { Enums, type temporal } from '../proto.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import type { QueryRegistry } from '../workflow/queries.js';
import { encodeMatchingPayload } from '../workflow/task-token.js';
import type { WorkflowComponent } from '../workflow/workflow.js';
import { STATUS_PROTO } from './describe.js';
import { requireExecution, target } from './run-target.js';

/** QueryWorkflow. */
export function queryHandler(deps: WorkflowDeps, queries: QueryRegistry): RpcHandlerSet['methods'] {
  const { engine, matching, namespaces, config } = deps;

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

  return {
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
  };
}
