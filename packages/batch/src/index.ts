/**
 * @module @chasm/batch
 * Batch operations on workflow executions (Start/Stop/Describe/ListBatchOperations): terminate,
 * cancel, signal or delete the executions a visibility query selects, or a given list, at a rate
 * limit, with durable progress. Each batch is a CHASM root component (`batch.batch`).
 */
export { batchPlugin, batchPlugin as default } from './plugin.js';
export { Batch, batchTarget, type BatchComponent, type BatchState, type BatchOperationKind, type BatchRunState, type BatchTarget } from './batch/batch.js';
export { BatchTransitions } from './batch/batch.transitions.js';
export { ProcessBatch } from './batch/batch.tasks.js';
export { createBatchLibrary } from './batch/batch-library.js';
export { batchRpcHandlers } from './grpc/batch-handlers.js';
export { batchModule } from './module.js';
export { DEFAULT_BATCH_CONFIG, batchConfigSchema, type BatchConfig } from './config.js';
export { BatchNotFoundError } from './errors.js';
