import { defineLibrary } from '@chasm/core';

/**
 * The `batch` CHASM library. Component and task names in this package are local
 * ('batch', 'timeout'); the builder persists them as 'batch.batch' and
 * 'batch.timeout'. Persisted names are forever: renaming one is a migration.
 */
export const library = defineLibrary('batch');
