/** Schedules: the list, and one schedule with its recent and upcoming actions, pause/unpause, trigger and backfill. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, nsPath, qs, requestId, type Json } from '../api';
import { ErrorBox, Field, JsonView, Loaded, useApi } from '../components';
import { time } from '../format';

export function SchedulesPage() {
  const namespace = useParams()['namespace']!;
  const q = useApi(nsPath(namespace, 'schedules') + qs({ maximumPageSize: 100 }));
  return (
    <section>
      <h1>Schedules</h1>
      <Loaded q={q} what="Listing schedules">
        {(data: Json) => (
          <table data-testid="schedule-list">
            <thead>
              <tr><th>Schedule ID</th><th>Workflow type</th><th>State</th><th>Next run</th><th>Notes</th></tr>
            </thead>
            <tbody>
              {(data.schedules ?? []).map((s: Json) => (
                <tr key={s.scheduleId}>
                  <td><Link to={`/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(s.scheduleId)}`}>{s.scheduleId}</Link></td>
                  <td>{s.info?.workflowType?.name}</td>
                  <td>{s.info?.paused ? 'Paused' : 'Active'}</td>
                  <td>{time(s.info?.futureActionTimes?.[0])}</td>
                  <td>{s.info?.notes ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}

export function ScheduleDetailPage() {
  const { namespace, scheduleId } = useParams() as { namespace: string; scheduleId: string };
  const client = useQueryClient();
  const q = useApi(nsPath(namespace, 'schedules', scheduleId));
  const [note, setNote] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const patch = useMutation({
    mutationFn: (p: Json) => api(nsPath(namespace, 'schedules', scheduleId, 'patch'), { method: 'POST', body: { patch: p, identity: 'ui', requestId: requestId() } }),
    onSuccess: () => client.invalidateQueries(),
  });
  return (
    <section>
      <h1>
        Schedule <span className="mono">{scheduleId}</span>
      </h1>
      <Loaded q={q} what="Describing the schedule">
        {(d: Json) => {
          const paused = d.schedule?.state?.paused === true;
          return (
            <>
              <dl className="summary" data-testid="schedule-summary">
                <Field label="State"><span data-testid="schedule-state">{paused ? 'Paused' : 'Active'}</span></Field>
                <Field label="Notes">{d.schedule?.state?.notes ?? ''}</Field>
                <Field label="Workflow type">{d.schedule?.action?.startWorkflow?.workflowType?.name}</Field>
                <Field label="Actions taken">{d.info?.actionCount ?? 0}</Field>
                <Field label="Created">{time(d.info?.createTime)}</Field>
                <Field label="CHASM tree"><Link to={`/namespaces/${encodeURIComponent(namespace)}/chasm/${encodeURIComponent(scheduleId)}${qs({ archetype: 'scheduler.scheduler' })}`}>inspect</Link></Field>
              </dl>
              <div className="actions">
                <form onSubmit={(e) => e.preventDefault()}>
                  <input aria-label="Note" placeholder="note" value={note} onChange={(e) => setNote(e.target.value)} />
                  {paused ? (
                    <button type="button" onClick={() => patch.mutate({ unpause: note || 'unpaused from the UI' })}>Unpause</button>
                  ) : (
                    <button type="button" onClick={() => patch.mutate({ pause: note || 'paused from the UI' })}>Pause</button>
                  )}
                  <button type="button" onClick={() => patch.mutate({ triggerImmediately: {} })}>Trigger now</button>
                </form>
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    patch.mutate({ backfillRequest: [{ startTime: new Date(from).toISOString(), endTime: new Date(to).toISOString() }] });
                  }}
                >
                  <input aria-label="Backfill from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
                  <input aria-label="Backfill to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
                  <button type="submit">Backfill</button>
                </form>
                {patch.error && <ErrorBox error={patch.error} what="This action" />}
              </div>
              <div className="io">
                <div>
                  <h2>Recent actions</h2>
                  <ul data-testid="recent-actions">
                    {(d.info?.recentActions ?? []).map((a: Json, i: number) => (
                      <li key={i}>
                        {time(a.scheduleTime)} →{' '}
                        {a.startWorkflowResult ? (
                          <Link to={`/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(a.startWorkflowResult.workflowId)}/${a.startWorkflowResult.runId}`}>{a.startWorkflowResult.workflowId}</Link>
                        ) : (
                          'started'
                        )}
                      </li>
                    ))}
                  </ul>
                </div>
                <div>
                  <h2>Upcoming actions</h2>
                  <ul data-testid="upcoming-actions">
                    {(d.info?.futureActionTimes ?? []).map((t: string) => (
                      <li key={t}>{time(t)}</li>
                    ))}
                  </ul>
                </div>
              </div>
              <h2>Spec and action</h2>
              <JsonView value={{ spec: d.schedule?.spec, action: d.schedule?.action, policies: d.schedule?.policies }} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
