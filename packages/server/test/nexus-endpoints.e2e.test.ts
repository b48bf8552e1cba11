import { Connection } from '@temporalio/client';
import { startTestServer } from '@chasm/runtime/testing';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from '../src/catalogue.js';

/** The dev server's package set serves the Nexus endpoint registry through the catalogue's `nexus`. */
describe('nexus in the dev package set', () => {
  it('serves the endpoint registry and advertises Nexus', async () => {
    await using server = await startTestServer({ packages: [...DEV_PACKAGES], catalogue: BUILTIN_PLUGINS });
    const connection = await Connection.connect({ address: server.address });
    try {
      const created = await connection.operatorService.createNexusEndpoint({
        spec: { name: 'dev-endpoint', target: { worker: { namespace: 'default', taskQueue: 'handlers' } } },
      });
      expect(created.endpoint?.urlPrefix).toBe(`/nexus/endpoints/${created.endpoint?.id}/services`);
      const listed = await connection.operatorService.listNexusEndpoints({});
      expect(listed.endpoints?.map((e) => e.spec?.name)).toEqual(['dev-endpoint']);
      // Endpoints, Nexus tasks and operations called from workflows are served: the SDK may use Nexus.
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.capabilities?.nexus).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
