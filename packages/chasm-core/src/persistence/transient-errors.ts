import { ChasmError, DatabaseUnavailableError } from '../errors.js';

/**
 * Whether an error means "the database is away right now", as opposed to a bug or a bad
 * statement: the connection was refused, reset or ended, or Postgres said it is shutting down,
 * starting up, or out of connections. Such failures become UNAVAILABLE at the front door, which
 * SDKs retry silently; everything else unknown stays INTERNAL. The cause chain is followed, since
 * layers above the driver wrap what it threw.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isDatabaseUnavailableError(e)) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Node socket errors on the way to the database. */
const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server going away or refusing for now (class 08, connection exception, is
 * matched by prefix): admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
 */
const SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres says when a connection ends under it (it sets no code). */
const DRIVER_MESSAGES: readonly string[] = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * The error the persistence layer raises for a driver failure: a DatabaseUnavailableError
 * (closed code UNAVAILABLE) when the database is away, else the driver's error unchanged.
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (isDatabaseUnavailableError(error) || !isTransientDatabaseError(error)) return error;
  const message = (error as { message?: unknown }).message;
  return new DatabaseUnavailableError(typeof message === 'string' && message !== '' ? message : String(error), { cause: error });
}

/** By name, not instanceof, so two loaded copies of this package still agree. */
function isDatabaseUnavailableError(e: unknown): e is DatabaseUnavailableError {
  return ChasmError.is(e) && e.name === 'DatabaseUnavailableError';
}
