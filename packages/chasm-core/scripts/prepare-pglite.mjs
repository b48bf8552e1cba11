// Build step: dump a freshly initialised in-memory PGlite cluster into dist/pglite/, so that the
// dev server and tests load it instead of running initdb at every boot (see
// src/persistence/pglite-snapshot.ts). Opening one cluster writes the dump when it is missing.
import { openMemoryPGlite, pgliteSnapshotPath } from '../dist/persistence/pglite-snapshot.js';
import { existsSync } from 'node:fs';

const path = pgliteSnapshotPath();
if (path && !existsSync(path)) {
  const lite = await openMemoryPGlite({});
  await lite.close();
  console.log(existsSync(path) ? `wrote ${path}` : 'PGlite dump not written (initdb runs at each boot)');
}
