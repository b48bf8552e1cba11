import type { Migration } from 'kysely';
import type { MigrationSet } from '../../tokens.js';
import * as createCoreTables from './20261125T1200_create_core_tables.js';
import * as writeFunction from './20261203T1800_write_function.js';
import * as writeFunctionV2 from './20261206T1400_write_function_v2.js';
import * as lighterIndexes from './20261206T1700_lighter_indexes.js';

/** Name of the bookkeeping table of the core migrations (each package keeps its own). */
export const CORE_MIGRATION_TABLE = 'chasm_core_migrations';

/** A static record, never a directory glob, so bundles and tests see exactly these. Keys sort by time. */
export const coreMigrations: Readonly<Record<string, Migration>> = {
  '20261125T1200_create_core_tables': createCoreTables,
  '20261203T1800_write_function': writeFunction,
  '20261206T1400_write_function_v2': writeFunctionV2,
  '20261206T1700_lighter_indexes': lighterIndexes,
};

/**
 * The core tables as a migration set, for whoever opens the database before the store does
 * (the server migrates every package at once, and a prepared dump includes them); the store's
 * own `init` still migrates, which is then a no-op.
 */
export const CORE_MIGRATIONS: MigrationSet = { table: CORE_MIGRATION_TABLE, migrations: coreMigrations };
