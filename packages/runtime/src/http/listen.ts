import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from '../ports/port-in-use-error.js';

type Server = HttpServer | HttpsServer;

/**
 * Listens on host:port and returns the bound port (useful with 0); `what` names the server in
 * errors. A taken port is a PortInUseError, unless `orFreePort`: then a free port is taken
 * instead (the dev server's ports that were not asked for, ADR 0029).
 */
export async function listen(server: Server, host: string, port: number, what: string, orFreePort = false): Promise<number> {
  try {
    await listenOnce(server, host, port, what);
  } catch (e) {
    if (!(e instanceof PortInUseError) || !orFreePort || port === 0) throw e;
    await listenOnce(server, host, 0, what);
  }
  return (server.address() as AddressInfo).port;
}

function listenOnce(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void =>
      reject(e.code === 'EADDRINUSE' ? new PortInUseError(what, host, port, { cause: e }) : new Error(`${what}: cannot listen on ${host}:${port}: ${e.message}`, { cause: e }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

/** Closes a server and every connection it holds (keep-alive ones included). */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
