import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { redact } from './redact.js';

export { redact, redactString, REDACTED } from './redact.js';

/** The logger every part receives. winston's Logger satisfies it; tests may pass a silent one. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
  /** A logger whose every line carries `meta`, e.g. `{ draftId }` or `{ interactionId }`. */
  child(meta: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'pretty' | 'json';
  /** Directory for the rotating `agent.log`; omit to log to the console only. */
  readonly dir?: string | undefined;
  /** Values to mask wherever they appear (the configured tokens and keys). */
  readonly secrets: readonly string[];
  /** Where console lines go; tests capture them. Defaults to the process's stdout. */
  readonly stream?: NodeJS.WritableStream | undefined;
}

/** Rotation: 10 MB per file, 5 files kept (agent.log, agent1.log, ...). */
const MAX_LOG_BYTES = 10 * 1024 * 1024;
const MAX_LOG_FILES = 5;

/**
 * Builds the application logger: a coloured console for people, JSON lines for machines, and a
 * rotating JSON file under `dir/agent.log` as in the original design. A redaction step runs
 * first on every record, so no configured secret can reach any transport.
 */
export function createLogger(options: LoggerOptions): winston.Logger {
  const redaction = winston.format((info) => redact(info, options.secrets) as winston.Logform.TransformableInfo);
  const json = winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json());
  const pretty = winston.format.combine(
    winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
    winston.format.errors({ stack: true }),
    winston.format.colorize(),
    winston.format.printf(({ timestamp, level, message, stack, ...meta }) => {
      const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
      return `${String(timestamp)} ${level} ${String(message)}${extra}${stack ? `\n${String(stack)}` : ''}`;
    }),
  );
  const transports: winston.transport[] = [
    options.stream
      ? new winston.transports.Stream({ stream: options.stream, format: options.format === 'json' ? json : pretty })
      : new winston.transports.Console({ format: options.format === 'json' ? json : pretty }),
  ];
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    transports.push(
      new winston.transports.File({
        filename: join(options.dir, 'agent.log'),
        maxsize: MAX_LOG_BYTES,
        maxFiles: MAX_LOG_FILES,
        tailable: true,
        format: json,
      }),
    );
  }
  return winston.createLogger({ level: options.level, format: redaction(), transports });
}

/** A logger that drops everything: for unit tests and CLIs that print their own output. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true });
}
