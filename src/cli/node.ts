/**
 * `vigil node <config>`: runs one redis-server (or, with --monitor, one Vigil monitor) from its
 * config file and supervises it. When the supervisor is asked to stop (SIGTERM, SIGINT, a
 * rollout, an init system) while its server is a primary with replicas, it first asks the
 * monitors for a coordinated switchover and waits for it, within a grace period, and only then
 * stops the server: a routine stop never costs a reactive failover. This is what Valkey 9's
 * shutdown-on-sigterm failover does for a cluster, for a monitored replication group.
 *
 * Under systemd: ExecStart=vigil node /etc/redis/redis.conf --sentinel 10.0.0.5:26379 --name
 * mymaster, with TimeoutStopSec above --grace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { COORDINATED_MAX_TIMEOUT } from '../core/constants.js';
import { configHash, configPort, STATE_FILE, vigilBin, type NodeState } from '../rollout/drivers/local.js';
import { requestSwitchover } from '../rollout/handover.js';
import { ConnPool } from '../rollout/observe.js';
import type { NodeAddr } from '../rollout/types.js';
import { writeFileAtomic } from '../sentinel/config/rewrite.js';
import { errorMessage, parseEndpoint, parseInfoText } from './common.js';

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
}

function firstBind(text: string): string {
  for (const raw of text.split('\n')) {
    const m = /^\s*bind\s+(\S+)/i.exec(raw);
    if (m?.[1]) return m[1].replace(/^-/, '').replace(/^"|"$/g, '');
  }
  return '127.0.0.1';
}

export async function runNode(config: string, extra: string[], opts: NodeOptions): Promise<number> {
  const configPath = resolve(config);
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    process.stderr.write(`vigil node: cannot read ${configPath}: ${errorMessage(e)}\n`);
    return 1;
  }
  const kind = opts.monitor === true ? 'monitor' : 'data';
  const grace = Number(opts.grace);
  if (!Number.isInteger(grace) || grace < 2 * COORDINATED_MAX_TIMEOUT) {
    process.stderr.write(
      `vigil node: --grace takes milliseconds, at least ${2 * COORDINATED_MAX_TIMEOUT} (twice the longest switchover)\n`,
    );
    return 1;
  }
  const monitors: NodeAddr[] = [];
  try {
    for (const s of opts.sentinel ?? []) for (const part of s.split(',')) monitors.push(parseEndpoint(part));
  } catch (e) {
    process.stderr.write(`vigil node: ${errorMessage(e)}\n`);
    return 1;
  }
  if (monitors.length > 0 && opts.name === undefined) {
    process.stderr.write('vigil node: --sentinel needs --name (the monitored name of the group)\n');
    return 1;
  }
  const self: NodeAddr = { host: firstBind(text), port: configPort(text, kind) };
  const tag = `[vigil node ${self.host}:${self.port}]`;
  const say = (s: string) => process.stdout.write(`${new Date().toISOString()} ${tag} ${s}\n`);

  const file = kind === 'monitor' ? process.execPath : (opts.server ?? 'redis-server');
  const args =
    kind === 'monitor'
      ? [join(dirname(vigilBin()), 'vigil-sentinel'), configPath, ...extra]
      : [configPath, ...extra];
  const child: ChildProcess = spawn(file, args, { stdio: 'inherit' });
  const exited = new Promise<number>((r) =>
    child.on('exit', (code, signal) => r(code ?? (signal === 'SIGTERM' ? 0 : 1))),
  );
  child.on('error', (e) => say(`cannot start ${file}: ${e.message}`));
  const state: NodeState = {
    kind,
    host: self.host,
    port: self.port,
    supervisorPid: process.pid,
    pid: child.pid ?? -1,
    configPath,
    configHash: configHash(text),
    executable: file,
    args: extra,
    startedAtMs: Date.now(),
    argv: process.argv.slice(process.argv.indexOf('node') + 1),
  };
  writeFileAtomic(join(dirname(configPath), STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  say(`started ${kind === 'monitor' ? 'monitor' : 'redis-server'} pid ${state.pid} from ${configPath}`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    if (kind === 'data' && monitors.length > 0 && opts.name !== undefined) {
      try {
        await handOver(self, monitors, opts.name, opts, grace - 2000, say);
      } catch (e) {
        say(`handover failed (${errorMessage(e)}): stopping anyway`);
      }
    }
    child.kill('SIGTERM');
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void stop(sig));
  const code = await exited;
  say(`${kind === 'monitor' ? 'monitor' : 'redis-server'} exited (${code})`);
  return stopping ? 0 : code;
}

/** If this node is a primary with a replica attached, hand the role over and wait for it. */
async function handOver(
  self: NodeAddr,
  monitors: readonly NodeAddr[],
  name: string,
  opts: NodeOptions,
  budgetMs: number,
  say: (s: string) => void,
): Promise<void> {
  const nodes = new ConnPool({ password: opts.authPass, user: opts.authUser });
  const mons = new ConnPool({ password: opts.password, user: opts.user });
  const t0 = Date.now();
  const deadline = t0 + budgetMs;
  const isPrimary = async () =>
    parseInfoText(await nodes.call(self, 'INFO', 'replication'))['role'] === 'master';
  try {
    const info = parseInfoText(await nodes.call(self, 'INFO', 'replication'));
    if (info['role'] !== 'master') return say('a replica: no handover needed');
    if (Number(info['connected_slaves'] ?? 0) === 0)
      return say(
        'a primary with no replica attached: nothing to hand over to, stopping it (writes fail until it is back)',
      );
    say(`a primary: asking the monitors of ${name} for a coordinated switchover before stopping`);
    let lastRefusal = '';
    while (Date.now() < deadline) {
      const r = await requestSwitchover(mons, monitors, name);
      if (!r.ok && r.kind === 'unreachable')
        return say(`${r.message}: stopping without a handover (the monitors will fail over)`);
      if (!r.ok && r.kind !== 'inprog' && r.message !== lastRefusal) {
        lastRefusal = r.message;
        say(`switchover not started: ${r.message} (retrying until the grace period ends)`);
      }
      // Started, or already running: wait for the role to move.
      const until = Math.min(deadline, Date.now() + (r.ok || (!r.ok && r.kind === 'inprog') ? 15_000 : 500));
      while (Date.now() < until) {
        if (!(await isPrimary())) return say(`handed over in ${Date.now() - t0} ms: now a replica, stopping`);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    say(`no handover within ${budgetMs} ms: stopping as a primary (the monitors will fail over)`);
  } finally {
    nodes.close();
    mons.close();
  }
}
