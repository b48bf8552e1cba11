import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { expect } from 'vitest';

/** gRPC status codes the tests expect (numeric, as @grpc/grpc-js reports them). */
export const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

export interface GrpcErrorLike {
  readonly code: number;
  readonly details: string;
}

/** Runs `fn`, expects a gRPC error with `code`, and returns it. */
export async function grpcError(fn: () => Promise<unknown>, code: number): Promise<GrpcErrorLike> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a gRPC error').toBeDefined();
  const err = caught as GrpcErrorLike;
  expect({ code: err.code, details: err.details }).toMatchObject({ code });
  return err;
}

/**
 * The databases the e2e tests run on, each reopenable across a server restart: PGlite in a
 * temporary data directory (not in memory, which a restart would lose), and Postgres when
 * TEST_DIALECTS names it (a fresh database, dropped afterwards).
 */
export function restartableDatabases(): { name: string; open(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> }[] {
  return testDatabaseConfigs('nexus').map((d) =>
    d.name === 'pglite'
      ? {
          name: 'pglite',
          async open() {
            const dataDir = await mkdtemp(join(tmpdir(), 'chasm-nexus-'));
            return { config: { kind: 'pglite', dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
          },
        }
      : d,
  );
}
