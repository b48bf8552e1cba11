/** Workflows: the visibility query language box, status filters and paging (page tokens). */
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { nsPath, qs, type Json } from '../api';
import { Loaded, Status, useApi } from '../components';
import { time, workflowStatus } from '../format';

const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];
const PAGE_SIZE = 20;

/** The query actually sent: the user's query AND the status filter. */
export function effectiveQuery(query: string, status: string): string {
  const parts = [query.trim() === '' ? '' : `(${query.trim()})`, status === '' ? '' : `ExecutionStatus = '${status}'`].filter((s) => s !== '');
  return parts.join(' AND ');
}

export function WorkflowsPage() {
  const namespace = useParams()['namespace']!;
  const [params, setParams] = useSearchParams();
  const query = params.get('query') ?? '';
  const status = params.get('status') ?? '';
  const [draft, setDraft] = useState(query);
  // Page tokens of the pages before this one, so "previous" works without the server's help.
  const [tokens, setTokens] = useState<string[]>([]);
  const token = tokens[tokens.length - 1];
  const q = useApi(nsPath(namespace, 'workflows') + qs({ query: effectiveQuery(query, status), pageSize: PAGE_SIZE, nextPageToken: token }));

  const update = (next: { query?: string; status?: string }) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v === '') p.delete(k);
      else p.set(k, v);
    }
    setTokens([]);
    setParams(p);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ query: draft });
  };

  return (
    <section>
      <h1>Workflows</h1>
      <form onSubmit={submit} className="query">
        <input
          aria-label="Visibility query"
          placeholder="WorkflowType = 'order' AND StartTime > '2026-01-01T00:00:00Z'"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <div className="filters" role="group" aria-label="Status filter">
        {['', ...STATUSES].map((s) => (
          <button key={s} className={s === status ? 'active' : ''} onClick={() => update({ status: s })}>
            {s === '' ? 'All' : s}
          </button>
        ))}
      </div>
      <Loaded q={q} what="Listing workflows">
        {(data: Json) => (
          <>
            <table data-testid="workflow-list">
              <thead>
                <tr><th>Status</th><th>Workflow ID</th><th>Run ID</th><th>Type</th><th>Start</th><th>Close</th></tr>
              </thead>
              <tbody>
                {(data.executions ?? []).map((w: Json) => (
                  <tr key={w.execution.runId}>
                    <td><Status value={workflowStatus(w.status)} /></td>
                    <td><Link to={`/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(w.execution.workflowId)}/${w.execution.runId}`}>{w.execution.workflowId}</Link></td>
                    <td className="mono">{w.execution.runId}</td>
                    <td>{w.type?.name}</td>
                    <td>{time(w.startTime)}</td>
                    <td>{time(w.closeTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {(data.executions ?? []).length === 0 && <p className="muted">No workflows match.</p>}
            <div className="pager">
              <button disabled={tokens.length === 0} onClick={() => setTokens(tokens.slice(0, -1))}>Previous</button>
              <span>page {tokens.length + 1}</span>
              <button disabled={!data.nextPageToken} onClick={() => setTokens([...tokens, data.nextPageToken])}>Next</button>
            </div>
          </>
        )}
      </Loaded>
    </section>
  );
}
