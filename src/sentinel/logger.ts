/**
 * Log lines in Redis's own format (`pid:X 22 Nov 2026 18:45:18.123 # text`), so existing log
 * shippers and operators' grep habits keep working when Vigil replaces redis-sentinel.
 */
import { appendFileSync } from 'node:fs';
import type { LogLevel } from '../core/types.js';

export type LogThreshold = LogLevel | 'nothing';

const ORDER: Record<LogThreshold, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
  );
}

export class Logger {
  constructor(
    public threshold: LogThreshold = 'notice',
    public file: string = '',
  ) {}

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.threshold];
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const line = `${process.pid}:X ${stamp(new Date())} ${MARK[level]} ${message}\n`;
    if (this.file === '') {
      process.stdout.write(line);
      return;
    }
    try {
      appendFileSync(this.file, line);
    } catch {
      // A log file we cannot write must not take the monitor down with it.
      process.stderr.write(line);
    }
  }

  warning(m: string): void {
    this.log('warning', m);
  }
  notice(m: string): void {
    this.log('notice', m);
  }
  verbose(m: string): void {
    this.log('verbose', m);
  }
  debug(m: string): void {
    this.log('debug', m);
  }
}
