// A LocalGroup (the `local` driver's layout: one `vigil node` supervisor per process) in a
// harness temp dir, stopped by cleanup and SIGKILLed at process exit if still running.
import { Redis } from 'ioredis';
import { LocalCluster, type LocalClusterOptions } from '../../src/rollout/drivers/local-cluster.js';
import { LocalGroup, type LocalGroupOptions } from '../../src/rollout/drivers/local-group.js';
import { killSupervisedSync } from '../../src/node/supervised.js';
import { onCleanup, onProcessExit, makeTempDir } from './cleanup.js';
import { waitFor } from './wait.js';
import { ContinuousWriter } from './writer.js';

export async function startLocalGroup(opts: Omit<LocalGroupOptions, 'root'> = {}): Promise<LocalGroup> {
  const root = makeTempDir('local-group');
  const group = await LocalGroup.start({ ...opts, root });
  onCleanup(`stop local group ${root}`, () => group.stop());
  onProcessExit(() => killSupervisedSync(group.states()));
  return group;
}

/** A writer that finds the primary through the group's monitors, as applications do. */
export function sentinelWriter(group: LocalGroup, id: string, maxDurationMs = 120_000): ContinuousWriter {
  return new ContinuousWriter({
    writerId: id,
    client: () => {
      const c = new Redis({
        sentinels: group.monitors.map((m) => ({ host: '127.0.0.1', port: m.port })),
        name: group.name,
        retryStrategy: () => 10,
        sentinelRetryStrategy: () => 10,
        maxRetriesPerRequest: 2,
        commandTimeout: 1000,
      });
      c.on('error', () => undefined);
      return c;
    },
    commandTimeoutMs: 1000,
    maxDurationMs,
  });
}

/**
 * Waits until the clock is past the start second of every process of the group: a restart
 * token taken after that marks them all stale (Redis reports start times to the second).
 */
export async function pastStartSeconds(group: LocalGroup): Promise<void> {
  const latest = Math.max(...group.states().map((s) => s.startedAtMs));
  const boundary = (Math.floor(latest / 1000) + 1) * 1000;
  await waitFor(() => Date.now() >= boundary, {
    what: 'the next second after the last start',
    timeoutMs: 2000,
  });
}

/** A LocalCluster in a harness temp dir, stopped by cleanup and SIGKILLed at exit if still running. */
export async function startLocalCluster(opts: Omit<LocalClusterOptions, 'root'> = {}): Promise<LocalCluster> {
  const root = makeTempDir('local-cluster');
  const cluster = await LocalCluster.start({ ...opts, root });
  onCleanup(`stop local cluster ${root}`, () => cluster.stop());
  onProcessExit(() => killSupervisedSync(cluster.states()));
  return cluster;
}
