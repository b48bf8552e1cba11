import { defineLibrary } from '@chasm/core';

/**
 * The `activity` CHASM library's builder: components and tasks are defined through it with local
 * names, and persisted under qualified ones (`activity.<name>`). Renaming one is a migration.
 */
export const lib = defineLibrary('activity');
