import { restartableDatabaseConfigs } from '@chasm/core/testing';
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

/** The databases the e2e tests run on, each reopenable across a server restart (core's `restartableDatabaseConfigs`). */
export const restartableDatabases = (): ReturnType<typeof restartableDatabaseConfigs> => restartableDatabaseConfigs('nexus');
