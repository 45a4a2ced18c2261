// Runs the `vigil` command as an operator would, and keeps its exit code and output.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './sentinel-process.js';

const run = promisify(execFile);

export const VIGIL_BIN = join(repoRoot(), 'bin', 'vigil');

export interface VigilRun {
  code: number;
  out: string;
  err: string;
}

/** bin/vigil with `args`; never rejects on a non-zero exit (the code says it). */
export async function runVigil(args: readonly string[], timeoutMs = 120_000): Promise<VigilRun> {
  try {
    const r = await run(process.execPath, [VIGIL_BIN, ...args], { timeout: timeoutMs });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}
