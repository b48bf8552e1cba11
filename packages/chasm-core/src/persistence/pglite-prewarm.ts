import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PGliteOptions } from '@electric-sql/pglite';

/** The compiled module PGlite takes (its .d.ts names `WebAssembly.Module`, which this lib set lacks). */
type WasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;
/** The one WebAssembly call used here (the compiler options carry no WebAssembly types). */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/**
 * Starts the part of a PGlite cluster's start that needs nothing from the server: reading
 * Postgres' WebAssembly (~10 MB) and compiling it, and reading its file-system bundle (~6 MB).
 * The dev server's entry point calls this before it imports the rest of the server, so the
 * compilation (on V8's background threads) and the reads (on libuv's) overlap the ~1,500 module
 * loads that keep the main thread busy for the first second or more (ADR 0054). Without it,
 * PGlite does the same work itself when the database is opened, with the main thread waiting.
 *
 * This module imports nothing but node built-ins, so importing it costs nothing at boot.
 */

export interface PrewarmedPGlite {
  /** The compiled `pglite.wasm`, for PGlite's `pgliteWasmModule` option. */
  readonly pgliteWasmModule?: WasmModule;
  /** `pglite.data`, for PGlite's `fsBundle` option. */
  readonly fsBundle?: Blob;
}

let wasm: Promise<WasmModule | undefined> | undefined;
let bundle: Promise<Blob | undefined> | undefined;

/** Begins reading and compiling PGlite's artifacts; idempotent, never throws. */
export function prewarmPGlite(): void {
  if (wasm) return;
  const dir = pgliteDistDir();
  if (dir === undefined) {
    wasm = Promise.resolve(undefined);
    return;
  }
  // A failure here only means PGlite reads and compiles the files itself later, as it would
  // without a prewarm (and reports what is wrong then): never an unhandled rejection.
  wasm = readFile(join(dir, 'pglite.wasm'))
    .then((bytes) => WebAssembly.compile(bytes))
    .catch(() => undefined);
  bundle = readFile(join(dir, 'pglite.data')).then((bytes) => new Blob([bytes])).catch(() => undefined);
}

/**
 * What a prewarm got ready, as PGlite options (empty without a prewarm). The compiled module
 * is kept for every later cluster of the process (PGlite keeps its own compiled module for the
 * process's lifetime too); the file-system bundle is handed to one cluster only, so its 6 MB is
 * not held after the start.
 */
export async function prewarmedPGliteOptions(): Promise<PrewarmedPGlite> {
  if (!wasm) return {};
  const pgliteWasmModule = await wasm;
  const fsBundle = await bundle;
  bundle = undefined;
  return { ...(pgliteWasmModule ? { pgliteWasmModule } : {}), ...(fsBundle ? { fsBundle } : {}) };
}

/** PGlite's dist/ folder (where its .wasm and .data sit beside its entry point). */
function pgliteDistDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  } catch {
    return undefined;
  }
}
