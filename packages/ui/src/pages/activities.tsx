/** Standalone activities (StartActivityExecution): the list and one activity's description. */
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { nsPath, qs, type Json } from '../api';
import { Field, JsonView, Loaded, Payloads, Status, useApi } from '../components';
import { enumName, time } from '../format';

const activityStatus = (s: unknown) => enumName(s, 'ACTIVITY_EXECUTION_STATUS_') || 'Unspecified';

export function ActivitiesPage() {
  const namespace = useParams()['namespace']!;
  const q = useApi(nsPath(namespace, 'activities') + qs({ pageSize: 100 }));
  return (
    <section>
      <h1>Standalone activities</h1>
      <Loaded q={q} what="Listing standalone activities">
        {(data: Json) => (
          <table data-testid="activity-list">
            <thead>
              <tr><th>Status</th><th>Activity ID</th><th>Type</th><th>Task queue</th><th>Start</th><th>Close</th></tr>
            </thead>
            <tbody>
              {(data.executions ?? []).map((a: Json) => (
                <tr key={a.runId}>
                  <td><Status value={activityStatus(a.status)} /></td>
                  <td><Link to={`/namespaces/${encodeURIComponent(namespace)}/activities/${encodeURIComponent(a.activityId)}${qs({ runId: a.runId })}`}>{a.activityId}</Link></td>
                  <td>{a.activityType?.name}</td>
                  <td>{a.taskQueue}</td>
                  <td>{time(a.scheduleTime ?? a.startTime)}</td>
                  <td>{time(a.closeTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}

export function ActivityDetailPage() {
  const { namespace, activityId } = useParams() as { namespace: string; activityId: string };
  const runId = useSearchParams()[0].get('runId') ?? undefined;
  const q = useApi(nsPath(namespace, 'activities', activityId) + qs({ runId, includeInput: true, includeOutcome: true }));
  return (
    <section>
      <h1>
        Activity <span className="mono">{activityId}</span>
      </h1>
      <Loaded q={q} what="Describing the activity">
        {(d: Json) => (
          <>
            <dl className="summary">
              <Field label="Status"><Status value={activityStatus(d.info?.status)} /></Field>
              <Field label="Run ID"><span className="mono">{d.runId ?? d.info?.runId}</span></Field>
              <Field label="Type">{d.info?.activityType?.name}</Field>
              <Field label="Attempt">{d.info?.attempt}</Field>
              <Field label="CHASM tree"><Link to={`/namespaces/${encodeURIComponent(namespace)}/chasm/${encodeURIComponent(activityId)}${qs({ archetype: 'activity.activity', runId: d.runId ?? d.info?.runId })}`}>inspect</Link></Field>
            </dl>
            <h2>Input</h2>
            <Payloads value={d.input} />
            <h2>Description</h2>
            <JsonView value={d.info} />
          </>
        )}
      </Loaded>
    </section>
  );
}
