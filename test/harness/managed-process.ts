// Common lifecycle of a server process started by the harness (redis-server, redis-sentinel,
// vigil-sentinel): a config file and log in its own directory, a loopback port, start with a
// readiness deadline, SIGKILL / graceful stop / SIGSTOP / SIGCONT / restart on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { makeTempDir, onCleanup, procState, trackPid, untrackPid } from './cleanup.js';
import { freePort, type FreePortOptions } from './ports.js';
import { AbortWait, nowMs, waitFor, withTimeout } from './wait.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Spawn failure (for example ENOENT), if the process never ran. */
  error?: string;
  at: number;
}

export interface StopOptions {
  /** How long a graceful stop may take before SIGKILL. Default 5000 ms. */
  timeoutMs?: number;
}

export interface RestartOptions {
  /** How to take the running process down first: graceful 'stop' (default) or 'kill9'. */
  mode?: 'stop' | 'kill9';
  /** Stay down this long before starting again. */
  downMs?: number;
  /** The restarted process must answer within this many ms. Default: the start timeout. */
  timeoutMs?: number;
}

export interface ManagedProcessInit {
  label: string;
  port: number | undefined;
  dir: string | undefined;
  configFile: string;
  logFile: string;
  startTimeoutMs: number | undefined;
}

function describeExit(e: ExitInfo): string {
  if (e.error !== undefined) return `spawn failed: ${e.error}`;
  return e.signal !== null ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

function readTail(path: string, maxBytes: number): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const start = Math.max(0, size - maxBytes);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

export abstract class ManagedProcess {
  readonly host = '127.0.0.1';
  readonly label: string;
  /** The process's working directory: config, log, data files. */
  readonly dir: string;
  /** Path of the config file the process is started with (edit it, then restart()). */
  readonly configPath: string;
  readonly logPath: string;
  /** Captured stdout/stderr of every run. */
  readonly outputPath: string;
  /** Every pid this object has spawned, oldest first. */
  readonly pids: number[] = [];
  protected readonly startTimeoutMs: number;
  private portValue: number;
  private readonly autoPort: boolean;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private exitInfo: ExitInfo | undefined;
  private pausedFlag = false;
  private configWritten = false;
  private cleanupRegistered = false;

  protected constructor(init: ManagedProcessInit) {
    this.label = init.label;
    this.portValue = init.port ?? 0;
    this.autoPort = init.port === undefined;
    if (init.dir !== undefined) {
      mkdirSync(init.dir, { recursive: true });
      this.dir = init.dir;
    } else {
      this.dir = makeTempDir(init.label);
    }
    this.configPath = join(this.dir, init.configFile);
    this.logPath = join(this.dir, init.logFile);
    this.outputPath = join(this.dir, 'output.log');
    this.startTimeoutMs = init.startTimeoutMs ?? 10_000;
  }

  /** Full config file text for the first start (later starts reuse the file as it is then). */
  protected abstract renderConfig(): string;
  protected abstract spawnCommand(): { file: string; args: string[] };
  /** One readiness probe; may throw (counts as not ready). */
  protected abstract probeReady(): Promise<boolean>;
  /** Asks the process to exit; the caller enforces the deadline. Default: SIGTERM. */
  protected requestShutdown(_opts: StopOptions): Promise<void> {
    this.signal('SIGTERM');
    return Promise.resolve();
  }
  protected portOptions(): FreePortOptions {
    return {};
  }

  get port(): number {
    return this.portValue;
  }
  get addr(): string {
    return `${this.host}:${this.portValue}`;
  }
  /** Pid of the running process, undefined when not running. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }
  get paused(): boolean {
    return this.pausedFlag && this.running;
  }
  /** How the last run ended, undefined while running or before the first start. */
  get lastExit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /**
   * Starts the process and waits until it answers. The first start writes the config file (and,
   * when the port was chosen by the harness, retries on another port if it was taken meanwhile);
   * later starts reuse the file and the port.
   */
  async start(timeoutMs: number = this.startTimeoutMs): Promise<void> {
    if (this.running) throw new Error(`${this.label} is already running (pid ${this.pid})`);
    if (this.configWritten) {
      await this.launch(timeoutMs);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      if (this.autoPort) this.portValue = await freePort(this.portOptions());
      writeFileSync(this.configPath, this.renderConfig());
      const logBefore = fileSize(this.logPath);
      const outBefore = fileSize(this.outputPath);
      try {
        await this.launch(timeoutMs);
        this.configWritten = true;
        return;
      } catch (err) {
        const fresh =
          readTail(this.logPath, fileSize(this.logPath) - logBefore) +
          readTail(this.outputPath, fileSize(this.outputPath) - outBefore);
        if (this.autoPort && attempt < 3 && /address already in use/i.test(fresh)) continue;
        throw err;
      }
    }
  }

  private async launch(timeoutMs: number): Promise<void> {
    const { file, args } = this.spawnCommand();
    const fd = openSync(this.outputPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd: this.dir, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exitInfo = undefined;
    this.pausedFlag = false;
    const pid = child.pid;
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo): void => {
        if (this.child === child) {
          this.exitInfo = info;
          this.pausedFlag = false;
        }
        if (pid !== undefined) untrackPid(pid);
        resolve(info);
      };
      child.once('exit', (code, signal) => done({ code, signal, at: nowMs() }));
      child.once('error', (err) => {
        if (pid === undefined) done({ code: null, signal: null, error: err.message, at: nowMs() });
      });
    });
    if (pid !== undefined) {
      this.pids.push(pid);
      trackPid(pid, this.label, this.dir);
    }
    // A forgotten process must not keep the test runner alive; the exit hook kills it.
    child.unref();
    if (!this.cleanupRegistered) {
      this.cleanupRegistered = true;
      onCleanup(`kill ${this.label} (${this.addr})`, () => this.kill9(), 'process');
    }
    try {
      await waitFor(
        async () => {
          if (this.exitInfo !== undefined) {
            throw new AbortWait(`${this.label} exited during startup (${describeExit(this.exitInfo)})`);
          }
          return await this.probeReady();
        },
        { what: `${this.label} to answer on ${this.addr}`, timeoutMs, intervalMs: 20 },
      );
    } catch (err) {
      await this.kill9().catch(() => undefined);
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`${this.label} failed to start: ${msg}\n${this.diagnostics()}`, { cause: err });
    }
  }

  /** Sends a signal to the running process (no-op when it is not running). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      // Exited meanwhile.
    }
  }

  /** Resolves when the current run has ended; throws if it has not within `timeoutMs`. */
  async waitForExit(timeoutMs = 5000): Promise<ExitInfo> {
    if (this.exitPromise === undefined) throw new Error(`${this.label} was never started`);
    return withTimeout(this.exitPromise, timeoutMs, `${this.label} (pid ${this.child?.pid}) to exit`);
  }

  /** SIGKILL, then wait until the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.waitForExit(5000);
  }

  /** Graceful stop with a deadline, then SIGKILL. Resumes a paused process first. */
  async stop(opts: StopOptions = {}): Promise<void> {
    if (!this.running) return;
    const timeoutMs = opts.timeoutMs ?? 5000;
    if (this.pausedFlag) await this.resume();
    try {
      await this.requestShutdown(opts);
    } catch {
      this.signal('SIGTERM');
    }
    try {
      await this.waitForExit(timeoutMs);
    } catch {
      await this.kill9();
    }
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing (a hung server). */
  async pause(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`${this.label} is not running`);
    process.kill(pid, 'SIGSTOP');
    this.pausedFlag = true;
    await waitFor(
      () => {
        const s = procState(pid);
        return s === undefined || s === 'T' || s === 't';
      },
      { what: `${this.label} (pid ${pid}) to be stopped`, timeoutMs: 2000, intervalMs: 5 },
    );
  }

  /** SIGCONT after pause(). */
  async resume(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGCONT');
    this.pausedFlag = false;
    await waitFor(
      () => {
        const s = procState(pid);
        return s !== 'T' && s !== 't';
      },
      { what: `${this.label} (pid ${pid}) to continue`, timeoutMs: 2000, intervalMs: 5 },
    );
  }

  /** Takes the process down (if running) and starts it again: same port, same dir, same config file. */
  async restart(opts: RestartOptions = {}): Promise<void> {
    if (this.running) {
      if (opts.mode === 'kill9') await this.kill9();
      else await this.stop();
    }
    if (opts.downMs !== undefined && opts.downMs > 0) await delay(opts.downMs);
    await this.start(opts.timeoutMs ?? this.startTimeoutMs);
  }

  /** The last `lines` lines of the process's log file (or of its captured output if it has no log). */
  logTail(lines = 50): string {
    const text = readTail(this.logPath, 256 * 1024) || readTail(this.outputPath, 256 * 1024);
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  }

  /** Current text of the config file (the process may have rewritten it). */
  configText(): string {
    return readFileSync(this.configPath, 'utf8');
  }

  /** Log and output tails, for error messages. */
  diagnostics(lines = 30): string {
    const out = readTail(this.outputPath, 8 * 1024)
      .split('\n')
      .slice(-lines)
      .join('\n');
    const exit = this.exitInfo ? describeExit(this.exitInfo) : this.running ? 'running' : 'not started';
    return (
      `--- ${this.label} ${this.addr} (${exit}) log ${this.logPath} ---\n${this.logTail(lines)}\n` +
      `--- output ${this.outputPath} ---\n${out}`
    );
  }
}
