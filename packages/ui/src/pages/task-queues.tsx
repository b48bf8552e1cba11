/** A task queue: pollers and backlog, for workflow and activity tasks; and the namespace's workers. */
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { nsPath, qs, type Json } from '../api';
import { JsonView, Loaded, useApi } from '../components';
import { time } from '../format';

export function TaskQueuePage() {
  const { namespace, taskQueue } = useParams() as { namespace: string; taskQueue?: string };
  const navigate = useNavigate();
  const [draft, setDraft] = useState(taskQueue ?? '');
  return (
    <section>
      <h1>Task queues</h1>
      <form
        className="query"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/namespaces/${encodeURIComponent(namespace)}/task-queues/${encodeURIComponent(draft)}`);
        }}
      >
        <input aria-label="Task queue" placeholder="task queue name" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Describe</button>
      </form>
      {taskQueue && (
        <div className="io">
          <QueueType namespace={namespace} taskQueue={taskQueue} type="TASK_QUEUE_TYPE_WORKFLOW" title="Workflow tasks" />
          <QueueType namespace={namespace} taskQueue={taskQueue} type="TASK_QUEUE_TYPE_ACTIVITY" title="Activity tasks" />
        </div>
      )}
      <Workers namespace={namespace} />
    </section>
  );
}

function QueueType({ namespace, taskQueue, type, title }: { namespace: string; taskQueue: string; type: string; title: string }) {
  const q = useApi(nsPath(namespace, 'task-queues', taskQueue) + qs({ taskQueueType: type, reportStats: true, reportPollers: true, reportConfig: true }));
  return (
    <div>
      <h2>{title}</h2>
      <Loaded q={q} what="Describing the task queue">
        {(d: Json) => {
          const stats = d.stats ?? d.versionsInfo?.['']?.typesInfo?.[type]?.stats;
          return (
            <>
              <p>
                Backlog: <strong data-testid="backlog">{stats?.approximateBacklogCount ?? '0'}</strong>
                {stats?.approximateBacklogAge ? `, oldest ${stats.approximateBacklogAge}` : ''}
              </p>
              <table>
                <thead>
                  <tr><th>Poller identity</th><th>Last access</th><th>Rate/s</th></tr>
                </thead>
                <tbody>
                  {(d.pollers ?? []).map((p: Json) => (
                    <tr key={p.identity}>
                      <td>{p.identity}</td>
                      <td>{time(p.lastAccessTime)}</td>
                      <td>{p.ratePerSecond ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {(d.pollers ?? []).length === 0 && <p className="muted">No pollers.</p>}
              <ByPriority stats={d.statsByPriorityKey ?? {}} />
              <Fairness config={d.config} />
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

function Workers({ namespace }: { namespace: string }) {
  const q = useApi(nsPath(namespace, 'workers') + qs({ pageSize: 100 }));
  return (
    <>
      <h2>Workers</h2>
      <Loaded q={q} what="Listing workers">
        {(d: Json) => ((d.workersInfo ?? []).length === 0 ? <p className="muted">No worker heartbeats.</p> : <JsonView value={d.workersInfo} />)}
      </Loaded>
    </>
  );
}

const rate = (v: unknown): string => (typeof v === 'number' ? v.toFixed(2) : '');

/** The backlog per priority key (1 is served first; tasks without one count as the default key). */
function ByPriority({ stats }: { stats: Record<string, Json> }) {
  const keys = Object.keys(stats).sort((a, b) => Number(a) - Number(b));
  if (keys.length === 0) return null;
  return (
    <>
      <h3>Backlog by priority key</h3>
      <table data-testid="backlog-by-priority">
        <thead>
          <tr><th>Priority key</th><th>Backlog</th><th>Oldest</th><th>Add rate/s</th><th>Dispatch rate/s</th></tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{stats[k].approximateBacklogCount ?? '0'}</td>
              <td>{stats[k].approximateBacklogAge ?? ''}</td>
              <td>{rate(stats[k].tasksAddRate)}</td>
              <td>{rate(stats[k].tasksDispatchRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The queue's rate limits and fairness settings (UpdateTaskQueueConfig), when any are set. */
function Fairness({ config }: { config: Json }) {
  if (!config) return null;
  const weights: Record<string, number> = config.fairnessWeightOverrides ?? {};
  const queueLimit = config.queueRateLimit?.rateLimit?.requestsPerSecond;
  const keyLimit = config.fairnessKeysRateLimitDefault?.rateLimit?.requestsPerSecond;
  if (Object.keys(weights).length === 0 && queueLimit === undefined && keyLimit === undefined) return null;
  return (
    <>
      <h3>Rate limits and fairness</h3>
      <p>
        Queue: {queueLimit === undefined ? 'no limit' : `${queueLimit}/s`}; per fairness key: {keyLimit === undefined ? 'no limit' : `${keyLimit}/s`}
      </p>
      {Object.keys(weights).length > 0 && (
        <table data-testid="fairness-weights">
          <thead>
            <tr><th>Fairness key</th><th>Weight</th></tr>
          </thead>
          <tbody>
            {Object.entries(weights).map(([k, w]) => (
              <tr key={k}><td>{k}</td><td>{w}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
