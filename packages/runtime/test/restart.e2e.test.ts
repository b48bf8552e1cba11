import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { createPostgresDatabase, openDatabase, type DatabaseConfig } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../src/testing/index.js';
import { seconds } from './helpers.js';

interface PersistentDatabase {
  readonly name: string;
  /** A database config that two servers started one after the other both see. */
  create(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }>;
}

const POSTGRES_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** TEST_DIALECTS (default pglite): PGlite in a temp data directory, or a fresh Postgres database. */
function persistentDatabases(): PersistentDatabase[] {
  const names = (process.env['TEST_DIALECTS'] ?? 'pglite').split(',').map((s) => s.trim()).filter(Boolean);
  return names.map((name) => {
    if (name === 'pglite') {
      return {
        name,
        async create() {
          const dataDir = await mkdtemp(join(tmpdir(), 'chasm-server-'));
          return { config: { kind: 'pglite', dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
        },
      };
    }
    if (name === 'postgres') {
      return {
        name,
        async create() {
          const dbName = `chasm_server_test_${randomBytes(6).toString('hex')}`;
          const url = await createPostgresDatabase(POSTGRES_URL, dbName);
          return {
            config: { kind: 'postgres', url },
            drop: () => dropPostgresDatabase(POSTGRES_URL, dbName),
          };
        },
      };
    }
    throw new Error(`TEST_DIALECTS: unknown dialect '${name}'`);
  });
}

/** Drops a test database through the public Database API (the server package does not use pg directly). */
async function dropPostgresDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = await openDatabase({ kind: 'postgres', url: adminUrl, poolSize: 1 });
  try {
    const sql = `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;
    // The shape of kysely's CompiledQuery.raw(sql).
    await admin.db.executeQuery({ sql, parameters: [], query: { kind: 'RawNode', sqlFragments: [sql], parameters: [] }, queryId: { queryId: name } });
  } finally {
    await admin.close();
  }
}

describe.each(persistentDatabases())('restart on $name', (db) => {
  it('keeps namespaces and the cluster identity across a restart', async () => {
    const { config, drop } = await db.create();
    try {
      let clusterId: string;
      let namespaceId: string | undefined;
      {
        await using server = await startTestServer({ database: config });
        const connection = await Connection.connect({ address: server.address });
        try {
          await connection.workflowService.registerNamespace({
            namespace: 'durable',
            description: 'survives restarts',
            workflowExecutionRetentionPeriod: seconds(172800),
          });
          namespaceId = (await connection.workflowService.describeNamespace({ namespace: 'durable' })).namespaceInfo?.id ?? undefined;
          clusterId = (await connection.workflowService.getClusterInfo({})).clusterId;
        } finally {
          await connection.close();
        }
      }
      {
        await using server = await startTestServer({ database: config });
        const connection = await Connection.connect({ address: server.address });
        try {
          const d = await connection.workflowService.describeNamespace({ namespace: 'durable' });
          expect(d.namespaceInfo).toMatchObject({ name: 'durable', description: 'survives restarts', id: namespaceId });
          expect(Number(d.config?.workflowExecutionRetentionTtl?.seconds)).toBe(172800);
          const info = await connection.workflowService.getClusterInfo({});
          expect(info.clusterId).toBe(clusterId);
          expect(info.persistenceStore).toBe(config.kind);
          // `default` was seeded once, not twice.
          const list = await connection.workflowService.listNamespaces({});
          expect(list.namespaces.filter((n) => n.namespaceInfo?.name === 'default')).toHaveLength(1);
        } finally {
          await connection.close();
        }
      }
      // The shard count is fixed when the cluster is created.
      await expect(startTestServer({ database: config, shards: 8 })).rejects.toThrow(/created with 4 shards/);
    } finally {
      await drop();
    }
  });
});
