import { InvalidArgumentError, parseVisibilityQuery, WORKFLOW_SERVICE, type RpcHandlerSet } from '@chasm/core';
import { optionalTimestampToMs } from '@chasm/matching';
import { Enums, type temporal } from '../proto.js';
import { workflowQueryLanguage } from '../query/workflow-query.js';
import { Workflow } from '../workflow/workflow.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { executionInfoFromRecord } from './describe.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const S = Enums.WorkflowExecutionStatus;
const OPEN = "(ExecutionStatus = 'Running' OR ExecutionStatus = 'Paused')";

/** 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT' → 'TimedOut', the ExecutionStatus value queries use. */
function statusValue(code: number): string {
  const name = (S[code] ?? '').replace('WORKFLOW_EXECUTION_STATUS_', '');
  return name
    .toLowerCase()
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

interface LegacyFilters {
  readonly startTimeFilter?: temporal.api.filter.v1.IStartTimeFilter | null;
  readonly executionFilter?: temporal.api.filter.v1.IWorkflowExecutionFilter | null;
  readonly typeFilter?: temporal.api.filter.v1.IWorkflowTypeFilter | null;
  readonly statusFilter?: temporal.api.filter.v1.IStatusFilter | null;
}

/**
 * The query Temporal's visibility manager builds for the pre-query-language list APIs: open runs
 * by StartTime, closed runs by CloseTime, and at most one of the execution, type or status filters.
 */
function legacyQuery(open: boolean, f: LegacyFilters): string {
  // A paused run is open (Temporal's WORKFLOW_EXECUTION_STATUS_PAUSED): listed with the open ones.
  const clauses: string[] = [open ? OPEN : `NOT ${OPEN}`];
  const timeField = open ? 'StartTime' : 'CloseTime';
  const earliest = optionalTimestampToMs(f.startTimeFilter?.earliestTime, 'start_time_filter.earliest_time');
  const latest = optionalTimestampToMs(f.startTimeFilter?.latestTime, 'start_time_filter.latest_time');
  if (earliest !== undefined && latest !== undefined && earliest > latest) {
    throw new InvalidArgumentError('start_time_filter', 'EarliestTime in StartTimeFilter should not be larger than LatestTime');
  }
  if (earliest) clauses.push(`${timeField} >= ${quote(new Date(earliest).toISOString())}`);
  if (latest) clauses.push(`${timeField} <= ${quote(new Date(latest).toISOString())}`);
  const chosen = [f.executionFilter, f.typeFilter, f.statusFilter].filter((x) => x).length;
  if (chosen > 1) throw new InvalidArgumentError('filters', 'Only one of ExecutionFilter, TypeFilter or StatusFilter is allowed.');
  if (f.executionFilter) {
    if (!f.executionFilter.workflowId) throw new InvalidArgumentError('execution_filter.workflow_id', 'WorkflowId is not set on request.');
    clauses.push(`WorkflowId = ${quote(f.executionFilter.workflowId)}`);
    if (f.executionFilter.runId) clauses.push(`RunId = ${quote(f.executionFilter.runId)}`);
  }
  if (f.typeFilter) {
    if (!f.typeFilter.name) throw new InvalidArgumentError('type_filter.name', 'WorkflowType is not set on request.');
    clauses.push(`WorkflowType = ${quote(f.typeFilter.name)}`);
  }
  if (f.statusFilter) {
    const code = f.statusFilter.status ?? 0;
    if (!code || code === S.WORKFLOW_EXECUTION_STATUS_RUNNING || code === S.WORKFLOW_EXECUTION_STATUS_PAUSED || !S[code]) {
      throw new InvalidArgumentError('status_filter.status', 'status_filter.status must be a closed status.');
    }
    clauses.push(`ExecutionStatus = ${quote(statusValue(code))}`);
  }
  return clauses.join(' AND ');
}

/**
 * ListOpenWorkflowExecutions, ListClosedWorkflowExecutions and ScanWorkflowExecutions: the list
 * APIs that predate the query language, answered by the same visibility query as
 * ListWorkflowExecutions (Temporal's frontend translates them the same way). Scan is List in any
 * order (Temporal: not sorted), so it is List here.
 */
export function legacyVisibilityRpcHandlers(deps: WorkflowDeps, searchAttributes: SearchAttributeRegistry): RpcHandlerSet {
  const { engine, namespaces } = deps;
  async function list(namespace: string, query: string, pageSize: number | null | undefined, token: Uint8Array | null | undefined) {
    if ((pageSize ?? 0) < 0) throw new InvalidArgumentError('maximum_page_size', 'page size must not be negative');
    const namespaceId = await namespaces.idOf(namespace);
    const parsed = parseVisibilityQuery(query, workflowQueryLanguage(await searchAttributes.types(namespaceId)));
    const page = await engine.list(Workflow, {
      namespaceId,
      ...(parsed.filter ? { filter: parsed.filter } : {}),
      ...(parsed.orderBy.length ? { orderBy: parsed.orderBy } : {}),
      pageSize: pageSize || 100,
      ...(token?.length ? { pageToken: dec.decode(token) } : {}),
    });
    const types = await searchAttributes.allTypes(namespaceId);
    return {
      executions: page.records.map((r) => executionInfoFromRecord(r, types)),
      nextPageToken: page.nextPageToken ? enc.encode(page.nextPageToken) : new Uint8Array(0),
    };
  }
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      ListOpenWorkflowExecutions: (req: temporal.api.workflowservice.v1.IListOpenWorkflowExecutionsRequest) =>
        list(req.namespace ?? '', legacyQuery(true, req), req.maximumPageSize, req.nextPageToken),
      ListClosedWorkflowExecutions: (req: temporal.api.workflowservice.v1.IListClosedWorkflowExecutionsRequest) =>
        list(req.namespace ?? '', legacyQuery(false, req), req.maximumPageSize, req.nextPageToken),
      ScanWorkflowExecutions: (req: temporal.api.workflowservice.v1.IScanWorkflowExecutionsRequest) => list(req.namespace ?? '', req.query ?? '', req.pageSize, req.nextPageToken),
      async GetSearchAttributes() {
        // Temporal answers the cluster's attributes: system ones and, with SQL visibility, the
        // default namespace's custom ones. There is no namespace in the request; answer the system ones
        // and the custom ones of every namespace the registry knows through 'default'.
        const keys: Record<string, number> = { ...searchAttributes.system() };
        try {
          Object.assign(keys, await searchAttributes.custom(await namespaces.idOf('default')));
        } catch {
          // no 'default' namespace: system attributes only
        }
        return { keys };
      },
    },
  };
}
