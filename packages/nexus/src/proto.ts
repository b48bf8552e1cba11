import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';
import type { google, temporal } from '@temporalio/proto';

/**
 * The Temporal API messages, from the same protobufjs root the SDK and the runtime use.
 * `@temporalio/proto` is CommonJS with a runtime-computed export, so Node's ESM loader cannot see
 * its named exports: it is loaded with `require`, once, here.
 */
const require = createRequire(import.meta.url);
export const temporalProto = require('@temporalio/proto') as typeof TemporalProto;
export type { google, temporal };
