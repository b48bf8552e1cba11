/** Signal, cancel, terminate and reset a workflow run; each action says what the server answered. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, nsPath, requestId, type Json } from '../api';
import { ErrorBox } from '../components';

export function WorkflowActions({ namespace, workflowId, runId, open }: { namespace: string; workflowId: string; runId: string | undefined; open: boolean }) {
  const client = useQueryClient();
  const [signalName, setSignalName] = useState('');
  const [signalInput, setSignalInput] = useState('');
  const [reason, setReason] = useState('');
  const [resetEventId, setResetEventId] = useState('');
  const [done, setDone] = useState('');
  const execution = { workflowId, ...(runId ? { runId } : {}) };
  const action = useMutation({
    mutationFn: async ({ name, path, body }: { name: string; path: string; body: Json }) => {
      await api(nsPath(namespace, 'workflows', workflowId, ...path.split('/')), { method: 'POST', body });
      return name;
    },
    onSuccess: async (name) => {
      setDone(name);
      await client.invalidateQueries();
    },
  });
  const parsedInput = (): Json => {
    if (signalInput.trim() === '') return undefined;
    try {
      return [JSON.parse(signalInput)];
    } catch {
      return [signalInput];
    }
  };
  return (
    <div className="actions" data-testid="workflow-actions">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.mutate({ name: `signal ${signalName}`, path: `signal/${signalName}`, body: { workflowExecution: execution, identity: 'ui', requestId: requestId(), ...(parsedInput() ? { input: parsedInput() } : {}) } });
        }}
      >
        <input aria-label="Signal name" placeholder="signal name" value={signalName} onChange={(e) => setSignalName(e.target.value)} required />
        <input aria-label="Signal input (JSON)" placeholder='input (JSON), e.g. {"x":1}' value={signalInput} onChange={(e) => setSignalInput(e.target.value)} />
        <button type="submit" disabled={!open}>Signal</button>
      </form>
      <form onSubmit={(e) => e.preventDefault()}>
        <input aria-label="Reason" placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        <button type="button" disabled={!open} onClick={() => action.mutate({ name: 'cancel', path: 'cancel', body: { workflowExecution: execution, identity: 'ui', requestId: requestId(), reason } })}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={!open}
          onClick={() => window.confirm(`Terminate ${workflowId}?`) && action.mutate({ name: 'terminate', path: 'terminate', body: { workflowExecution: execution, identity: 'ui', reason } })}
        >
          Terminate
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.mutate({ name: 'reset', path: 'reset', body: { workflowExecution: execution, identity: 'ui', requestId: requestId(), reason, workflowTaskFinishEventId: resetEventId } });
        }}
      >
        <input aria-label="Reset to event" placeholder="reset to workflow task event id" value={resetEventId} onChange={(e) => setResetEventId(e.target.value)} required />
        <button type="submit">Reset</button>
      </form>
      {action.error && <ErrorBox error={action.error} what="This action" />}
      {done && !action.error && <p className="ok" role="status">Done: {done}</p>}
    </div>
  );
}
