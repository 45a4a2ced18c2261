/**
 * Node lifecycle drivers: how a rollout restarts a process. One interface for every way Redis
 * runs: local processes Vigil supervises, shell commands (systemd, init scripts, ssh), and, in
 * the same shape, an orchestrator such as Kubernetes (restart = delete the pod and let its
 * controller recreate it; describe = compare the pod's template hash with the desired one).
 */
import type { InfoSnapshot } from '../core/info.js';
import type { ProcessKind } from '../node/supervised.js';
import type { NodeAddr, RunningSpec } from './types.js';

export type { ProcessKind } from '../node/supervised.js';

export interface Described {
  /** What the driver knows better than INFO (a precise start time, the configuration hash). */
  running?: Partial<RunningSpec> | undefined;
  /** The configuration hash the process should run with. */
  desiredConfigHash?: string | undefined;
}

export interface NodeDriver {
  readonly name: string;
  /** Whether it can restart monitors (a rollout skips them otherwise, and says so). */
  readonly restartsMonitors: boolean;
  describe(addr: NodeAddr, kind: ProcessKind, info: InfoSnapshot): Promise<Described>;
  /**
   * Restarts one process and returns once the restart has been carried out (the process may
   * still be starting or loading: the rollout waits for it to be back and in sync). Throws with a
   * message an operator can act on.
   */
  restart(addr: NodeAddr, kind: ProcessKind): Promise<void>;
}
