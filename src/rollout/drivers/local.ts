/**
 * The `local` driver: redis-server and monitor processes on this machine, each run by a
 * `vigil node` supervisor from a config file in its own directory under one root. The supervisor
 * records what it started (vigil-node.json): the rollout compares that with the config file as
 * it is now, and restarts a node by stopping its supervisor (which hands the primary role over
 * first) and starting a new one. Processes outlive the rollout: a killed rollout leaves them
 * running, and the next run finds them again from the root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfoSnapshot } from '../../core/info.js';
import { pollUntil } from '../../node/local-process.js';
import {
  configHash,
  processAlive,
  readNodeState,
  spawnSupervisor,
  STATE_FILE,
  type NodeState,
  type ProcessKind,
} from '../../node/supervised.js';
import type { Described, NodeDriver } from '../driver.js';
import type { NodeAddr } from '../types.js';

export interface LocalDriverOptions {
  /** The directory whose subdirectories hold one node each. */
  root: string;
  /** How long a supervisor may take to stop (it may be handing the primary role over). Default 60 000 ms. */
  stopTimeoutMs?: number | undefined;
}

export class LocalDriver implements NodeDriver {
  readonly name = 'local';
  readonly restartsMonitors = true;

  constructor(private readonly opts: LocalDriverOptions) {}

  /** Every node directory under the root with a supervisor state file. */
  nodes(): { dir: string; state: NodeState }[] {
    const out: { dir: string; state: NodeState }[] = [];
    for (const name of readdirSync(this.opts.root).sort()) {
      const dir = join(this.opts.root, name);
      if (!existsSync(join(dir, STATE_FILE))) continue;
      const state = readNodeState(dir);
      if (state) out.push({ dir, state });
    }
    return out;
  }

  find(addr: NodeAddr, kind: ProcessKind): { dir: string; state: NodeState } | undefined {
    return this.nodes().find((n) => n.state.port === addr.port && n.state.kind === kind);
  }

  describe(addr: NodeAddr, kind: ProcessKind, info: InfoSnapshot): Promise<Described> {
    const n = this.find(addr, kind);
    if (!n) return Promise.resolve({});
    let desiredConfigHash: string | undefined;
    if (kind === 'data') {
      try {
        desiredConfigHash = configHash(readFileSync(n.state.configPath, 'utf8'));
      } catch {
        desiredConfigHash = undefined;
      }
    }
    // The record describes the process only if it is the one answering.
    const same = Number(info.fields.get('process_id')) === n.state.pid;
    return Promise.resolve({
      running: same
        ? {
            configHash: kind === 'data' ? n.state.configHash : undefined,
            startedAtMs: n.state.startedAtMs,
            args: n.state.args.join(' '),
          }
        : { configHash: undefined },
      desiredConfigHash,
    });
  }

  async restart(addr: NodeAddr, kind: ProcessKind): Promise<void> {
    const n = this.find(addr, kind);
    if (!n)
      throw new Error(
        `no ${kind === 'monitor' ? 'monitor' : 'node'} on port ${addr.port} under ${this.opts.root} (looked for ${STATE_FILE} in its subdirectories)`,
      );
    if (!processAlive(n.state.supervisorPid)) {
      // No supervisor (stopped or killed): start one, which starts the server.
      await spawnSupervisor(n.dir, n.state.argv);
      return;
    }
    // SIGHUP: the supervisor restarts its server itself (handing the primary role over first),
    // so a rollout killed at this point leaves the restart to complete without it.
    process.kill(n.state.supervisorPid, 'SIGHUP');
    await pollUntil(
      `the supervisor of ${n.dir} to restart its server (see ${join(n.dir, 'vigil-node.log')})`,
      () => {
        const s = readNodeState(n.dir);
        if (s && s.pid !== n.state.pid && processAlive(s.pid)) return true;
        if (!processAlive(n.state.supervisorPid))
          throw new Error(
            `the supervisor of ${n.dir} exited during the restart: see ${join(n.dir, 'vigil-node.log')}`,
          );
        return false;
      },
      this.opts.stopTimeoutMs ?? 60_000,
    );
  }
}
