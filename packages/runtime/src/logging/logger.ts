import { pino, type Logger, type LevelWithSilent } from 'pino';

export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Structured JSON logs to stdout; one logger per server, children per subsystem. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'chasm-server' } });
}

export type { Logger };
