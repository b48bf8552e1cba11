import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { experimental } from '@grpc/grpc-js';
import { loadCertificates } from './load-certificates.js';
import type { TlsConfig } from './tls-config.js';

export type Listener = HttpServer | HttpsServer;

/**
 * An HTTP server, or an HTTPS one when `tls` is given. The certificate files are re-read every
 * `refreshIntervalMs` (grpc-js's file watcher, the same one the gRPC port uses) and swapped in
 * with `setSecureContext`, so new connections see a rotated certificate.
 */
export function createListener(handler: RequestListener, tls: TlsConfig | undefined, what: string): Listener {
  if (!tls) return createHttpServer(handler);
  const initial = loadCertificates(tls, what);
  const server = createHttpsServer({ ...initial, ...(tls.clientCaFile !== undefined ? { requestCert: true, rejectUnauthorized: true } : {}) }, handler);
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    ...(tls.clientCaFile !== undefined ? { caCertificateFile: tls.clientCaFile } : {}),
    refreshIntervalMs: tls.refreshIntervalMs,
  });
  let current = { ...initial };
  const swap = (next: typeof current): void => {
    try {
      server.setSecureContext(next);
      current = next;
    } catch {
      // A half-written file (cert rotated, key not yet): keep serving the last good context.
    }
  };
  const onIdentity: experimental.IdentityCertificateUpdateListener = (u) => {
    if (u) swap({ ...current, cert: u.certificate, key: u.privateKey });
  };
  const onCa: experimental.CaCertificateUpdateListener = (u) => {
    if (u) swap({ ...current, ca: u.caCertificate });
  };
  provider.addIdentityCertificateListener(onIdentity);
  if (tls.clientCaFile !== undefined) provider.addCaCertificateListener(onCa);
  server.once('close', () => {
    provider.removeIdentityCertificateListener(onIdentity);
    provider.removeCaCertificateListener(onCa);
  });
  return server;
}
