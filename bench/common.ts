/** Pieces every benchmark uses: a median summary, error text, and what the machine runs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/harness/index.js';

/** Median with min and max. */
export interface Stat {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function stat(xs: number[]): Stat | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The `version` of a package.json under the repository ('unknown' when unreadable). */
export function packageVersion(...path: string[]): string {
  try {
    return (
      (JSON.parse(readFileSync(join(repoRoot(), ...path), 'utf8')) as { version?: string }).version ??
      'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/** A command's trimmed output ('unknown' when it fails). */
export function commandOutput(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown';
  }
}

export function redisServerVersion(): string {
  return commandOutput(process.env['VIGIL_REDIS_SERVER'] ?? '/usr/bin/redis-server', ['--version']);
}
