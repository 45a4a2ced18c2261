/**
 * Notification and client-reconfig scripts, run the way Sentinel runs them: a bounded queue,
 * at most 16 at once, killed after 60 s, retried with doubling delays when they exit with 1 or
 * die from a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SCRIPT_MAX_QUEUE, SCRIPT_MAX_RETRY, SCRIPT_MAX_RUNNING, type Timing } from '../core/constants.js';

export interface ScriptJob {
  argv: string[];
  running: boolean;
  retryNum: number;
  /** When running: start time; otherwise the earliest time it may run (0 = now). */
  startTime: number;
  pid: number;
  child: ChildProcess | undefined;
}

export class ScriptRunner {
  readonly queue: ScriptJob[] = [];
  running = 0;

  constructor(
    private readonly timing: Timing,
    private readonly onEvent: (type: string, message: string) => void,
  ) {}

  schedule(path: string, args: readonly string[]): void {
    this.queue.push({
      argv: [path, ...args],
      running: false,
      retryNum: 0,
      startTime: 0,
      pid: 0,
      child: undefined,
    });
    if (this.queue.length > SCRIPT_MAX_QUEUE) {
      const idx = this.queue.findIndex((j) => !j.running);
      if (idx >= 0) this.queue.splice(idx, 1);
    }
  }

  private retryDelay(retryNum: number): number {
    let d = this.timing.scriptRetryDelay;
    for (let n = retryNum; n > 1; n--) d *= 2;
    return d;
  }

  /** Start what may start and kill what ran too long; called from the timer. */
  tick(now: number): void {
    for (const job of this.queue) {
      if (this.running >= SCRIPT_MAX_RUNNING) break;
      if (job.running) continue;
      if (job.startTime && job.startTime > now) continue;
      job.running = true;
      job.startTime = now;
      job.retryNum++;
      this.start(job);
    }
    for (const job of this.queue) {
      if (job.running && job.child && now - job.startTime > this.timing.scriptMaxRuntime) {
        this.onEvent('-script-timeout', `${job.argv[0]} ${job.pid}`);
        job.child.kill('SIGKILL');
      }
    }
  }

  private start(job: ScriptJob): void {
    const [path, ...args] = job.argv as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = spawn(path, args, { stdio: 'ignore' });
    } catch {
      this.finish(job, 0, 2);
      return;
    }
    this.running++;
    job.child = child;
    job.pid = child.pid ?? 0;
    child.on('error', () => {
      // exec failure: Sentinel's child exits with 2 (do not retry).
      this.finish(job, 0, 2);
    });
    child.on('exit', (code, signal) => {
      this.finish(job, signal ? 1 : 0, code ?? 0);
    });
  }

  private finish(job: ScriptJob, bySignal: number, exitCode: number): void {
    if (!job.running) return;
    if (job.child) this.running--;
    job.child = undefined;
    if ((bySignal || exitCode === 1) && job.retryNum !== SCRIPT_MAX_RETRY) {
      job.running = false;
      job.pid = 0;
      job.startTime = Date.now() + this.retryDelay(job.retryNum);
      return;
    }
    if (bySignal || exitCode !== 0) this.onEvent('-script-error', `${job.argv[0]} ${bySignal} ${exitCode}`);
    job.running = false;
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
  }

  killAll(): void {
    for (const j of this.queue) j.child?.kill('SIGKILL');
  }
}
