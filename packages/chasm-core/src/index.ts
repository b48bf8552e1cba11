/**
 * @module @chasm/core
 * CHASM, the framework every feature is built on: component trees with typed state, transitions,
 * pure and side-effect tasks committed atomically with state, an engine with a single writer per
 * execution, visibility, and persistence on Postgres and PGlite through kysely.
 */
export * from './errors.js';
export * from './clock.js';
export * from './context.js';
export * from './ref.js';
export * from './transition.js';
export * from './component/codec.js';
export * from './component/lifecycle.js';
export * from './component/component-type.js';
export * from './task/task-type.js';
export * from './task/system-retry.js';
export * from './registry/library.js';
export * from './registry/registry.js';
export * from './registry/define-library.js';
export * from './plugin/plugin.js';
export * from './plugin/core-version.js';
export * from './plugin/package-version.js';
export * from './engine/engine.js';
export * from './persistence/store.js';
export * from './visibility/query-parser.js';
export * from './visibility/evaluate-filter.js';
export * from './persistence/database.js';
export * from './persistence/open-migrated-database.js';
export { CORE_MIGRATIONS } from './persistence/migrations/index.js';
export * from './persistence/database-stats.js';
export * from './persistence/transient-errors.js';
export * from './logging/log-rate-limiter.js';
export * from './logging/transient-failure-log.js';
export * from './rpc.js';
export * from './service-client.js';
export * from './callbacks.js';
export * from './standalone-rpc.js';
export * from './http.js';
export * from './tokens.js';
export type { NamespacePurgeStep } from './namespaces/namespace-purge-step.js';
export * from './task-token-namespace.js';
export * from './engine/chasm-engine.js';
export type { CommitTracer, CommitSpanAttributes } from './engine/commit-tracer.js';
export { RETENTION_TASK_TYPE, keepForever, type RetentionPolicy } from './engine/retention-policy.js';
export type { RetentionOutcome } from './engine/retention-task.js';
export type { TaskProcessorOptions } from './engine/task-processor.js';
export * from './persistence/kysely-execution-store.js';
// The statements the store runs for List/Count, for benchmarks that EXPLAIN them.
export { listVisibilitySql, countVisibilitySql } from './persistence/visibility-sql.js';
export * from './persistence/pglite-vacuum.js';
export { checkPGliteDataDir, DataDirVersionError, PGLITE_POSTGRES_MAJOR } from './persistence/pglite-data-dir.js';
export * from './inspect/inspect-execution.js';
export * from './inspect/to-json.js';
export { withFields } from './with-fields.js';
export { encodeProtoMessage, type ProtoMessageType, type ProtoWriter } from './proto-encoder.js';
