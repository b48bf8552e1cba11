/**
 * The read RPCs of workflow runs: DescribeWorkflowExecution, GetWorkflowExecutionHistory (paged,
 * long-polled, close event only) and its reverse, ListWorkflowExecutions and
 * CountWorkflowExecutions (with GROUP BY ExecutionStatus). Apart from the RPCs that change runs:
 * none of these writes.
 */
import { InvalidArgumentError, parseVisibilityQuery, type RpcCallContext, type RpcHandlerSet } from '@chasm/core';
import { jsonPayload, long } from '@chasm/matching';
import { Enums, type temporal } from '../proto.js';
import { workflowQueryLanguage } from '../query/workflow-query.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { lastEvent, readHistory } from '../workflow/history-writer.js';
import { Workflow } from '../workflow/workflow.js';
import { describeResponse, EXECUTION_STATUS_PROTO, executionInfoFromRecord } from './describe.js';
import { requireExecution, target } from './run-target.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Describe, history, list and count. */
export function readHandlers(deps: WorkflowDeps, searchAttributes: SearchAttributeRegistry): RpcHandlerSet['methods'] {
  const { engine, namespaces, config } = deps;

  return {
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
  };
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
