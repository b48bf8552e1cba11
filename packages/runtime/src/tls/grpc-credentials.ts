import { experimental, ServerCredentials } from '@grpc/grpc-js';
import { loadCertificates } from './load-certificates.js';
import type { TlsConfig } from './tls-config.js';

/**
 * gRPC server credentials. With TLS, grpc-js's own file-watching certificate provider re-reads
 * the files every `refreshIntervalMs` and swaps the secure context of the listening server:
 * new connections get the new certificate, open ones keep theirs (ADR 0025).
 */
export function grpcServerCredentials(tls: TlsConfig | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  loadCertificates(tls, 'grpc');
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.refreshIntervalMs,
  });
  const clientCa =
    tls.clientCaFile !== undefined
      ? new experimental.FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs: tls.refreshIntervalMs })
      : null;
  // grpc-js 1.14 declares the parameters as (ca, identity, …) but passes them on as
  // (identity, ca, …) to the credentials' constructor, which is what runs: identity first.
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, clientCa !== null);
}
