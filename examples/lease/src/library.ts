import { defineLibrary } from '@chasm/core';

/**
 * The `lease` CHASM library. Component and task names below are local ('lease', 'expire'); the
 * builder persists them as 'lease.lease' and 'lease.expire'. Renaming one is a migration.
 */
export const lease = defineLibrary('lease');
