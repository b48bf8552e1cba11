/**
 * The UI's only way to the server: Temporal's HTTP API (and the CHASM inspector endpoint) on
 * the same origin. Errors keep grpc-gateway's body (`{code, message}`) and the HTTP status, so
 * a page can say "not served by this server" for UNIMPLEMENTED instead of failing.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The gRPC status code from the body (12 = UNIMPLEMENTED, 5 = NOT_FOUND), if any. */
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unimplemented(): boolean {
    return this.status === 501 || this.code === 12;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function api<T = Json>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(path, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: Json = undefined;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = { message: text };
  }
  if (!res.ok) {
    const code = typeof body?.code === 'number' ? body.code : undefined;
    throw new ApiError(res.status, code, typeof body?.message === 'string' ? body.message : `HTTP ${res.status}`);
  }
  return body as T;
}

/** `/api/v1/namespaces/{ns}` + the rest, each segment escaped. */
export function nsPath(namespace: string, ...rest: string[]): string {
  return ['/api/v1/namespaces', namespace, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s === '' ? '' : `?${s}`;
}

/** A request id for mutating calls, so a double click is one action. */
export function requestId(): string {
  return crypto.randomUUID();
}
