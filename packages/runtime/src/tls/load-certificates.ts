import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsConfig } from './tls-config.js';

/**
 * Reads the files once, now, and checks that they make a usable context (the key matches the
 * certificate, the PEM parses), so a bad path or pair fails start-up with a message naming the
 * listener and the file, instead of every handshake failing later.
 */
export function loadCertificates(tls: TlsConfig, what: string): SecureContextOptions {
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${what}.tls.${field}: cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
  };
  const options: SecureContextOptions = {
    cert: read(tls.certFile, 'certFile'),
    key: read(tls.keyFile, 'keyFile'),
    ...(tls.clientCaFile !== undefined ? { ca: read(tls.clientCaFile, 'clientCaFile') } : {}),
  };
  try {
    createSecureContext(options);
  } catch (e) {
    throw new Error(`${what}.tls: the certificate, key or CA files are not usable: ${(e as Error).message}`, { cause: e });
  }
  return options;
}
