import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, startDevServer, type DevServer } from './dev-server.js';

/**
 * Standalone Nexus operations in the browser, against a dev server with the nexus package: an
 * operation started over gRPC on an endpoint whose task queue nobody serves stays running; the
 * list shows it, its page shows its state, and terminating it from the page closes it (the
 * server's own description says TERMINATED).
 */
describe('web UI: Nexus operations (browser, PGlite)', () => {
  let server: DevServer;
  let connection: Connection;
  let browser: Browser;
  let page: Page;
  const endpoint = `ui-endpoint-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    server = await startDevServer(['matching', 'workflow', 'nexus']);
    connection = await Connection.connect({ address: server.address });
    await connection.operatorService.createNexusEndpoint({
      spec: { name: endpoint, target: { worker: { namespace: 'default', taskQueue: `${endpoint}-handlers` } } },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(45_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await connection?.close();
    await server?.stop();
  }, 60_000);

  it('lists a running operation, opens it and terminates it', async () => {
    const operationId = `op-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.startNexusOperationExecution({
      namespace: 'default',
      operationId,
      endpoint,
      service: 'greeter',
      operation: 'greet',
      requestId: randomUUID(),
      scheduleToCloseTimeout: google.protobuf.Duration.fromObject({ seconds: 3600 }),
    });
    await page.goto(`${server.ui}/namespaces/default/nexus-operations`);
    const link = page.getByTestId('nexus-operation-list').getByRole('link', { name: operationId });
    await link.waitFor();
    await link.click();
    const summary = page.getByTestId('nexus-operation-summary');
    await summary.getByText('Running').waitFor();
    await summary.getByText(endpoint).waitFor();
    await page.getByLabel('Reason').fill('stopped from the browser');
    await page.getByRole('button', { name: 'Terminate operation' }).click();
    await summary.getByText('Terminated').waitFor();
    const d = await connection.workflowService.describeNexusOperationExecution({ namespace: 'default', operationId });
    expect(d.info?.status).toBe(temporal.api.enums.v1.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_TERMINATED);
  });
});
