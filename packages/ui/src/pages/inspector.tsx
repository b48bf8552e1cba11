/**
 * ★ The CHASM tree inspector: any execution's component tree as the server persisted it. It
 * knows no component type: everything it shows (types, state, lifecycle, tasks) comes from the
 * inspector endpoint, which decodes each node with the codec its package registered.
 */
import { useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { nsPath, qs, type Json } from '../api';
import { JsonView, Loaded, useApi } from '../components';
import { relative, time } from '../format';

export interface InspectedTask {
  readonly taskId: string;
  readonly kind: string;
  readonly type: string;
  readonly fireAt: string | null;
  readonly createdTransition: number;
  readonly payload: Json;
}

export interface InspectedNode {
  readonly name: string;
  readonly path: string;
  readonly kind: 'component' | 'data' | 'map' | 'pointer';
  readonly type: string;
  readonly lifecycle?: string;
  readonly schemaVersion?: number;
  readonly state?: Json;
  readonly error?: string;
  readonly initialTransition: number;
  readonly lastTransition: number;
  readonly tasks: readonly InspectedTask[];
  readonly children: readonly InspectedNode[];
}

export function InspectorPage() {
  const { namespace, businessId } = useParams() as { namespace: string; businessId?: string };
  const [params] = useSearchParams();
  const archetype = params.get('archetype') ?? '';
  const runId = params.get('runId') ?? '';
  const navigate = useNavigate();
  const [draft, setDraft] = useState({ businessId: businessId ?? '', archetype, runId });
  const components = useApi('/api/v1/chasm/components', false);
  const q = useApi(businessId ? nsPath(namespace, 'chasm', 'executions', businessId) + qs({ archetype, runId }) : undefined);
  return (
    <section>
      <h1>CHASM inspector</h1>
      <form
        className="query"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/namespaces/${encodeURIComponent(namespace)}/chasm/${encodeURIComponent(draft.businessId)}${qs({ archetype: draft.archetype, runId: draft.runId })}`);
        }}
      >
        <input aria-label="Business ID" placeholder="business id (workflow, activity, schedule or operation id)" value={draft.businessId} onChange={(e) => setDraft({ ...draft, businessId: e.target.value })} required />
        <select aria-label="Archetype" value={draft.archetype} onChange={(e) => setDraft({ ...draft, archetype: e.target.value })}>
          <option value="">any archetype</option>
          {(components.data?.libraries ?? []).flatMap((l: Json) =>
            l.components.map((c: Json) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            )),
          )}
        </select>
        <input aria-label="Run ID" placeholder="run id (current if empty)" value={draft.runId} onChange={(e) => setDraft({ ...draft, runId: e.target.value })} />
        <button type="submit">Inspect</button>
      </form>
      {businessId && (
        <Loaded q={q} what="The inspector">
          {(d: Json) => (
            <div data-testid="chasm-tree">
              <dl className="summary">
                <dt>Archetype</dt>
                <dd className="mono" data-testid="archetype">{d.archetype}</dd>
                <dt>Run ID</dt>
                <dd className="mono">{d.runId}</dd>
                <dt>Status</dt>
                <dd>{d.execution.status}</dd>
                <dt>Transitions</dt>
                <dd>{d.execution.transitionCount}</dd>
                <dt>Started</dt>
                <dd>{time(d.execution.startTime)}</dd>
                <dt>Closed</dt>
                <dd>{time(d.execution.closeTime)}</dd>
                <dt>Shard</dt>
                <dd>{d.execution.shardId}</dd>
              </dl>
              {(d.executionTasks ?? []).length > 0 && (
                <>
                  <h2>Engine tasks</h2>
                  <Tasks tasks={d.executionTasks} />
                </>
              )}
              <h2>Component tree</h2>
              <NodeView node={d.root} depth={0} />
            </div>
          )}
        </Loaded>
      )}
      {!businessId && (
        <Loaded q={components} what="The component registry">
          {(d: Json) => (
            <>
              <h2>Registered components</h2>
              <table data-testid="component-registry">
                <thead>
                  <tr><th>Library</th><th>Components</th><th>Tasks</th></tr>
                </thead>
                <tbody>
                  {d.libraries.map((l: Json) => (
                    <tr key={l.name}>
                      <td>{l.name}</td>
                      <td>{l.components.map((c: Json) => `${c.name} (v${c.schemaVersion})`).join(', ')}</td>
                      <td>{l.tasks.map((t: Json) => `${t.name} (${t.kind})`).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Loaded>
      )}
    </section>
  );
}

function NodeView({ node, depth }: { node: InspectedNode; depth: number }) {
  const [open, setOpen] = useState(depth < 3);
  const [showState, setShowState] = useState(depth === 0);
  return (
    <div className={`node kind-${node.kind}`} data-testid="chasm-node" data-path={node.path} data-type={node.type}>
      <div className="node-head" onClick={() => setOpen(!open)}>
        <span className="twisty">{node.children.length > 0 ? (open ? '▾' : '▸') : '·'}</span>
        <span className="node-name">{node.path === '' ? '(root)' : node.name}</span>
        <span className="badge">{node.kind}</span>
        {node.type && <span className="mono node-type">{node.type}</span>}
        {node.lifecycle && <span className={`badge lifecycle-${node.lifecycle}`}>{node.lifecycle}</span>}
        <span className="muted">
          created at transition {node.initialTransition}, last changed at {node.lastTransition}
        </span>
        {node.tasks.length > 0 && <span className="badge tasks">{node.tasks.length} pending task{node.tasks.length > 1 ? 's' : ''}</span>}
      </div>
      {open && (
        <div className="node-body">
          {node.error && <div className="error">{node.error}</div>}
          {node.state !== undefined && (
            <div>
              <button className="link" onClick={() => setShowState(!showState)}>
                {showState ? 'hide state' : 'show state'}
              </button>
              {showState && <JsonView value={node.state} />}
            </div>
          )}
          {node.tasks.length > 0 && <Tasks tasks={node.tasks} />}
          {node.children.map((c) => (
            <NodeView key={c.path} node={c} depth={depth + 1} />
          ))}
        </div>
      )}
    </div>
  );
}

function Tasks({ tasks }: { tasks: readonly InspectedTask[] }) {
  return (
    <table className="tasks" data-testid="chasm-tasks">
      <thead>
        <tr><th>Task</th><th>Kind</th><th>Deadline</th><th>Created at</th><th>Payload</th></tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.taskId} data-testid="chasm-task" data-kind={t.kind} data-type={t.type}>
            <td className="mono">{t.type || t.kind}</td>
            <td>{t.kind === 'pure' ? 'pure' : t.kind === 'sideEffect' ? 'side effect' : t.kind}</td>
            <td title={t.fireAt ?? ''}>{t.fireAt ? `${time(t.fireAt)} (${relative(t.fireAt)})` : 'immediate'}</td>
            <td>transition {t.createdTransition}</td>
            <td><span className="mono ellipsis">{JSON.stringify(t.payload)}</span></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
