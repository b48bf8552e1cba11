/** TLS for one listener (gRPC, metrics or HTTP). Files are PEM; all are re-read when they change. */
export interface TlsConfig {
  /** The server's certificate chain. */
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * CA bundle for client certificates. When set, clients must present a certificate it signed
   * (mTLS); a client without one is refused during the handshake.
   */
  readonly clientCaFile?: string;
  /** How often the files are looked at for a new version (certificate rotation). */
  readonly refreshIntervalMs: number;
}

export const DEFAULT_TLS_REFRESH_MS = 60_000;
