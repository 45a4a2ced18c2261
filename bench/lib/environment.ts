/** What the machine runs, printed in every bench's header and saved with its JSON. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test/harness/index.js';

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

export function ioredisVersion(): string {
  return packageVersion('node_modules', 'ioredis', 'package.json');
}

/** Node, the cores and their load (the other load on the machine shows in the figures), Vigil, Redis. */
export function machine(): Record<string, string> {
  return {
    node: process.version,
    cpus: String(availableParallelism()),
    loadAverage: loadavg()[0]!.toFixed(1),
    vigil: packageVersion('package.json'),
    redis: redisServerVersion(),
  };
}
