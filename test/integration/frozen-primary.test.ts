/**
 * A primary that is frozen (SIGSTOP) past down-after, failed over, and then resumed still
 * believes it is the primary. Under a continuous writer: at any moment at most one node
 * accepts writes, and no acknowledged write is lost.
 *
 * Two things make that hold. Vigil demotes the resumed node the moment a link to it opens (its
 * SLAVEOF waits in the frozen node's socket), where Sentinel waits 8 seconds; and the group runs
 * with `min-replicas-to-write 1` / `min-replicas-max-lag 1`, so the writes that reached the
 * frozen node meanwhile are refused (NOREPLICAS) instead of acknowledged when it wakes up. That
 * setting is what bounds the damage while a primary is out of reach; `vigil doctor` flags its
 * absence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import {
  ContinuousWriter,
  onCleanup,
  RedisGroup,
  registerCleanupHooks,
  SentinelProcess,
  waitFor,
  type RedisServer,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';
/** The wake-up instant: how long after SIGCONT a frozen node may still run writes queued while it slept. */
const WAKE_UP_MS = 50;

interface ProbeOk {
  at: number;
  port: number;
  key: string;
}

/** Writes straight to one node, every few ms, recording which writes it acknowledged. */
function probe(node: RedisServer, oks: ProbeOk[], stop: () => boolean): Promise<void> {
  const c = new Redis({
    host: '127.0.0.1',
    port: node.port,
    retryStrategy: () => 20,
    maxRetriesPerRequest: 0,
    commandTimeout: 200,
    enableOfflineQueue: false,
  });
  c.on('error', () => undefined);
  onCleanup(`probe ${node.port}`, () => c.disconnect());
  return (async () => {
    let n = 0;
    while (!stop()) {
      const key = `probe:${node.port}:${++n}`;
      try {
        if ((await c.set(key, '1')) === 'OK') oks.push({ at: Date.now(), port: node.port, key });
      } catch {
        // Refused (READONLY, NOREPLICAS), timed out or not connected: not accepted.
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    c.disconnect();
  })();
}

test('a frozen primary, failed over and resumed: one writable primary at a time, no acknowledged write lost', async () => {
  const safety = ['min-replicas-to-write 1', 'min-replicas-max-lag 1'];
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none', extraConfig: safety });
  const monitors: SentinelProcess[] = [];
  for (let i = 0; i < 3; i++) {
    monitors.push(
      await SentinelProcess.start({
        kind: 'vigil',
        masters: [group.monitorSpec(NAME, { quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000 })],
      }),
    );
  }
  for (const m of monitors) await m.waitForSentinels(NAME, 2, 15_000);
  const events = await monitors[0]!.subscribe('*');
  const old = group.primary;

  const writer = new ContinuousWriter({
    client: () => {
      const c = new Redis({
        sentinels: monitors.map((m) => ({ host: '127.0.0.1', port: m.port })),
        name: NAME,
        retryStrategy: () => 50,
        sentinelRetryStrategy: () => 50,
        maxRetriesPerRequest: 1,
        commandTimeout: 500,
      });
      c.on('error', () => undefined);
      return c;
    },
    commandTimeoutMs: 500,
    maxDurationMs: 40_000,
  });
  writer.start();
  await writer.waitForAcks(200);
  // Writes may be refused while no replica is caught up; the probes only record acceptances.
  let probing = true;
  const oks: ProbeOk[] = [];
  const probes = group.nodes.map((n) => probe(n, oks, () => !probing));
  await new Promise((r) => setTimeout(r, 500));

  const frozenAt = Date.now();
  await old.pause();
  const sw = await events.waitForEvent('+switch-master', undefined, 15_000);
  const newPort = Number(sw.payload.split(' ')[4]);
  assert.notEqual(newPort, old.port);
  // Stay frozen well past the failover, so clients and probes pile writes into the old primary.
  await new Promise((r) => setTimeout(r, Math.max(0, frozenAt + 4000 - Date.now())));
  const resumedAt = Date.now();
  await old.resume();

  await waitFor(async () => (await old.role()).role === 'replica', {
    what: 'the resumed old primary to be demoted',
    timeoutMs: 5000,
  });
  const demotedAfterMs = Date.now() - resumedAt;
  await writer.waitForAcks(writer.acknowledged + 100);
  probing = false;
  await Promise.all(probes);
  const report = await writer.stop();

  // One writable primary at a time. The only exception Redis allows: writes already queued in the
  // frozen node's sockets run the instant it wakes, before anything from outside can reach it.
  // Those must be confined to that instant, and (checked below) salvaged into the new primary.
  const firstOnNew = oks.find((o) => o.port === newPort);
  assert.ok(firstOnNew, 'the new primary accepted writes');
  const oldAfter = oks.filter((o) => o.port === old.port && o.at >= firstOnNew.at);
  const rel = (t: number) => t - frozenAt;
  const outsideWakeUp = oldAfter.filter((o) => o.at - resumedAt > WAKE_UP_MS);
  assert.deepEqual(
    outsideWakeUp.map((o) => `${o.key} at +${rel(o.at)} ms`),
    [],
    `the old primary accepted writes after its wake-up instant (resumed at +${rel(resumedAt)}; events: ${events.describe(40)})`,
  );
  const otherAccepts = oks.filter((o) => o.port !== old.port && o.port !== newPort);
  assert.deepEqual(otherAccepts, [], 'a replica accepted writes');

  // No acknowledged write lost, the writer's and the probes'.
  const primary = await group.currentPrimary();
  assert.equal(primary?.port, newPort);
  const verify = await writer.verify(primary);
  assert.equal(verify.lost, 0, `lost acknowledged writes: ${verify.lostKeys.join(', ')}`);
  const c = primary.client();
  const probeKeys = oks.map((o) => o.key);
  for (let i = 0; i < probeKeys.length; i += 500) {
    const vals = await c.mget(...probeKeys.slice(i, i + 500));
    const missing = probeKeys.slice(i, i + 500).filter((_, j) => vals[j] === null);
    assert.deepEqual(missing, [], 'acknowledged probe writes missing on the final primary');
  }
  assert.ok(report.acknowledged > 300);
  assert.ok(demotedAfterMs < 2000, `demoted ${demotedAfterMs} ms after resuming`);
  // The leader salvaged what the old primary took after the fork, then demoted it.
  const leader = monitors.find((m) => /\+salvage /.test(m.logTail(200)));
  assert.ok(leader, 'one monitor reports +salvage');
  assert.ok(monitors.some((m) => /\+convert-to-slave /.test(m.logTail(200))));
});
