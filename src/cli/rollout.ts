/**
 * `vigil rollout`: a rolling restart with the primary role handed over before the primary is
 * touched. Replication groups through their Vigil monitors, Redis Cluster shard by shard, or a
 * standalone server (plain restart, with a warning).
 */
import { errorMessage } from '../node/errors.js';
import { ConnPool } from '../node/pool.js';
import type { NodeDriver } from '../rollout/driver.js';
import { ExecDriver } from '../rollout/drivers/exec.js';
import { LocalDriver } from '../rollout/drivers/local.js';
import {
  observeCluster,
  observeReplication,
  observeStandalone,
  type ObserveContext,
} from '../rollout/observe.js';
import { runRollout } from '../rollout/run.js';
import type { DesiredSpec, NodeAddr, ObservedGroup } from '../rollout/types.js';
import { parseEndpoint, UsageError } from './common.js';

export interface RolloutCliOptions {
  sentinel?: string[] | undefined;
  cluster?: string[] | undefined;
  node?: string | undefined;
  driver?: string | undefined;
  restart?: string | undefined;
  restartMonitor?: string | undefined;
  localRoot?: string | undefined;
  restartToken?: string | undefined;
  redisVersion?: string | undefined;
  executable?: string | undefined;
  args?: string | undefined;
  skipMonitors?: boolean | undefined;
  dryRun?: boolean | undefined;
  switchoverTimeout?: string | undefined;
  gateTimeout: string;
  restartTimeout: string;
  maxLagBytes: string;
  acceptDataLoss?: boolean | undefined;
  password?: string | undefined;
  user?: string | undefined;
  authPass?: string | undefined;
  authUser?: string | undefined;
}

/** `now`, an ISO date, or milliseconds since the epoch. */
export function parseRestartToken(s: string, now: number): number {
  // Start times are known to the second: a token on a second boundary never marks a process
  // restarted after it as stale.
  if (s === 'now') return Math.floor(now / 1000) * 1000;
  if (/^\d{10,}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw new UsageError(
      `--restart-token '${s}' is not a time: use now, an ISO time (2026-11-22T10:00:00Z) or milliseconds since the epoch`,
    );
  return t;
}

function endpoints(list: readonly string[] | undefined, defaultPort: number): NodeAddr[] {
  const out: NodeAddr[] = [];
  for (const s of list ?? [])
    for (const part of s.split(',')) if (part.trim()) out.push(parseEndpoint(part, defaultPort));
  return out;
}

function positiveInt(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) <= 0)
    throw new UsageError(`${what} takes a positive whole number, got '${s}'`);
  return Number(s);
}

function nonNegativeInt(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} takes a whole number of bytes (0 or more), got '${s}'`);
  return Number(s);
}

export async function runRolloutCli(name: string | undefined, opts: RolloutCliOptions): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const nodes = new ConnPool({ password: opts.authPass, user: opts.authUser });
  const monitors = new ConnPool({ password: opts.password, user: opts.user });
  try {
    const sentinels = endpoints(opts.sentinel, 26379);
    const clusterSeeds = endpoints(opts.cluster, 6379);
    const standalone = opts.node !== undefined ? parseEndpoint(opts.node, 6379) : undefined;
    const chosen = [sentinels.length > 0, clusterSeeds.length > 0, standalone !== undefined].filter(
      Boolean,
    ).length;
    if (chosen !== 1)
      throw new UsageError(
        'say what to roll: --sentinel HOST:PORT (a monitored replication group, with its name), --cluster HOST:PORT (a Redis Cluster) or --node HOST:PORT (a standalone server)',
      );
    if (sentinels.length > 0 && name === undefined)
      throw new UsageError('a replication group is named: vigil rollout <name> --sentinel HOST:PORT ...');

    const driverName = opts.driver ?? (opts.localRoot !== undefined ? 'local' : 'exec');
    let driver: NodeDriver;
    if (driverName === 'local') {
      if (opts.localRoot === undefined)
        throw new UsageError(
          '--driver local needs --local-root DIR (the directory holding one directory per node)',
        );
      driver = new LocalDriver({ root: opts.localRoot });
    } else if (driverName === 'exec') {
      if (opts.restart === undefined)
        throw new UsageError(
          "--driver exec needs --restart '<command>' with {host} and {port}, e.g. --restart 'systemctl restart redis@{port}'",
        );
      driver = new ExecDriver({ restart: opts.restart, restartMonitor: opts.restartMonitor });
    } else {
      throw new UsageError(`unknown --driver '${driverName}': use local or exec`);
    }

    const now = Date.now();
    const desired: DesiredSpec = {
      version: opts.redisVersion,
      executable: opts.executable,
      args: opts.args,
      restartedAfterMs:
        opts.restartToken !== undefined ? parseRestartToken(opts.restartToken, now) : undefined,
    };
    if (
      desired.version === undefined &&
      desired.executable === undefined &&
      desired.args === undefined &&
      desired.restartedAfterMs === undefined &&
      driverName !== 'local'
    )
      throw new UsageError(
        'nothing tells an old process from a new one: pass --restart-token now (restart everything once), --redis-version or --executable',
      );
    if (opts.restartToken === 'now')
      out(
        `restart token ${desired.restartedAfterMs}: if this rollout is interrupted, run it again with --restart-token ${desired.restartedAfterMs} to resume`,
      );

    const monitorsToo = opts.skipMonitors !== true && driver.restartsMonitors;
    if (sentinels.length > 0 && opts.skipMonitors !== true && !driver.restartsMonitors)
      out('note: the monitors are not restarted (give --restart-monitor to roll them too)');

    const ctx: ObserveContext = { nodes, monitors, driver, now: () => Date.now() };
    const observe = (): Promise<ObservedGroup> =>
      sentinels.length > 0
        ? observeReplication(ctx, name ?? '', sentinels)
        : clusterSeeds.length > 0
          ? observeCluster(ctx, clusterSeeds)
          : observeStandalone(ctx, standalone!);
    // A first look, so that a wrong address or name fails at once and plainly.
    const firstLook = await observe();
    if (firstLook.topology === 'standalone') {
      const n = firstLook.nodes[0];
      if (n && !n.reachable) throw new UsageError(`${n.id} does not answer: check --node`);
      if (n?.role === 'replica')
        throw new UsageError(
          `${n.id} is a replica: roll its group with --sentinel (or --cluster), not --node`,
        );
    }

    const r = await runRollout({
      name,
      observe,
      driver,
      plan: {
        desired,
        monitors: monitorsToo,
        maxLagBytes: nonNegativeInt(opts.maxLagBytes, '--max-lag-bytes'),
        acceptDataLoss: opts.acceptDataLoss === true,
      },
      nodes,
      monitors,
      switchoverTimeoutMs: positiveInt(opts.switchoverTimeout, '--switchover-timeout'),
      gateTimeoutMs: (positiveInt(opts.gateTimeout, '--gate-timeout') ?? 120) * 1000,
      restartTimeoutMs: (positiveInt(opts.restartTimeout, '--restart-timeout') ?? 120) * 1000,
      dryRun: opts.dryRun === true,
      out,
    });
    const secs = (r.elapsedMs / 1000).toFixed(1);
    if (r.code === 0) out(`${r.message} (${secs} s)`);
    else process.stderr.write(`vigil rollout: stopped after ${r.steps} steps (${secs} s): ${r.message}\n`);
    return r.code;
  } catch (e) {
    process.stderr.write(`vigil rollout: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    nodes.close();
    monitors.close();
  }
}
