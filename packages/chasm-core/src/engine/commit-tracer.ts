/**
 * What a commit span may carry: identity and sizes, never state, payloads or memos. The
 * namespace is its id (names are resolved above the engine).
 */
export interface CommitSpanAttributes {
  readonly namespaceId: string;
  readonly archetype: string;
  readonly businessId: string;
  readonly runId: string;
  /** The execution's transition count after this commit. */
  readonly transitionCount: number;
  /** Whether this commit creates the run. */
  readonly create: boolean;
  readonly nodes: number;
  readonly tasks: number;
}

/**
 * A hook around each execution commit (one store call), for tracing. The engine knows no
 * tracing library: the runtime supplies an OpenTelemetry implementation only when traces are
 * configured, so with tracing off a commit pays one `undefined` check (ADR 0029).
 */
export interface CommitTracer {
  /** Runs `commit` inside a span; the span ends when it settles, as an error if it rejects. */
  traceCommit<T>(attributes: CommitSpanAttributes, commit: () => Promise<T>): Promise<T>;
}
