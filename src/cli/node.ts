/**
 * `vigil node <config>`: the command line of the process supervisor (node/supervisor.ts), which
 * runs one redis-server (or, with --monitor, one Vigil monitor) and hands the primary role over
 * through the monitors before it stops the server.
 *
 * Under systemd: ExecStart=vigil node /etc/redis/redis.conf --sentinel 10.0.0.5:26379 --name
 * mymaster, with TimeoutStopSec above --grace.
 */
import { resolve } from 'node:path';
import { COORDINATED_MAX_TIMEOUT } from '../core/constants.js';
import type { Addr } from '../core/types.js';
import { errorMessage } from '../node/errors.js';
import { runSupervisor, type SupervisorOptions } from '../node/supervisor.js';
import { parseEndpoint, UsageError } from './common.js';

export interface NodeOptions {
  monitor?: boolean | undefined;
  sentinel?: string[] | undefined;
  name?: string | undefined;
  password?: string | undefined;
  user?: string | undefined;
  authPass?: string | undefined;
  authUser?: string | undefined;
  grace: string;
  server?: string | undefined;
  runtimeConfig?: string | undefined;
  monitorServer?: string | undefined;
  restartDelay?: string | undefined;
}

function supervisorOptions(config: string, extra: string[], opts: NodeOptions): SupervisorOptions {
  const grace = Number(opts.grace);
  if (!Number.isInteger(grace) || grace < 2 * COORDINATED_MAX_TIMEOUT)
    throw new UsageError(
      `--grace takes milliseconds, at least ${2 * COORDINATED_MAX_TIMEOUT} (twice the longest switchover)`,
    );
  const monitors: Addr[] = [];
  for (const s of opts.sentinel ?? []) for (const part of s.split(',')) monitors.push(parseEndpoint(part));
  if (monitors.length > 0 && opts.name === undefined)
    throw new UsageError('--sentinel needs --name (the monitored name of the group)');
  const restartDelay = Number(opts.restartDelay ?? 0);
  if (!Number.isInteger(restartDelay) || restartDelay < 0)
    throw new UsageError('--restart-delay takes milliseconds, e.g. --restart-delay 3000');
  return {
    configPath: resolve(config),
    kind: opts.monitor === true ? 'monitor' : 'data',
    extraArgs: extra,
    handover:
      monitors.length > 0 && opts.name !== undefined
        ? {
            monitors,
            name: opts.name,
            monitorAuth: { password: opts.password, user: opts.user },
            nodeAuth: { password: opts.authPass, user: opts.authUser },
          }
        : undefined,
    graceMs: grace,
    server: opts.server ?? 'redis-server',
    monitorServer: opts.monitorServer,
    runtimeConfig: opts.runtimeConfig !== undefined ? resolve(opts.runtimeConfig) : undefined,
    restartDelayMs: restartDelay,
    argv: process.argv.slice(process.argv.indexOf('node') + 1),
  };
}

export async function runNode(config: string, extra: string[], opts: NodeOptions): Promise<number> {
  try {
    return await runSupervisor(supervisorOptions(config, extra, opts));
  } catch (e) {
    process.stderr.write(`vigil node: ${errorMessage(e)}\n`);
    return 1;
  }
}
