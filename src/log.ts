/**
 * JSON-line logs. One line per message at info level, carrying msgId and busNo so one bill can be
 * followed across hops (`grep busNo`). Personal data and secrets are never passed to the logger:
 * callers log identifiers, not payloads.
 */
import { chmodSync } from 'node:fs';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { PRIVATE_FILE_MODE, privateDir } from './private-fs';

export type Logger = winston.Logger;

let root: winston.Logger = winston.createLogger({
  level: process.env.MEDBILL_LOG_LEVEL ?? 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ silent: process.env.MEDBILL_QUIET === '1' })],
});

export function configureLogging(opts: { level: string; dir: string; stdout: boolean }): void {
  const transports: winston.transport[] = [];
  if (opts.stdout && process.env.MEDBILL_QUIET !== '1') transports.push(new winston.transports.Console());
  if (opts.dir) {
    privateDir(opts.dir);
    // Logs name bills and busNos: 0600 when created, and tightened when an existing day's file is reopened.
    const file = new DailyRotateFile({ dirname: opts.dir, filename: 'medbill-%DATE%.log', datePattern: 'YYYY-MM-DD', maxFiles: '90d', options: { flags: 'a', mode: PRIVATE_FILE_MODE } });
    file.on('new', (name: string) => {
      try {
        chmodSync(name, PRIVATE_FILE_MODE);
      } catch {
        // the stream reports its own errors
      }
    });
    transports.push(file);
  }
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
