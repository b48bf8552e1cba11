/** Standalone Nexus operations (StartNexusOperationExecution): the list and one operation's page. */
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api, nsPath, qs, requestId, type Json } from '../api';
import { Field, JsonView, Loaded, Payloads, Status, useApi } from '../components';
import { enumName, time } from '../format';

const operationStatus = (s: unknown) => enumName(s, 'NEXUS_OPERATION_EXECUTION_STATUS_') || 'Unspecified';

export function NexusOperationsPage() {
  const namespace = useParams()['namespace']!;
  const q = useApi(nsPath(namespace, 'nexus-operations') + qs({ pageSize: 100 }));
  return (
    <section>
      <h1>Nexus operations</h1>
      <Loaded q={q} what="Listing Nexus operations">
        {(data: Json) => (
          <table data-testid="nexus-operation-list">
            <thead>
              <tr><th>Status</th><th>Operation ID</th><th>Endpoint</th><th>Service</th><th>Operation</th><th>Scheduled</th><th>Closed</th></tr>
            </thead>
            <tbody>
              {(data.operations ?? []).map((o: Json) => (
                <tr key={o.runId}>
                  <td><Status value={operationStatus(o.status)} /></td>
                  <td><Link to={`/namespaces/${encodeURIComponent(namespace)}/nexus-operations/${encodeURIComponent(o.operationId)}${qs({ runId: o.runId })}`}>{o.operationId}</Link></td>
                  <td>{o.endpoint}</td>
                  <td>{o.service}</td>
                  <td>{o.operation}</td>
                  <td>{time(o.scheduleTime)}</td>
                  <td>{time(o.closeTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}

export function NexusOperationDetailPage() {
  const { namespace, operationId } = useParams() as { namespace: string; operationId: string };
  const runId = useSearchParams()[0].get('runId') ?? undefined;
  const q = useApi(nsPath(namespace, 'nexus-operations', operationId) + qs({ runId, includeInput: true, includeOutcome: true }));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const terminate = async () => {
    setError(undefined);
    try {
      await api(nsPath(namespace, 'nexus-operations', operationId, 'terminate'), { method: 'POST', body: { runId, reason, requestId: requestId(), identity: 'web-ui' } });
      await q.refetch();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section>
      <h1>
        Nexus operation <span className="mono">{operationId}</span>
      </h1>
      <Loaded q={q} what="Describing the Nexus operation">
        {(d: Json) => {
          const info = d.info ?? {};
          const status = operationStatus(info.status);
          return (
            <>
              <dl className="summary" data-testid="nexus-operation-summary">
                <Field label="Status"><Status value={status} /></Field>
                <Field label="State">{enumName(info.state, 'PENDING_NEXUS_OPERATION_STATE_')}</Field>
                <Field label="Run ID"><span className="mono">{d.runId ?? info.runId}</span></Field>
                <Field label="Endpoint">{info.endpoint}</Field>
                <Field label="Service / operation">{info.service} / {info.operation}</Field>
                <Field label="Attempt">{info.attempt}</Field>
                <Field label="Scheduled">{time(info.scheduleTime)}</Field>
                <Field label="Closed">{time(info.closeTime)}</Field>
                <Field label="Last failure">{info.lastAttemptFailure?.message ?? ''}</Field>
                <Field label="CHASM tree"><Link to={`/namespaces/${encodeURIComponent(namespace)}/chasm/${encodeURIComponent(operationId)}${qs({ runId: d.runId ?? info.runId })}`}>inspect</Link></Field>
              </dl>
              {status === 'Running' && (
                <div className="actions">
                  <input aria-label="Reason" placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
                  <button onClick={() => void terminate()}>Terminate operation</button>
                  {error && <p className="error">{error}</p>}
                </div>
              )}
              <h2>Input</h2>
              <Payloads value={d.input} />
              {(d.result || d.failure) && (
                <>
                  <h2>{d.result ? 'Result' : 'Failure'}</h2>
                  {d.result ? <Payloads value={d.result} testId="nexus-operation-result" /> : <JsonView value={d.failure} testId="nexus-operation-result" />}
                </>
              )}
              <h2>Description</h2>
              <JsonView value={info} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
