/**
 * The demo: a real replication group (one primary, two replicas) watched by three Vigil
 * monitors, every process run by the `local` driver's supervisor. A client writes through
 * Sentinel discovery; act 1 kills the primary with kill -9 and shows the failover event by
 * event; act 2 changes the configuration of every node and rolls it out with `vigil rollout`,
 * the primary role handed over before the primary is touched, while the writer carries on.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { parseInfo } from '../core/info.js';
import { createDiscoveryClient, createNodeClient } from '../node/client.js';
import { waitUntil } from '../node/local-process.js';
import { killSupervisedSync, readNodeState, spawnSupervisor } from '../node/supervised.js';
import { LocalGroup } from '../rollout/drivers/local-group.js';
import { runRolloutCli } from './rollout.js';

const NAME = 'mymaster';

function stamp(t0: number): string {
  return `+${((Date.now() - t0) / 1000).toFixed(3)}s`.padStart(9);
}

export async function runDemo(opts: { keep: boolean; basePort: number }): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${stamp(t0)}  ${s}\n`);
  const clients: Redis[] = [];
  let group: LocalGroup | undefined;
  let code = 0;
  try {
    const ports = opts.basePort > 0 ? [0, 1, 2, 10, 11, 12].map((o) => opts.basePort + o) : undefined;
    group = await LocalGroup.start({ root, name: NAME, replicas: 2, monitors: 3, downAfterMs: 1000, ports });
    // The supervisors are detached (they outlive a rollout): stop them if the demo is interrupted.
    const started = group;
    process.on('exit', () => killSupervisedSync(started.states()));
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
    const pPort = group.data[0]!.port;
    const monitors = group.monitors;
    say(
      `started redis-server primary on 127.0.0.1:${pPort} and replicas on ${group.data
        .slice(1)
        .map((n) => n.port)
        .join(', ')}, each run by a \`vigil node\` supervisor from ${join(root, 'redis-N', 'node.conf')}`,
    );
    const sentinels = monitors.map((m) => ({ host: '127.0.0.1', port: m.port }));
    say(`started 3 Vigil monitors (quorum 2) on ports ${monitors.map((m) => m.port).join(', ')}`);
    process.stdout.write(
      `\n  Connect like to any Redis Sentinel:\n` +
        `    redis-cli -p ${monitors[0]?.port} SENTINEL GET-MASTER-ADDR-BY-NAME ${NAME}\n` +
        `    ioredis: new Redis({ sentinels: ${JSON.stringify(sentinels)}, name: '${NAME}' })\n` +
        `    redis-py: Sentinel(${JSON.stringify(sentinels.map((s) => [s.host, s.port]))}).master_for('${NAME}')\n\n`,
    );

    // LocalGroup.start has waited until every monitor knows both replicas and its two peers.
    for (const m of monitors) {
      const c = createNodeClient({ host: '127.0.0.1', port: m.port, lazyConnect: true });
      await c.connect();
      clients.push(c);
    }
    say('every monitor sees 2 replicas and 2 peer monitors');
    // A replica that has not finished its first sync holds nothing: Vigil would refuse to promote
    // it (Sentinel would not). Wait until every monitor judges both replicas safe to promote.
    for (const [idx, c] of clients.entries()) {
      await waitUntil(
        `monitor ${idx + 1} to see both replicas in sync`,
        async () => {
          const rows = (await c.call('SENTINEL', 'CANDIDATES', NAME)) as string[][];
          return rows.length === 2 && rows.every((r) => r[r.indexOf('eligible') + 1] === 'yes');
        },
        30_000,
      );
    }
    say('both replicas have synced: every monitor would promote either (vigil candidates shows why)');

    const interesting = new Set([
      '+sdown',
      '+odown',
      '+try-failover',
      '+vote-for-leader',
      '+elected-leader',
      '+selected-slave',
      '+promoted-slave',
      '+slave-reconf-done',
      '+failover-end',
      '+config-update-from',
      '+switch-master',
      '+convert-to-slave',
    ]);
    let switched: string | undefined;
    let switchedAt = 0;
    for (const [idx, m] of monitors.entries()) {
      const events = createNodeClient({ host: '127.0.0.1', port: m.port });
      clients.push(events);
      events.on('pmessage', (_p: string, channel: string, msg: string) => {
        if (!interesting.has(channel)) return;
        say(`monitor ${idx + 1}: ${channel} ${msg}`);
        if (channel === '+switch-master' && switched === undefined) {
          switched = msg;
          switchedAt = Date.now();
        }
      });
      await events.psubscribe('*');
    }

    const writer = createDiscoveryClient({
      sentinels,
      name: NAME,
      protocol: 3,
      reconnectMs: 50,
      sentinelRetryMs: 100,
      maxRetriesPerRequest: 1,
      commandTimeoutMs: 500,
    });
    clients.push(writer);
    let acked = 0;
    const ackedKeys: string[] = [];
    let failed = 0;
    let lastAck = Date.now();
    let longestGap = 0;
    let running = true;
    const write = async () => {
      let seq = 0;
      while (running) {
        seq++;
        try {
          await writer.set(`demo:${seq}`, String(seq));
          ackedKeys.push(`demo:${seq}`);
          const now = Date.now();
          longestGap = Math.max(longestGap, now - lastAck);
          lastAck = now;
          acked++;
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const writing = write();
    await new Promise((r) => setTimeout(r, 2000));
    say(`writer running through Sentinel discovery: ${acked} writes acknowledged so far`);

    say(`kill -9 of the primary (127.0.0.1:${pPort})`);
    const killedAt = Date.now();
    const primaryState = readNodeState(group.data[0]!.dir)!;
    process.kill(primaryState.pid, 'SIGKILL');
    longestGap = 0;
    await waitUntil('+switch-master', () => Promise.resolve(switched !== undefined), 60_000);
    const before = acked;
    await waitUntil(
      'the writer to resume on the new primary',
      () => Promise.resolve(acked > before + 50),
      30_000,
    );
    say(`writer resumed: ${acked - before} more writes acknowledged on the new primary`);
    const newPrimary = switched?.split(' ').slice(3).join(':');
    process.stdout.write(
      `\n  Failover done: new primary ${newPrimary}\n` +
        `  writes acknowledged: ${acked}, failed while the primary was down: ${failed}\n` +
        `  longest time without an acknowledged write: ${longestGap} ms (from the kill to the first write on the new primary: down-after 1000 ms plus the failover)\n` +
        `  time from kill -9 to the first +switch-master: ${switchedAt - killedAt} ms\n\n`,
    );

    // Act 2: bring the killed node back, then roll a configuration change through the group.
    say(`restarting the killed node 127.0.0.1:${pPort}: it comes back as a replica of the new primary`);
    await spawnSupervisor(group.data[0]!.dir, primaryState.argv);
    await waitUntil(
      'the old primary to rejoin as a replica',
      async () => {
        const c = createNodeClient({ host: '127.0.0.1', port: pPort, lazyConnect: true });
        try {
          await c.connect();
          const info = parseInfo(await c.info('replication'));
          return info.role === 'slave' && info.masterLinkUp === true;
        } finally {
          c.disconnect();
        }
      },
      30_000,
    );
    say('every node is back: 1 primary, 2 replicas in sync');
    for (const n of group.data) appendFileSync(join(n.dir, 'node.conf'), 'maxmemory-samples 7\n');
    say('changed every node.conf (maxmemory-samples 7): rolling it out with `vigil rollout`');
    process.stdout.write(
      `\n  vigil rollout ${NAME} --sentinel 127.0.0.1:${monitors[0]!.port} --local-root ${root}\n\n`,
    );
    longestGap = 0;
    lastAck = Date.now();
    const failedBefore = failed;
    const ackedBefore = acked;
    const rollCode = await runRolloutCli(NAME, {
      sentinel: [`127.0.0.1:${monitors[0]!.port}`],
      localRoot: root,
      gateTimeout: '60',
      restartTimeout: '60',
      maxLagBytes: '0',
    });
    const rollGap = longestGap;
    running = false;
    await writing;
    const final = (await clients[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string];
    const check = createNodeClient({ host: final[0], port: Number(final[1]), reconnectMs: 50 });
    clients.push(check);
    let missing = 0;
    for (let i = 0; i < ackedKeys.length; i += 500) {
      const batch = ackedKeys.slice(i, i + 500);
      const values = await check.mget(batch);
      missing += values.filter((v) => v === null).length;
    }
    process.stdout.write(
      `\n  Rolling restart ${rollCode === 0 ? 'done' : `stopped (exit ${rollCode})`}: every node restarted with the new configuration, primary now ${final[0]}:${final[1]}\n` +
        `  writes acknowledged during the rollout: ${acked - ackedBefore}, failed: ${failed - failedBefore}\n` +
        `  longest time without an acknowledged write during the rollout: ${rollGap} ms (no reactive failover: the role was handed over before the primary restarted)\n` +
        `  acknowledged writes missing on the final primary, over the whole demo: ${missing} of ${ackedKeys.length}\n\n`,
    );
    if (rollCode !== 0 || missing > 0) code = 1;
    if (opts.keep) {
      say('--keep: the group keeps running; press Ctrl-C to stop it');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
  } catch (e) {
    process.stderr.write(`vigil demo: ${(e as Error).message}\n  (files kept in ${root} for inspection)\n`);
    code = 1;
  } finally {
    for (const c of clients) c.disconnect();
    await group?.stop();
    if (code === 0) rmSync(root, { recursive: true, force: true });
    say('stopped every process the demo started');
  }
  return code;
}
