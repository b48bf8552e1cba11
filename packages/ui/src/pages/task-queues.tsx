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
  const q = useApi(nsPath(namespace, 'task-queues', taskQueue) + qs({ taskQueueType: type, reportStats: true, reportPollers: true }));
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
