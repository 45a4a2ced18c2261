/**
 * The window Vigil's wiped-primary guard works in: after a primary with persistence off is
 * killed and restarted empty, how long until its replicas have resynced the emptiness (no
 * monitor at all), and how soon Vigil promotes a replica in the same scenario.
 *
 *   node dist/bench/wipe-window.js [--runs 3] [--delays 5,0]
 *
 * `delays` are repl-diskless-sync-delay values: 5 is Redis's default.
 */
import {
  RedisGroup,
  SentinelProcess,
  cleanupAll,
  nowMs,
  waitFor,
  type RedisServer,
} from '../test/harness/index.js';

const NAME = 'mymaster';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

async function dbsize(n: RedisServer): Promise<number> {
  return Number(await n.cli('DBSIZE'));
}

async function group(delay: number): Promise<RedisGroup> {
  const g = await RedisGroup.start({
    replicas: 2,
    persistence: 'none',
    extraConfig: [`repl-diskless-sync-delay ${delay}`],
  });
  const c = g.primary.client();
  const p = c.pipeline();
  for (let i = 0; i < 1000; i++) p.set(`k:${i}`, String(i));
  await p.exec();
  for (const r of g.replicas)
    await waitFor(async () => (await dbsize(r)) === 1000, { what: 'replica filled', timeoutMs: 10_000 });
  return g;
}

/** ms from the empty restart until the first replica has 0 keys. */
async function windowWithoutMonitor(delay: number): Promise<number> {
  const g = await group(delay);
  await g.primary.restart({ mode: 'kill9', downMs: 200 });
  const t0 = nowMs();
  await waitFor(async () => (await Promise.all(g.replicas.map(dbsize))).some((n) => n === 0), {
    what: 'a replica to be wiped',
    timeoutMs: 30_000,
    intervalMs: 5,
  });
  const ms = nowMs() - t0;
  await g.stopAll({ kill: true });
  return ms;
}

/**
 * ms from the empty restart until Vigil has promoted a replica (+promoted-slave: from then on no
 * replica resyncs from the empty node), and the keys the group's primary holds afterwards.
 */
async function vigilReaction(delay: number): Promise<{ ms: number; keys: number }> {
  const g = await group(delay);
  const s = await SentinelProcess.start({
    kind: 'vigil',
    masters: [g.monitorSpec(NAME, { quorum: 1, downAfterMs: 5000 })],
  });
  await s.waitForReplicas(NAME, 2);
  await waitFor(
    async () => {
      const rows = (await s.command('SENTINEL', 'CANDIDATES', NAME)) as string[][];
      return rows.length === 2 && rows.every((r) => r[r.indexOf('eligible') + 1] === 'yes');
    },
    { what: 'replicas eligible', timeoutMs: 15_000 },
  );
  const ev = await s.subscribe('*');
  await g.primary.restart({ mode: 'kill9', downMs: 200 });
  const t0 = nowMs();
  const promoted = await ev.waitForEvent('+promoted-slave', undefined, 15_000);
  const sw = await ev.waitForEvent('+switch-master', undefined, 15_000);
  const ms = promoted.at - t0;
  const port = Number(sw.payload.split(' ')[4]);
  await new Promise((r) => setTimeout(r, delay * 1000 + 1500));
  const keys = await dbsize(g.nodes.find((n) => n.port === port)!);
  await s.stop();
  await g.stopAll({ kill: true });
  return { ms, keys };
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  const delays = arg('delays', '5,0').split(',').map(Number);
  process.on('SIGINT', () => void cleanupAll().then(() => process.exit(130)));
  try {
    for (const delay of delays) {
      const windows: number[] = [];
      const reactions: number[] = [];
      const kept: number[] = [];
      for (let i = 0; i < runs; i++) {
        windows.push(await windowWithoutMonitor(delay));
        const v = await vigilReaction(delay);
        reactions.push(v.ms);
        kept.push(v.keys);
      }
      const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
      process.stdout.write(
        `repl-diskless-sync-delay ${delay}${delay === 5 ? ' (default)' : ''}:\n` +
          `  replicas wiped after the empty restart, no monitor (ms): ${fmt(windows)}\n` +
          `  Vigil promoted a replica after the restart (ms):        ${fmt(reactions)}\n` +
          `  keys on Vigil's new primary (of 1000):                   ${kept.join(', ')}\n`,
      );
    }
    process.stdout.write(
      `reproduce: node dist/bench/wipe-window.js --runs ${runs} --delays ${delays.join(',')}\n`,
    );
  } finally {
    await cleanupAll();
  }
}

await main();
