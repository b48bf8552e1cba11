import { Link } from 'react-router-dom';
import { Loaded, useApi } from '../components';
import { enumName } from '../format';
import type { Json } from '../api';

export function NamespacesPage() {
  const q = useApi('/api/v1/namespaces?pageSize=100');
  return (
    <section>
      <h1>Namespaces</h1>
      <Loaded q={q} what="Namespaces">
        {(data: Json) => (
          <table>
            <thead>
              <tr><th>Name</th><th>State</th><th>Retention</th><th>Description</th></tr>
            </thead>
            <tbody>
              {(data.namespaces ?? []).map((n: Json) => (
                <tr key={n.namespaceInfo?.name}>
                  <td><Link to={`/namespaces/${encodeURIComponent(n.namespaceInfo?.name)}/workflows`}>{n.namespaceInfo?.name}</Link></td>
                  <td>{enumName(n.namespaceInfo?.state, 'NAMESPACE_STATE_')}</td>
                  <td>{n.config?.workflowExecutionRetentionTtl ?? ''}</td>
                  <td>{n.namespaceInfo?.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
