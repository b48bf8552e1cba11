import { TOKENS } from '@chasm/core';
import { referenceLibrary } from '@chasm/core/testing';
import { ContainerModule } from 'inversify';

/** Package 'tests': registers the reference CHASM library (no RPCs). */
export const testsModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Library).toConstantValue(referenceLibrary);
});
