/**
 * JSON-line logs. One line per message at info level, carrying msgId and busNo so one bill can be
 * followed across hops (`grep busNo`). Personal data and secrets are never passed to the logger:
 * callers log identifiers, not payloads.
 */
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

export type Logger = winston.Logger;

let root: winston.Logger = winston.createLogger({
  level: process.env.MEDBILL_LOG_LEVEL ?? 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ silent: process.env.MEDBILL_QUIET === '1' })],
});

export function configureLogging(opts: { level: string; dir: string; stdout: boolean }): void {
  const transports: winston.transport[] = [];
  if (opts.stdout && process.env.MEDBILL_QUIET !== '1') transports.push(new winston.transports.Console());
  if (opts.dir)
    transports.push(
      new DailyRotateFile({ dirname: opts.dir, filename: 'medbill-%DATE%.log', datePattern: 'YYYY-MM-DD', maxFiles: '90d' }),
    );
  if (!transports.length) transports.push(new winston.transports.Console({ silent: true }));
  root = winston.createLogger({
    level: opts.level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports,
  });
}

export function log(): winston.Logger {
  return root;
}
