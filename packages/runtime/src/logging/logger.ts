import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { serializeError } from './error-serializer.js';

export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** `pretty`: pino-pretty's human-readable lines; `json`: one JSON object per line. */
export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/** The format when none is configured: readable on a terminal, JSON for pipes (CI, log shippers, tests). */
export function defaultLogFormat(stdoutIsTty: boolean = process.stdout.isTTY === true): LogFormat {
  return stdoutIsTty ? 'pretty' : 'json';
}

/**
 * Logs to stdout; one logger per server, children per subsystem. Errors are serialized
 * without SQL parameters or long strings (no payload may reach a log line). `pretty` goes
 * through the pino-pretty transport (a worker thread formats the same JSON records), so both
 * formats carry exactly the same fields and redactions.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  const options = {
    level,
    base: { service: 'chasm-server' },
    serializers: { err: serializeError },
    // A second net, for objects logged under another key than `err`: a statement's bound values
    // (user payloads, memos, ids) never reach a log line.
    redact: { paths: ['params', 'parameters', '*.params', '*.parameters'], censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (format === 'pretty') {
    return pino({
      ...options,
      transport: {
        // Resolved from here: pino would resolve a bare name from the caller's stack frame.
        target: createRequire(import.meta.url).resolve('pino-pretty'),
        options: {
          destination: 1,
          colorize: process.stdout.isTTY === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
          singleLine: true,
          // Flushed on exit: the last lines before a crash are the ones worth reading.
          sync: true,
        },
      },
    });
  }
  return pino(options);
}

export type { Logger };
