import { pino, type Logger, type LevelWithSilent } from 'pino';
import { serializeError } from './error-serializer.js';

export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Structured JSON logs to stdout; one logger per server, children per subsystem. Errors are
 * serialized without SQL parameters or long strings (no payload may reach a log line).
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'chasm-server' },
    serializers: { err: serializeError },
    // A second net, for objects logged under another key than `err`: a statement's bound values
    // (user payloads, memos, ids) never reach a log line.
    redact: { paths: ['params', 'parameters', '*.params', '*.parameters'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
