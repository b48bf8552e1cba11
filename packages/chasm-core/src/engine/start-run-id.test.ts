import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newStoreState, referenceLibrary, Store, storeTarget } from '../testing/reference/index.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';

describe('ChasmEngine.start with a chosen run id', () => {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createTestEngine({ libraries: [referenceLibrary] });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('creates the run under that id, and a retry with the same request id returns it', async () => {
    const start = () =>
      t.engine.start(Store, { namespaceId: 'ns', businessId: 'b' }, { runId: 'run-42', requestId: 'r1', init: () => newStoreState('b') });
    const a = await start();
    expect(a).toMatchObject({ created: true, runId: 'run-42' });
    expect((await t.engine.describe(storeTarget('ns', 'b', 'run-42'))).runId).toBe('run-42');
    expect(await start()).toMatchObject({ created: false, runId: 'run-42' });
  });
});
