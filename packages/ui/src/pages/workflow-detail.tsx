/** A workflow run: summary, input and result, actions, pending work, children, updates, Nexus operations and history. */
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { nsPath, qs, type Json } from '../api';
import { Field, JsonView, Loaded, Payloads, Status, useApi } from '../components';
import { attributesOf, enumName, eventType, time, workflowStatus } from '../format';
import { HistoryTimeline } from './history-timeline';
import { WorkflowActions } from './workflow-actions';
import { NexusOperations, WorkflowUpdates } from './workflow-updates-nexus';

export function WorkflowDetailPage() {
  const { namespace, workflowId, runId } = useParams() as { namespace: string; workflowId: string; runId?: string };
  const run = runId ? { 'execution.runId': runId } : {};
  const describe = useApi(nsPath(namespace, 'workflows', workflowId) + qs(run));
  const history = useApi(nsPath(namespace, 'workflows', workflowId, 'history') + qs({ ...run, maximumPageSize: 1000 }));
  const [view, setView] = useState<'list' | 'timeline'>('list');
  return (
    <section>
      <h1>
        Workflow <span className="mono">{workflowId}</span>
      </h1>
      <Loaded q={describe} what="Describing the workflow">
        {(d: Json) => {
          const info = d.workflowExecutionInfo ?? {};
          const status = workflowStatus(info.status);
          const inspector = `/namespaces/${encodeURIComponent(namespace)}/chasm/${encodeURIComponent(workflowId)}${qs({ archetype: 'workflow.workflow', runId: info.execution?.runId })}`;
          return (
            <>
              <dl className="summary" data-testid="workflow-summary">
                <Field label="Status"><Status value={status} /></Field>
                <Field label="Run ID"><span className="mono">{info.execution?.runId}</span></Field>
                <Field label="Type">{info.type?.name}</Field>
                <Field label="Task queue"><Link to={`/namespaces/${encodeURIComponent(namespace)}/task-queues/${encodeURIComponent(info.taskQueue ?? '')}`}>{info.taskQueue}</Link></Field>
                <Field label="Start">{time(info.startTime)}</Field>
                <Field label="Close">{time(info.closeTime)}</Field>
                <Field label="History length">{info.historyLength}</Field>
                <Field label="Parent">{info.parentExecution ? <Link to={`/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(info.parentExecution.workflowId)}/${info.parentExecution.runId}`}>{info.parentExecution.workflowId}</Link> : '—'}</Field>
                <Field label="CHASM tree"><Link to={inspector}>inspect</Link></Field>
              </dl>
              <WorkflowActions namespace={namespace} workflowId={workflowId} runId={info.execution?.runId} open={status === 'Running' || status === 'Paused'} />
              <PendingActivities list={d.pendingActivities ?? []} />
              <Children namespace={namespace} pending={d.pendingChildren ?? []} events={history.data?.history?.events ?? []} />
              <WorkflowUpdates events={history.data?.history?.events ?? []} />
              <NexusOperations events={history.data?.history?.events ?? []} pending={d.pendingNexusOperations ?? []} />
            </>
          );
        }}
      </Loaded>
      <Loaded q={history} what="Reading the history">
        {(h: Json) => {
          const events: Json[] = h.history?.events ?? [];
          return (
            <>
              <InputAndResult events={events} />
              <h2>
                History{' '}
                <span className="tabs">
                  <button className={view === 'list' ? 'active' : ''} onClick={() => setView('list')}>List</button>
                  <button className={view === 'timeline' ? 'active' : ''} onClick={() => setView('timeline')}>Timeline</button>
                </span>
              </h2>
              {view === 'list' ? <HistoryList events={events} /> : <HistoryTimeline events={events} />}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function InputAndResult({ events }: { events: Json[] }) {
  const started = events.find((e) => eventType(e.eventType) === 'WorkflowExecutionStarted');
  const closing = events.find((e) =>
    ['WorkflowExecutionCompleted', 'WorkflowExecutionFailed', 'WorkflowExecutionTerminated', 'WorkflowExecutionCanceled', 'WorkflowExecutionTimedOut', 'WorkflowExecutionContinuedAsNew'].includes(eventType(e.eventType)),
  );
  const closingAttrs = closing ? attributesOf(closing) : undefined;
  return (
    <div className="io">
      <div>
        <h2>Input</h2>
        <Payloads value={started ? attributesOf(started).input : undefined} testId="workflow-input" />
      </div>
      <div>
        <h2>{closing ? eventType(closing.eventType).replace('WorkflowExecution', '') : 'Result'}</h2>
        {!closing ? (
          <span className="muted">still running</span>
        ) : closingAttrs.result !== undefined ? (
          <Payloads value={closingAttrs.result} testId="workflow-result" />
        ) : (
          <JsonView value={closingAttrs} testId="workflow-result" />
        )}
      </div>
    </div>
  );
}

function HistoryList({ events }: { events: Json[] }) {
  const [open, setOpen] = useState<string | undefined>();
  return (
    <table data-testid="history-list" className="history">
      <thead>
        <tr><th>ID</th><th>Time</th><th>Type</th><th>Details</th></tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.eventId} onClick={() => setOpen(open === e.eventId ? undefined : e.eventId)}>
            <td>{e.eventId}</td>
            <td>{time(e.eventTime)}</td>
            <td>{eventType(e.eventType)}</td>
            <td>{open === e.eventId ? <JsonView value={attributesOf(e)} /> : <span className="muted ellipsis">{JSON.stringify(attributesOf(e)).slice(0, 120)}</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PendingActivities({ list }: { list: Json[] }) {
  if (list.length === 0) return null;
  return (
    <>
      <h2>Pending activities</h2>
      <table data-testid="pending-activities">
        <thead>
          <tr><th>Activity ID</th><th>Type</th><th>State</th><th>Attempt</th><th>Scheduled</th><th>Last failure</th></tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.activityId}>
              <td>{a.activityId}</td>
              <td>{a.activityType?.name}</td>
              <td>{enumName(a.state, 'PENDING_ACTIVITY_STATE_')}</td>
              <td>{a.attempt}</td>
              <td>{time(a.scheduledTime)}</td>
              <td>{a.lastFailure?.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Children({ namespace, pending, events }: { namespace: string; pending: Json[]; events: Json[] }) {
  // Pending children come from describe; finished ones from the history's child events.
  const started = events.filter((e) => eventType(e.eventType) === 'ChildWorkflowExecutionStarted').map((e) => attributesOf(e));
  if (pending.length === 0 && started.length === 0) return null;
  return (
    <>
      <h2>Children</h2>
      <ul data-testid="children">
        {started.map((c: Json) => (
          <li key={c.workflowExecution?.runId}>
            <Link to={`/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(c.workflowExecution?.workflowId)}/${c.workflowExecution?.runId}`}>{c.workflowExecution?.workflowId}</Link> ({c.workflowType?.name})
            {pending.some((p) => p.runId === c.workflowExecution?.runId) ? ' — running' : ''}
          </li>
        ))}
      </ul>
    </>
  );
}
