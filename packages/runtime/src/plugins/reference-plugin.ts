import { definePlugin, TOKENS } from '@chasm/core';
import { referenceLibrary } from '@chasm/core/testing';
import { ContainerModule } from 'inversify';

/** Plugin 'tests': the reference CHASM library of @chasm/core/testing (no RPCs), for tests and benchmarks. */
export const referencePlugin = definePlugin({
  name: 'tests',
  version: '0.0.0',
  description: 'the reference CHASM library (tests, crash tests, benchmarks)',
  coreApi: '*',
  module: () =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.Library).toConstantValue(referenceLibrary);
    }),
});
