import { defineLibrary } from '@chasm/core';

/**
 * The `nexus` CHASM library's builder: components and tasks are defined through it with local
 * names, and persisted under qualified ones (`nexus.<name>`). Renaming one is a migration.
 */
export const lib = defineLibrary('nexus');
