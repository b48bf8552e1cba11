import { defineLibrary } from '@chasm/core';

/**
 * The `workflow` CHASM library's builder: components and tasks are defined through it with local
 * names, and persisted under qualified ones (`workflow.<name>`). Renaming one is a migration.
 */
export const lib = defineLibrary('workflow');
