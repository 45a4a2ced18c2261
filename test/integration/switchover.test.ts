/**
 * Coordinated switchover: SENTINEL FAILOVER <name> COORDINATED hands the primary role over with
 * writes paused and clients disconnected at the switch, so no acknowledged write is lost; and
 * every way it can go wrong ends with one writable primary and clients served.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import {
  ContinuousWriter,
  RedisGroup,
  registerCleanupHooks,
  SentinelProcess,
  waitFor,
  type EventRecorder,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';

async function setup(monitors = 3) {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const sentinels: SentinelProcess[] = [];
  for (let i = 0; i < monitors; i++) {
    sentinels.push(
      await SentinelProcess.start({
        kind: 'vigil',
        masters: [
          group.monitorSpec(NAME, {
            quorum: Math.min(2, monitors),
            downAfterMs: 2000,
            failoverTimeoutMs: 10_000,
          }),
        ],
      }),
    );
  }
  for (const s of sentinels) {
    await s.waitForReplicas(NAME, 2, 15_000);
    if (monitors > 1) await s.waitForSentinels(NAME, monitors - 1, 15_000);
  }
  return { group, sentinels };
}

function writerFor(sentinels: SentinelProcess[], id: string): ContinuousWriter {
  return new ContinuousWriter({
    writerId: id,
    client: () => {
      const c = new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name: NAME,
        retryStrategy: () => 10,
        sentinelRetryStrategy: () => 10,
        maxRetriesPerRequest: 2,
        commandTimeout: 1000,
      });
      c.on('error', () => undefined);
      return c;
    },
    commandTimeoutMs: 1000,
    maxDurationMs: 60_000,
  });
}

async function allAgree(sentinels: SentinelProcess[], port: number): Promise<void> {
  await waitFor(
    async () => {
      for (const s of sentinels) if ((await s.masterAddr(NAME))?.port !== port) return false;
      return true;
    },
    { what: `every monitor to report port ${port}`, timeoutMs: 10_000 },
  );
}

async function waitSwitch(events: EventRecorder): Promise<number> {
  const sw = await events.waitForEvent('+switch-master', undefined, 15_000);
  return Number(sw.payload.split(' ')[4]);
}

test('a coordinated switchover under continuous writers loses no acknowledged write', async () => {
  const { group, sentinels } = await setup();
  const writers = [writerFor(sentinels, 'a'), writerFor(sentinels, 'b')];
  for (const w of writers) w.start();
  for (const w of writers) await w.waitForAcks(200);
  const events = await sentinels[1]!.subscribe('*');
  const old = group.primary.port;
  assert.equal(await sentinels[1]!.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED'), 'OK');
  const port = await waitSwitch(events);
  assert.notEqual(port, old);
  await allAgree(sentinels, port);
  for (const w of writers) await w.waitForAcks(w.acknowledged + 200);
  const reports = await Promise.all(writers.map((w) => w.stop()));
  const primary = await group.currentPrimary();
  assert.equal(primary?.port, port);
  for (const w of writers) assert.equal((await w.verify(primary)).lost, 0);
  // The old primary now replicates from the new one.
  const oldNode = group.nodes.find((n) => n.port === old)!;
  await waitFor(async () => (await oldNode.role()).role === 'replica', {
    what: 'old primary a replica',
    timeoutMs: 5000,
  });
  const gap = Math.max(...reports.map((r) => r.longestGapMs));
  console.log(`# longest write gap during the switchover: ${gap} ms`);
  console.log(
    events
      .describe(30)
      .split('\n')
      .map((l) => `# ${l}`)
      .join('\n'),
  );
  console.log(`# gaps: ${JSON.stringify(reports.map((r) => r.gaps))}`);
  if (process.env.VIGIL_DEBUG_SWITCH) {
    for (const n of group.nodes)
      console.log(
        n
          .logTail(25)
          .split('\n')
          .map((l) => `# ${n.port}: ${l}`)
          .join('\n'),
      );
  }
  assert.ok(gap < 2000, `longest gap ${gap} ms`);
});

test('a second request while one runs gets -INPROG; an ineligible --to is refused with the reason', async () => {
  const { group, sentinels } = await setup(1);
  const s = sentinels[0]!;
  const replica = group.replicas[0]!;
  await replica.cli('CONFIG', 'SET', 'replica-priority', '0');
  await waitFor(
    async () => {
      const rows = (await s.command('SENTINEL', 'CANDIDATES', NAME)) as string[][];
      return rows.some((r) => r[r.indexOf('reason') + 1] === 'replica-priority is 0');
    },
    { what: 'the priority change to be seen', timeoutMs: 15_000 },
  );
  await assert.rejects(
    s.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED', 'TO', '127.0.0.1', String(replica.port)),
    /NOGOODSLAVE .* cannot take over: it replica-priority is 0/,
  );
  const events = await s.subscribe('*');
  assert.equal(await s.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED', 'TIMEOUT', '3000'), 'OK');
  await assert.rejects(s.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED'), /INPROG/);
  const port = await waitSwitch(events);
  assert.equal(port, group.replicas[1]!.port);
});

test('target not caught up in time: the handover is aborted, the old primary stays and takes writes', async () => {
  const { group, sentinels } = await setup(1);
  const s = sentinels[0]!;
  const target = group.replicas[0]!;
  const events = await s.subscribe('*');
  // A frozen target can never catch up.
  await target.pause();
  assert.equal(
    await s.command(
      'SENTINEL',
      'FAILOVER',
      NAME,
      'COORDINATED',
      'TO',
      '127.0.0.1',
      String(target.port),
      'TIMEOUT',
      '300',
    ),
    'OK',
  );
  const abort = await events.waitForEvent('-failover-abort-coordinated', undefined, 10_000);
  assert.match(abort.payload, /did not take over|went down/);
  await target.resume();
  assert.equal((await group.primary.role()).role, 'master');
  const c = group.primary.client();
  assert.equal(await c.set('after-abort', '1'), 'OK');
  assert.equal((await s.masterAddr(NAME))?.port, group.primary.port);
});

test('the leading monitor dies mid-way: the others finish or undo it; one writable primary, nothing lost', async () => {
  const { group, sentinels } = await setup();
  const writer = writerFor(sentinels, 'c');
  writer.start();
  await writer.waitForAcks(200);
  const leader = sentinels[2]!;
  const leaderEvents = await leader.subscribe('*');
  const watch = await sentinels[0]!.subscribe('*');
  assert.equal(await leader.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED'), 'OK');
  await leaderEvents.waitForEvent('+coordinated-handover', undefined, 10_000);
  await leader.kill9();
  const survivors = sentinels.slice(0, 2);
  // Either the handover completed on the nodes (and the survivors adopt it) or the pause expired
  // and the old primary simply carries on: one primary in the end, and the survivors agree.
  let primaryPort = 0;
  await waitFor(
    async () => {
      const p = await group.currentPrimary();
      if (!p) return false;
      for (const s of survivors) if ((await s.masterAddr(NAME))?.port !== p.port) return false;
      primaryPort = p.port;
      return true;
    },
    { what: 'one primary that every surviving monitor reports', timeoutMs: 20_000 },
  );
  await writer.waitForAcks(writer.acknowledged + 200, 20_000);
  await writer.stop();
  const primary = group.nodes.find((n) => n.port === primaryPort)!;
  assert.equal((await writer.verify(primary)).lost, 0);
  console.log(
    `# outcome: ${primaryPort === group.primary.port ? 'undone (pause expired)' : `completed (adopted: ${watch.find('+failover-adopted').length > 0})`}`,
  );
});

test('the target dies mid-way: undone, or failed over again if it had already taken over; one live primary, nothing lost', async () => {
  const { group, sentinels } = await setup();
  const writer = writerFor(sentinels, 'd');
  writer.start();
  await writer.waitForAcks(200);
  const leader = sentinels[0]!;
  const events = await leader.subscribe('*');
  const target = group.replicas[0]!;
  assert.equal(
    await leader.command('SENTINEL', 'FAILOVER', NAME, 'COORDINATED', 'TO', '127.0.0.1', String(target.port)),
    'OK',
  );
  await events.waitForEvent('+coordinated-handover', undefined, 10_000);
  await target.kill9();
  await waitFor(
    async () => {
      const p = await group.currentPrimary().catch(() => undefined);
      if (!p || p === target) return false;
      for (const s of sentinels) if ((await s.masterAddr(NAME))?.port !== p.port) return false;
      return true;
    },
    { what: 'one live primary that every monitor reports', timeoutMs: 30_000 },
  );
  await writer.waitForAcks(writer.acknowledged + 200, 30_000);
  await writer.stop();
  const primary = (await group.currentPrimary())!;
  assert.equal((await writer.verify(primary)).lost, 0);
  console.log(
    `# outcome: ${
      events
        .find('-failover-abort-coordinated')
        .map((e) => e.payload)
        .join(' | ') || 'switched'
    }`,
  );
});
