/** Small shared pieces: error and loading states, JSON and payload views, status badges. */
import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError, api, type Json } from './api';
import { payloadList, payloadText } from './format';

/** How often open views refresh themselves (live refresh). */
export const REFRESH_MS = 2000;

/** A GET against the API, refreshed while the view is open. */
export function useApi<T = Json>(path: string | undefined, refresh = true): UseQueryResult<T, Error> {
  return useQuery<T, Error>({
    queryKey: [path],
    queryFn: () => api<T>(path!),
    enabled: path !== undefined,
    refetchInterval: refresh ? REFRESH_MS : false,
    retry: (n, e) => !(e instanceof ApiError) && n < 2,
  });
}

export function ErrorBox({ error, what }: { error: Error; what?: string }) {
  if (error instanceof ApiError && error.unimplemented) {
    return (
      <div className="notice" data-testid="unimplemented">
        <strong>Not served by this server.</strong> {what ?? 'This page'} needs an RPC that none of the installed packages serves
        (UNIMPLEMENTED): {error.message}
      </div>
    );
  }
  if (error instanceof ApiError && error.status === 404) {
    return (
      <div className="notice" data-testid="not-found">
        <strong>Not found.</strong> {error.message}
      </div>
    );
  }
  return (
    <div className="error" role="alert">
      <strong>Error{error instanceof ApiError ? ` ${error.status}` : ''}:</strong> {error.message}
    </div>
  );
}

/** Renders a query's states: loading, error (with the unimplemented case), or the data. */
export function Loaded<T>({ q, what, children }: { q: UseQueryResult<T, Error>; what?: string; children: (data: T) => ReactNode }) {
  if (q.error && q.data === undefined) return <ErrorBox error={q.error} {...(what ? { what } : {})} />;
  if (q.data === undefined) return <p className="muted">Loading…</p>;
  return <>{children(q.data)}</>;
}

export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json" {...(testId ? { 'data-testid': testId } : {})}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Payloads({ value, testId }: { value: Json; testId?: string }) {
  const list = payloadList(value);
  if (list.length === 0) return <span className="muted">none</span>;
  return (
    <pre className="json" {...(testId ? { 'data-testid': testId } : {})}>
      {list.map((p) => payloadText(p)).join('\n')}
    </pre>
  );
}

export function Status({ value }: { value: string }) {
  return <span className={`badge status-${value.toLowerCase()}`}>{value}</span>;
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}
