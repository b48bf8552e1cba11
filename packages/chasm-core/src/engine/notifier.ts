/**
 * Wakes long polls after an execution commits. Notifications are per execution and coalesce,
 * which is why poll predicates must be monotonic.
 */
export class Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Registers a one-shot waiter; call the returned function to unsubscribe. */
  subscribe(key: string, wake: () => void): () => void {
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
    };
  }

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }
}
