/**
 * A listener's port is taken by another process. A start-up error for humans: the CLI prints
 * its message in one line and exits 1, with no stack.
 */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    /** Which listener: 'gRPC', 'http', 'metrics', 'ui'. */
    readonly listener: string,
    readonly host: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`${listener} port ${port} on ${host} is already in use (another server running?): stop it or choose another port`, options);
  }
}
