/**
 * The `exec` driver: restarts run a shell command with {host} and {port} filled in, e.g.
 * `systemctl restart redis@{port}` or `ssh {host} sudo systemctl restart redis-server`.
 */
import { spawn } from 'node:child_process';
import type { Described, NodeDriver, ProcessKind } from '../driver.js';
import type { NodeAddr } from '../types.js';

export interface ExecDriverOptions {
  restart: string;
  restartMonitor?: string | undefined;
  /** Longest a command may run. Default 120 000 ms. */
  timeoutMs?: number | undefined;
}

/** Fills {host} and {port}; refuses addresses that are not plain host names or IPs (no shell injection). */
export function fillTemplate(template: string, addr: NodeAddr): string {
  if (!/^[A-Za-z0-9._:-]+$/.test(addr.host))
    throw new Error(`refusing to put the host '${addr.host}' into a shell command`);
  return template.replaceAll('{host}', addr.host).replaceAll('{port}', String(addr.port));
}

export function runShell(command: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, output: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output: output.trim() });
    });
  });
}

export class ExecDriver implements NodeDriver {
  readonly name = 'exec';
  readonly restartsMonitors: boolean;

  constructor(private readonly opts: ExecDriverOptions) {
    this.restartsMonitors = opts.restartMonitor !== undefined;
  }

  describe(): Promise<Described> {
    return Promise.resolve({});
  }

  async restart(addr: NodeAddr, kind: ProcessKind): Promise<void> {
    const template = kind === 'monitor' ? this.opts.restartMonitor : this.opts.restart;
    if (template === undefined) throw new Error(`no command to restart a ${kind} (--restart-monitor)`);
    const command = fillTemplate(template, addr);
    const r = await runShell(command, this.opts.timeoutMs ?? 120_000);
    if (r.code !== 0)
      throw new Error(
        `the restart command \`${command}\` exited with ${r.code}${r.output ? `: ${r.output}` : ''}`,
      );
  }
}
