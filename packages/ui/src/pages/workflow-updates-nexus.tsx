/**
 * A workflow's Workflow Updates and Nexus operations, read from its history (accepted updates
 * and their outcomes; scheduled operations and how they ended) with Describe's pending Nexus
 * operations for those still in flight. Rejected updates never reach the history (Temporal
 * writes nothing for them), so they are not listed.
 */
import type { Json } from '../api';
import { JsonView, Payloads } from '../components';
import { attributesOf, enumName, eventType, time } from '../format';

export function WorkflowUpdates({ events }: { events: Json[] }) {
  const accepted = events.filter((e) => eventType(e.eventType) === 'WorkflowExecutionUpdateAccepted');
  if (accepted.length === 0) return null;
  const completed = new Map<string, Json>();
  for (const e of events) {
    if (eventType(e.eventType) !== 'WorkflowExecutionUpdateCompleted') continue;
    const a = attributesOf(e);
    completed.set(a.meta?.updateId, a);
  }
  return (
    <>
      <h2>Updates</h2>
      <table data-testid="workflow-updates">
        <thead>
          <tr><th>Update ID</th><th>Name</th><th>Accepted</th><th>Input</th><th>Outcome</th></tr>
        </thead>
        <tbody>
          {accepted.map((e) => {
            const a = attributesOf(e);
            const id: string = a.acceptedRequest?.meta?.updateId ?? '';
            const done = completed.get(id);
            return (
              <tr key={id}>
                <td className="mono">{id}</td>
                <td>{a.acceptedRequest?.input?.name}</td>
                <td>{time(e.eventTime)}</td>
                <td><Payloads value={a.acceptedRequest?.input?.args} /></td>
                <td>
                  {!done ? (
                    <span className="muted">in progress</span>
                  ) : done.outcome?.failure ? (
                    <span>failed: {done.outcome.failure.message}</span>
                  ) : (
                    <Payloads value={done.outcome?.success} />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

const NEXUS_ENDINGS: Record<string, string> = {
  NexusOperationCompleted: 'completed',
  NexusOperationFailed: 'failed',
  NexusOperationCanceled: 'canceled',
  NexusOperationTimedOut: 'timed out',
};

export function NexusOperations({ events, pending }: { events: Json[]; pending: Json[] }) {
  const scheduled = events.filter((e) => eventType(e.eventType) === 'NexusOperationScheduled');
  if (scheduled.length === 0 && pending.length === 0) return null;
  // Every later Nexus event names the Scheduled event it belongs to.
  const later = new Map<string, { state: string; token?: string; detail?: Json }>();
  for (const e of events) {
    const type = eventType(e.eventType);
    const a = attributesOf(e);
    if (type === 'NexusOperationStarted') later.set(a.scheduledEventId, { state: 'started', token: a.operationToken ?? a.operationId });
    else if (NEXUS_ENDINGS[type]) later.set(a.scheduledEventId, { ...later.get(a.scheduledEventId), state: NEXUS_ENDINGS[type]!, detail: a.result ?? a.failure });
  }
  return (
    <>
      <h2>Nexus operations</h2>
      <table data-testid="nexus-operations">
        <thead>
          <tr><th>Endpoint</th><th>Service</th><th>Operation</th><th>Scheduled</th><th>State</th><th>Result or failure</th></tr>
        </thead>
        <tbody>
          {scheduled.map((e) => {
            const a = attributesOf(e);
            const now = later.get(e.eventId);
            return (
              <tr key={e.eventId}>
                <td>{a.endpoint}</td>
                <td>{a.service}</td>
                <td>{a.operation}</td>
                <td>{time(e.eventTime)}</td>
                <td>{now?.state ?? 'scheduled'}</td>
                <td>{now?.detail === undefined ? '' : now.detail.payloads || now.detail.data ? <Payloads value={now.detail} /> : <span>{now.detail.message ?? JSON.stringify(now.detail)}</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {pending.length > 0 && (
        <>
          <h3>In flight</h3>
          <table data-testid="pending-nexus-operations">
            <thead>
              <tr><th>Endpoint</th><th>Service</th><th>Operation</th><th>State</th><th>Attempt</th><th>Last failure</th></tr>
            </thead>
            <tbody>
              {pending.map((p, i) => (
                <tr key={p.scheduledEventId ?? i}>
                  <td>{p.endpoint}</td>
                  <td>{p.service}</td>
                  <td>{p.operation}</td>
                  <td>{enumName(p.state, 'PENDING_NEXUS_OPERATION_STATE_')}</td>
                  <td>{p.attempt}</td>
                  <td>{p.lastAttemptFailure ? <JsonView value={p.lastAttemptFailure.message ?? p.lastAttemptFailure} /> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
