/** A component's lifecycle. Running and paused are open; completed and failed are closed. */
export const Lifecycle = {
  Running: 'running',
  Paused: 'paused',
  Completed: 'completed',
  Failed: 'failed',
} as const;
export type Lifecycle = (typeof Lifecycle)[keyof typeof Lifecycle];

export const isClosed = (l: Lifecycle): boolean => l === 'completed' || l === 'failed';
