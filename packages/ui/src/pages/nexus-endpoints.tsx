/** Nexus endpoints (OperatorService ListNexusEndpoints, over the HTTP API). */
import type { Json } from '../api';
import { Loaded, useApi } from '../components';

export function NexusEndpointsPage() {
  const q = useApi('/api/v1/nexus/endpoints?pageSize=100');
  return (
    <section>
      <h1>Nexus endpoints</h1>
      <Loaded q={q} what="Listing Nexus endpoints">
        {(d: Json) => (
          <table data-testid="nexus-endpoints">
            <thead>
              <tr><th>Name</th><th>ID</th><th>Target</th><th>Description</th></tr>
            </thead>
            <tbody>
              {(d.endpoints ?? []).map((e: Json) => (
                <tr key={e.id}>
                  <td>{e.spec?.name}</td>
                  <td className="mono">{e.id}</td>
                  <td>{e.spec?.target?.worker ? `${e.spec.target.worker.namespace} / ${e.spec.target.worker.taskQueue}` : (e.spec?.target?.external?.url ?? '')}</td>
                  <td>{typeof e.spec?.description === 'string' ? e.spec.description : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
