/**
 * A package's part in removing a deleted namespace's data (ADR 0036). The runtime's namespace
 * purger deletes the namespace's executions itself (they are core's), then runs every step bound
 * under `TOKENS.NamespacePurgeSteps`, in binding order, until each reports nothing left. So a
 * package that keeps its own rows keyed by namespace (matching's backlogs, a plugin's tables)
 * takes part without the runtime knowing its tables, and without importing the runtime.
 */
export interface NamespacePurgeStep {
  /** Names the step in logs and in the `step` label of the purge metrics. */
  readonly name: string;
  /**
   * Asked by DeleteNamespace before anything changes: throw (a FailedPreconditionError naming
   * why) to refuse the delete, as Temporal refuses to delete a Nexus endpoint's target.
   */
  checkDelete?(namespace: { readonly id: string; readonly name: string }): Promise<void>;
  /**
   * Deletes up to `limit` rows (or entries) of the namespace and returns how many it deleted; 0
   * means none is left. Runs after the namespace's executions are gone, so nothing adds new ones.
   * Must be idempotent: a purge interrupted by a crash calls it again, from the start.
   */
  purge(namespaceId: string, limit: number): Promise<number>;
}
