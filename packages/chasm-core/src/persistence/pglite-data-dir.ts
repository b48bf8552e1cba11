import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Postgres major version of the pinned `@electric-sql/pglite` (0.6.1 runs Postgres 19; 0.4.x
 * ran 17). A test opens a cluster and compares, so bumping PGlite without this fails loudly.
 */
export const PGLITE_POSTGRES_MAJOR = 19;

/** A directory-backed PGlite cluster written by another Postgres major: it cannot be opened. */
export class DataDirVersionError extends Error {
  override readonly name = 'DataDirVersionError';
  constructor(
    readonly dataDir: string,
    readonly foundMajor: string,
  ) {
    super(
      `the PGlite data directory ${dataDir} holds a Postgres ${foundMajor} database (written by an older version of this server), ` +
        `and this version's embedded Postgres is ${PGLITE_POSTGRES_MAJOR}, which cannot open it: ` +
        `use another directory (or move this one away) to start empty, or run the previous server version on it to read its data`,
    );
  }
}

/**
 * Refuses a data directory of another Postgres major before PGlite touches it. Postgres itself
 * would refuse it too, but inside WebAssembly that surfaces as "PGlite failed to initialize
 * properly" with a stack trace and nothing saying why (ADR 0052). `PG_VERSION` is the file
 * Postgres checks for exactly this; a directory without one is new (initdb fills it) and
 * passes. Nothing is written: the directory stays usable by the version that wrote it.
 */
export function checkPGliteDataDir(dataDir: string): void {
  let found: string;
  try {
    found = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return;
  }
  if (found !== String(PGLITE_POSTGRES_MAJOR)) throw new DataDirVersionError(dataDir, found);
}
