/**
 * The monitor's failover history on disk, beside its config file (`<config>.history.jsonl`): one
 * JSON entry per line, appended and fsynced as each happens, so it survives restarts and a crash
 * tears at most the line being written (ignored when read back). Bounded: past twice the limit it
 * is rewritten atomically with the newest entries only.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { HistoryEntry } from '../core/history.js';
import { writeFileAtomic } from '../node/atomic-file.js';

export const HISTORY_LIMIT = 1000;

export class HistoryLog {
  private entries: HistoryEntry[] = [];
  /** Lines in the file, torn or not: when to compact it. */
  private lines = 0;
  /** The file ends in a torn line: the next entry starts on a line of its own. */
  private torn = false;

  constructor(
    readonly path: string,
    private readonly limit = HISTORY_LIMIT,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    if (!existsSync(path)) return;
    try {
      const text = readFileSync(path, 'utf8');
      this.torn = text.length > 0 && !text.endsWith('\n');
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        this.lines++;
        try {
          this.entries.push(JSON.parse(line) as HistoryEntry);
        } catch {
          // A line torn by a crash: skipped.
        }
      }
      this.entries = this.entries.slice(-this.limit);
    } catch (e) {
      this.onError(`cannot read the history file ${path}: ${(e as Error).message}`);
    }
  }

  append(entry: HistoryEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
    try {
      if (this.lines + 1 > 2 * this.limit) {
        writeFileAtomic(this.path, this.entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
        this.lines = this.entries.length;
        return;
      }
      const fd = openSync(this.path, 'a', 0o644);
      try {
        writeSync(fd, (this.torn ? '\n' : '') + JSON.stringify(entry) + '\n');
        this.torn = false;
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.lines++;
    } catch (e) {
      this.onError(`cannot append to the history file ${this.path}: ${(e as Error).message}`);
    }
  }

  /** The newest `count` entries (of one primary, when given), oldest first. */
  recent(count: number, master?: string): HistoryEntry[] {
    const list = master === undefined ? this.entries : this.entries.filter((e) => e.master === master);
    return list.slice(-count);
  }
}
