/**
 * The demo: a real replication group (one primary, two replicas) watched by three Vigil
 * monitors, a client writing through Sentinel discovery, a kill -9 of the primary, and the
 * failover shown event by event while the writer carries on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, LocalMonitor, LocalRedis, waitUntil } from '../node/local-process.js';

const NAME = 'mymaster';

function stamp(t0: number): string {
  return `+${((Date.now() - t0) / 1000).toFixed(3)}s`.padStart(9);
}

async function port(base: number, offset: number): Promise<number> {
  return base > 0 ? base + offset : freePort();
}

export async function runDemo(opts: { keep: boolean; basePort: number }): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${stamp(t0)}  ${s}\n`);
  const nodes: LocalRedis[] = [];
  const monitors: LocalMonitor[] = [];
  const clients: Redis[] = [];
  let code = 0;
  try {
    const pPort = await port(opts.basePort, 0);
    const primary = new LocalRedis({ port: pPort, dir: join(root, `redis-${pPort}`) });
    nodes.push(primary);
    for (let i = 1; i <= 2; i++) {
      const p = await port(opts.basePort, i);
      nodes.push(
        new LocalRedis({
          port: p,
          dir: join(root, `redis-${p}`),
          replicaOf: { host: '127.0.0.1', port: pPort },
        }),
      );
    }
    for (const n of nodes) {
      n.writeConfig();
      await n.start();
    }
    say(
      `started redis-server primary on 127.0.0.1:${pPort} and replicas on ${nodes
        .slice(1)
        .map((n) => n.port)
        .join(', ')}`,
    );
    for (let i = 0; i < 3; i++) {
      const p = await port(opts.basePort, 10 + i);
      const m = new LocalMonitor(p, join(root, `vigil-${p}`), [
        `sentinel monitor ${NAME} 127.0.0.1 ${pPort} 2`,
        `sentinel down-after-milliseconds ${NAME} 1000`,
        `sentinel failover-timeout ${NAME} 10000`,
      ]);
      m.writeConfig();
      await m.start();
      monitors.push(m);
    }
    const sentinels = monitors.map((m) => ({ host: '127.0.0.1', port: m.port }));
    say(`started 3 Vigil monitors (quorum 2) on ports ${monitors.map((m) => m.port).join(', ')}`);
    process.stdout.write(
      `\n  Connect like to any Redis Sentinel:\n` +
        `    redis-cli -p ${monitors[0]?.port} SENTINEL GET-MASTER-ADDR-BY-NAME ${NAME}\n` +
        `    ioredis: new Redis({ sentinels: ${JSON.stringify(sentinels)}, name: '${NAME}' })\n` +
        `    redis-py: Sentinel(${JSON.stringify(sentinels.map((s) => [s.host, s.port]))}).master_for('${NAME}')\n\n`,
    );

    // Wait until every monitor knows both replicas and its two peers.
    for (const m of monitors) {
      const c = new Redis({ port: m.port, lazyConnect: true, protocol: 2, retryStrategy: () => null });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      await waitUntil(
        `monitor ${m.port} to discover the group`,
        async () => {
          const r = (await c.call('SENTINEL', 'MASTER', NAME)) as string[];
          const f = new Map<string, string>();
          for (let i = 0; i + 1 < r.length; i += 2) f.set(r[i] ?? '', r[i + 1] ?? '');
          return f.get('num-slaves') === '2' && f.get('num-other-sentinels') === '2';
        },
        20_000,
      );
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
      const events = new Redis({ port: m.port, protocol: 2, retryStrategy: () => null });
      events.on('error', () => undefined);
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

    const writer = new Redis({
      sentinels,
      name: NAME,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 50,
      protocol: 3,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
    });
    writer.on('error', () => undefined);
    clients.push(writer);
    let acked = 0;
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
    primary.kill9();
    longestGap = 0;
    await waitUntil('+switch-master', () => Promise.resolve(switched !== undefined), 60_000);
    const before = acked;
    await waitUntil(
      'the writer to resume on the new primary',
      () => Promise.resolve(acked > before + 50),
      30_000,
    );
    say(`writer resumed: ${acked - before} more writes acknowledged on the new primary`);
    running = false;
    await writing;
    const newPrimary = switched?.split(' ').slice(3).join(':');
    process.stdout.write(
      `\n  Failover done: new primary ${newPrimary}\n` +
        `  writes acknowledged: ${acked}, failed while the primary was down: ${failed}\n` +
        `  longest time without an acknowledged write: ${longestGap} ms (from the kill to the first write on the new primary: down-after 1000 ms plus the failover)\n` +
        `  time from kill -9 to the first +switch-master: ${switchedAt - killedAt} ms\n\n`,
    );
    if (opts.keep) {
      say('--keep: the group keeps running; press Ctrl-C to stop it');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
  } catch (e) {
    process.stderr.write(`vigil demo: ${(e as Error).message}\n  (files kept in ${root} for inspection)\n`);
    code = 1;
  } finally {
    for (const c of clients) c.disconnect();
    await Promise.all(monitors.map((m) => m.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
    if (code === 0) rmSync(root, { recursive: true, force: true });
    say('stopped every process the demo started');
  }
  return code;
}
