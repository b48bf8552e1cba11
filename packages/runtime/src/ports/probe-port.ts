import { createServer } from 'node:net';
import { PortInUseError } from './port-in-use-error.js';

/**
 * Fails with PortInUseError if host:port cannot be bound now. Run before the database opens,
 * so a taken port is reported at once rather than after PGlite's start-up, and before grpc-js
 * binds, which logs its own cryptic line on stderr for a taken port. The real bind still
 * reports a port taken in between.
 */
export async function probePort(listener: string, host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? reject(new PortInUseError(listener, host, port, { cause: e })) : resolve()));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
