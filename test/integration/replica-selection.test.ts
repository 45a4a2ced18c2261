/**
 * Which replica a failover promotes, against real servers.
 *
 * Sentinel ranks the replicas it may promote by priority, then replication offset. The offset is
 * only a byte count: it says nothing about *whose* history a replica holds, and it restarts with
 * the process. antirez's A-B-C-D-E story: E replicated from another primary D, whose history
 * went further than that of A, the primary now failing; E has the highest offset and Sentinel
 * promotes it, throwing away everything A's replicas hold. Vigil promotes only a replica that
 * holds the failing primary's history (same replication id), has completed a sync since its own
 * restart, and lags no more than `max-lag-on-failover`; SENTINEL CANDIDATES says, replica by
 * replica, what a failover would do, and a refused failover publishes
 * `-failover-abort-no-good-slave` followed by one `-failover-refused-replica` per replica.
 * `failover-policy available` goes back to Sentinel's rules alone.
 *
 * The tests that wait for a monitor to notice a replica's state (priority, offset, replication id)
 * lower Vigil's INFO period to 1 s with SENTINEL DEBUG, instead of waiting up to 10 s each time.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  nowMs,
  pairsToRecord,
  parseInstanceDetails,
  RedisGroup,
  RedisServer,
  registerCleanupHooks,
  SentinelProcess,
  waitFor,
  waitForValue,
  type EventRecorder,
  type SentinelEvent,
  type SentinelKind,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;
const NOT_SYNCED = 'has not completed a sync with its primary since it restarted';

type Row = Record<string, string>;

interface Setup {
  group: RedisGroup;
  monitor: SentinelProcess;
  events: EventRecorder;
}

/** A group (primary first) watched by one monitor with quorum 1, and a recording of its events. */
async function setup(opts: {
  label: string;
  replicas: number;
  kind?: SentinelKind;
  /** Vigil only: SENTINEL DEBUG INFO-PERIOD 1000. */
  fastInfo?: boolean;
}): Promise<Setup> {
  const kind = opts.kind ?? 'vigil';
  const group = await RedisGroup.start({ replicas: opts.replicas, label: opts.label });
  const monitor = await SentinelProcess.start({
    kind,
    label: `${kind}-${opts.label}`,
    masters: [
      group.monitorSpec(NAME, {
        quorum: 1,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      }),
    ],
  });
  if (opts.fastInfo === true)
    assert.equal(await monitor.command('SENTINEL', 'DEBUG', 'INFO-PERIOD', '1000'), 'OK');
  await monitor.waitForReplicas(NAME, opts.replicas, 15_000);
  const events = await monitor.subscribe('*');
  return { group, monitor, events };
}

/** SENTINEL CANDIDATES, one record per replica. */
async function candidates(monitor: SentinelProcess): Promise<Row[]> {
  const reply = await monitor.command('SENTINEL', 'CANDIDATES', NAME);
  assert.ok(Array.isArray(reply), `SENTINEL CANDIDATES replied ${JSON.stringify(reply)}`);
  return reply.map(pairsToRecord);
}

function rowOf(rows: Row[], node: RedisServer): Row {
  const row = rows.find((r) => Number(r['port']) === node.port);
  assert.ok(row, `SENTINEL CANDIDATES does not list ${node.label} ${node.addr}: ${JSON.stringify(rows)}`);
  return row;
}

/** Polls SENTINEL CANDIDATES until `node`'s row satisfies `accept`; returns every row. */
function waitForCandidate(
  monitor: SentinelProcess,
  node: RedisServer,
  what: string,
  accept: (row: Row, rows: Row[]) => boolean,
  timeoutMs = 20_000,
): Promise<Row[]> {
  return waitForValue(
    () => candidates(monitor),
    (rows) => {
      const row = rows.find((r) => Number(r['port']) === node.port);
      return row !== undefined && accept(row, rows);
    },
    { what: `${monitor.label}: ${node.label} ${node.addr} ${what}`, timeoutMs, intervalMs: 100 },
  );
}

/** Every replica of the group known and eligible (synced with the primary's history). */
function waitForAllEligible(s: Setup): Promise<Row[]> {
  const n = s.group.replicas.length;
  return waitForValue(
    () => candidates(s.monitor),
    (rows) => rows.length === n && rows.every((r) => r['eligible'] === 'yes'),
    { what: `${s.monitor.label}: ${n} eligible replicas`, timeoutMs: 15_000, intervalMs: 100 },
  );
}

async function writeKeys(node: RedisServer, prefix: string, count: number, size: number): Promise<void> {
  const c = node.client();
  try {
    const pipe = c.pipeline();
    for (let i = 0; i < count; i++) pipe.set(`${prefix}:${i}`, `${i}:`.padEnd(size, 'x'));
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
  } finally {
    c.disconnect();
  }
}

/** How many of `<prefix>:0 .. <prefix>:<count-1>` the node holds. */
async function countKeys(node: RedisServer, prefix: string, count: number): Promise<number> {
  const c = node.client();
  try {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
    const values = await c.mget(keys);
    return values.filter((v) => v !== null).length;
  } finally {
    c.disconnect();
  }
}

async function offset(node: RedisServer): Promise<number> {
  return Number((await node.info('replication'))['master_repl_offset']);
}

async function replId(node: RedisServer): Promise<string> {
  const id = (await node.info('replication'))['master_replid'];
  assert.ok(id !== undefined && /^[0-9a-f]{40}$/.test(id), `${node.label} master_replid ${id}`);
  return id;
}

/** Waits until every node in `replicas` reports the same offset as `primary`. */
async function waitForCaughtUp(primary: RedisServer, replicas: readonly RedisServer[]): Promise<void> {
  await waitFor(
    async () => {
      const p = await offset(primary);
      const rs = await Promise.all(replicas.map(offset));
      return rs.every((o) => o === p);
    },
    {
      what: `${replicas.map((r) => r.label).join(', ')} to reach ${primary.label}'s offset`,
      timeoutMs: 15_000,
    },
  );
}

/** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`: the new port. */
function switchedTo(e: SentinelEvent): number {
  return Number(e.payload.trim().split(/\s+/)[4]);
}

function portOf(e: SentinelEvent): number | undefined {
  return parseInstanceDetails(e.payload)?.port;
}

/** The monitor's events and log tail, and its SENTINEL CANDIDATES when it answers. */
async function dump(s: Setup): Promise<string> {
  let rows = '';
  if (s.monitor.kind === 'vigil' && s.monitor.running) {
    rows = await candidates(s.monitor).then(
      (r) => r.map((x) => `  ${JSON.stringify(x)}`).join('\n'),
      (e: unknown) => `  (failed: ${String(e)})`,
    );
  }
  return (
    `=== ${s.monitor.label} ${s.monitor.addr} ${s.events.describe(60)}\n` +
    `--- SENTINEL CANDIDATES:\n${rows}\n--- log tail:\n${s.monitor.logTail(40)}`
  );
}

/** Runs `fn`; on failure, rethrows with every monitor's events, candidates and log tail. */
async function withDump<T>(setups: () => Setup[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    const parts = await Promise.all(
      setups().map((s) => dump(s).catch((e: unknown) => `(dump failed: ${String(e)})`)),
    );
    throw new Error(`${msg}\n${parts.join('\n')}`, { cause: err });
  }
}

/**
 * SIGKILLs the primary and expects the failover to be refused: `-failover-abort-no-good-slave`,
 * then one `-failover-refused-replica` per replica, `replica`'s with a reason matching `reason`;
 * the same reason in SENTINEL CANDIDATES and in the log line; and nothing promoted.
 * Returns the refusal reason.
 */
async function killPrimaryExpectRefusal(s: Setup, replica: RedisServer, reason: RegExp): Promise<string> {
  const primary = s.group.primary;
  const from = s.events.events.length;
  await primary.kill9();
  const abort = await s.events.waitForEvent('-failover-abort-no-good-slave', undefined, 15_000, from);
  assert.equal(parseInstanceDetails(abort.payload)?.port, primary.port);
  const n = s.group.replicas.length;
  await waitFor(() => s.events.events.length >= abort.seq + n, {
    what: `${n} events after -failover-abort-no-good-slave`,
    timeoutMs: 5000,
    intervalMs: 10,
  });
  const refusals = s.events.events.slice(abort.seq, abort.seq + n);
  assert.deepEqual(
    refusals.map((e) => e.channel),
    Array<string>(n).fill('-failover-refused-replica'),
    `one -failover-refused-replica per replica right after the abort\n${s.events.describe()}`,
  );
  assert.deepEqual(
    refusals.map(portOf).sort(),
    s.group.replicas.map((r) => r.port).sort(),
    'the refusals name every replica',
  );
  const mine = refusals.find((e) => portOf(e) === replica.port)!;
  const details = parseInstanceDetails(mine.payload)!;
  assert.equal(details.type, 'slave');
  assert.equal(details.master?.name, NAME);
  assert.equal(details.master?.port, primary.port);
  assert.match(details.rest, reason);

  // SENTINEL CANDIDATES gives the same answer after the refusal.
  const row = rowOf(await candidates(s.monitor), replica);
  assert.equal(row['eligible'], 'no');
  assert.equal(row['rank'], '0');
  assert.match(row['reason'] ?? '', reason);

  // And the log says it, replica by replica, to the operator.
  const line = await waitForValue(
    () =>
      s.monitor
        .logTail(400)
        .split('\n')
        .find((l) => l.includes(`No replica of ${NAME} can be promoted safely`)),
    (l) => l !== undefined,
    { what: `${s.monitor.label} to log the refused failover`, timeoutMs: 5000 },
  );
  assert.ok(line!.includes(`${replica.host}:${replica.port} ${details.rest}`), `log line: ${line}`);

  assert.equal(s.events.find('+selected-slave', undefined, from).length, 0, 'no replica selected');
  assert.equal(s.events.find('+switch-master', undefined, from).length, 0, 'no switch-master');
  return details.rest;
}

// ------------------------------------------------------------------------------------------------
// The A-B-C-D-E story.

const A_KEYS = 200;
const D_KEYS = 2000;

interface AbcdeOutcome {
  kind: SentinelKind;
  nodes: Record<'A' | 'B' | 'C' | 'D' | 'E', RedisServer>;
  /** Offsets when A was killed. */
  offsets: { B: number; C: number; E: number };
  replIds: { A: string; D: string };
  /** Vigil's SENTINEL CANDIDATES just before A was killed. */
  candidatesBefore: Row[] | undefined;
  /** Label of the replica in +selected-slave. */
  selected: string;
  newPrimary: RedisServer;
  /** A's keys (acknowledged before the failure) on the new primary once the failover is over. */
  aKeysOnNewPrimary: number;
  /** A's keys on B once it replicates from the new primary. */
  aKeysOnB: number;
  ms: number;
}

/**
 * A primary, B and C its replicas, E a replica of A too, until it turns to D, a primary with a
 * longer history of its own (antirez's minority partition): E then carries D's replication id
 * and an offset well above B's and C's. A is killed while E still counts as A's replica. Which
 * one does `kind` promote?
 */
async function abcde(kind: SentinelKind): Promise<AbcdeOutcome> {
  const t0 = nowMs();
  const s = await setup({ label: `abcde-${kind}`, replicas: 3, kind });
  const [A, B, C, E] = s.group.nodes as [RedisServer, RedisServer, RedisServer, RedisServer];
  const D = await RedisServer.start({ label: `abcde-${kind}-D` });
  return withDump(
    () => [s],
    async () => {
      await writeKeys(A, 'a', A_KEYS, 32);
      await waitForCaughtUp(A, [B, C, E]);
      if (kind === 'vigil') await waitForAllEligible(s);

      // E leaves for D's history, and D's history goes further than A's.
      await E.replicaOf(D);
      await E.waitForLinkUp({ primary: D });
      await writeKeys(D, 'd', D_KEYS, 256);
      await waitForCaughtUp(D, [E]);
      const offsets = { B: await offset(B), C: await offset(C), E: await offset(E) };
      const replIds = { A: await replId(A), D: await replId(D) };
      assert.ok(
        offsets.E > offsets.B && offsets.E > offsets.C,
        `E's offset is the highest: ${JSON.stringify(offsets)}`,
      );
      assert.equal(await replId(E), replIds.D, 'E holds D history');
      assert.equal(await replId(B), replIds.A, 'B holds A history');

      // Wait until the monitor has seen E there (it tells E to go back to A only a full INFO
      // period later, and not once A is down).
      let candidatesBefore: Row[] | undefined;
      if (kind === 'vigil') {
        candidatesBefore = await waitForCandidate(
          s.monitor,
          E,
          `on D's history with the highest offset`,
          (r, rows) =>
            r['master-replid'] === replIds.D &&
            rows.every((x) => x === r || Number(x['slave-repl-offset']) < Number(r['slave-repl-offset'])),
        );
      } else {
        await waitForValue(
          () => s.monitor.replicas(NAME),
          (rows) => {
            const e = rows.find((r) => Number(r['port']) === E.port);
            return (
              e !== undefined &&
              e['master-port'] === String(D.port) &&
              rows.every((x) => x === e || Number(x['slave-repl-offset']) < Number(e['slave-repl-offset']))
            );
          },
          {
            what: `${s.monitor.label} to see E replicating from D with the highest offset`,
            timeoutMs: 20_000,
          },
        );
      }

      const from = s.events.events.length;
      await A.kill9();
      const sw = await s.events.waitForEvent('+switch-master', undefined, 20_000, from);
      const selectedEvent = s.events.find('+selected-slave', undefined, from)[0];
      assert.ok(selectedEvent, 'a +selected-slave event');
      const selectedNode = [B, C, E].find((n) => n.port === portOf(selectedEvent));
      assert.ok(selectedNode, `+selected-slave names one of B, C, E: ${selectedEvent.payload}`);
      const newPrimary = [B, C, E].find((n) => n.port === switchedTo(sw));
      assert.ok(newPrimary, `+switch-master names one of B, C, E: ${sw.payload}`);
      assert.equal(newPrimary, selectedNode);
      await waitFor(async () => (await newPrimary.role()).role === 'master', {
        what: `${newPrimary.label} to be a primary`,
        timeoutMs: 10_000,
      });
      // The replicas of A follow the new primary; under Vigil E does too (it is one of A's
      // replicas to Vigil, pointed elsewhere), and so gives up D's history.
      const others = (kind === 'vigil' ? [B, C, E] : [B, C]).filter((n) => n !== newPrimary);
      for (const o of others) await o.waitForLinkUp({ primary: newPrimary, timeoutMs: 20_000 });
      const aKeysOnNewPrimary = await countKeys(newPrimary, 'a', A_KEYS);
      const aKeysOnB = newPrimary === B ? aKeysOnNewPrimary : await countKeys(B, 'a', A_KEYS);
      const label = { [B.port]: 'B', [C.port]: 'C', [E.port]: 'E' }[selectedNode.port]!;
      return {
        kind,
        nodes: { A, B, C, D, E },
        offsets,
        replIds,
        candidatesBefore,
        selected: label,
        newPrimary,
        aKeysOnNewPrimary,
        aKeysOnB,
        ms: Math.round(nowMs() - t0),
      };
    },
  );
}

test('A-B-C-D-E: Vigil promotes a replica continuous with the failing primary, not E with the higher offset from another history; redis-sentinel side by side', async () => {
  const [vigil, sentinel] = await Promise.all([abcde('vigil'), abcde('redis')]);
  for (const o of [vigil, sentinel]) {
    console.log(
      `# ${o.kind}: offsets at the kill B=${o.offsets.B} C=${o.offsets.C} E=${o.offsets.E}; ` +
        `promoted ${o.selected}; A's keys on the new primary ${o.aKeysOnNewPrimary}/${A_KEYS}, on B ${o.aKeysOnB}/${A_KEYS} (${o.ms} ms)`,
    );
  }

  // Before the kill Vigil already said what it would do: E refused for its history, B and C ranked.
  const { B, C, E } = vigil.nodes;
  const rows = vigil.candidatesBefore!;
  const e = rowOf(rows, E);
  assert.equal(e['eligible'], 'no');
  assert.equal(e['rank'], '0');
  assert.equal(
    e['reason'],
    `holds a different history (replication id ${vigil.replIds.D}, the primary's is ${vigil.replIds.A})`,
  );
  assert.equal(e['master-replid'], vigil.replIds.D);
  assert.equal(e['primary-replid'], vigil.replIds.A);
  assert.equal(e['synced-since-restart'], 'yes');
  for (const n of [B, C]) {
    const r = rowOf(rows, n);
    assert.equal(r['eligible'], 'yes', `${n.label}: ${JSON.stringify(r)}`);
    assert.equal(r['reason'], 'eligible');
    assert.equal(r['master-replid'], vigil.replIds.A);
    assert.ok(Number(r['slave-repl-offset']) < Number(e['slave-repl-offset']), 'E has the highest offset');
  }
  assert.deepEqual([rowOf(rows, B)['rank'], rowOf(rows, C)['rank']].sort(), ['1', '2']);

  // Vigil promoted B or C: every write A acknowledged survives, on every node.
  assert.notEqual(vigil.selected, 'E');
  assert.equal(vigil.aKeysOnNewPrimary, A_KEYS);
  assert.equal(vigil.aKeysOnB, A_KEYS);

  // redis-sentinel ranks by offset alone and E's INFO is fresh (1 s period once A is down): it
  // promotes E, and A's replicas resync D's history from it, dropping A's writes.
  assert.equal(sentinel.selected, 'E');
  assert.equal(sentinel.aKeysOnNewPrimary, 0);
  assert.equal(sentinel.aKeysOnB, 0);
});

// ------------------------------------------------------------------------------------------------
// A replica that restarted empty and has not resynced yet.

/**
 * Kills and restarts the first replica while its primary holds the full resync back (diskless,
 * 60 s delay), and waits until Vigil has noticed: a restarted replica with no data and no sync.
 */
async function restartReplicaWithoutResync(s: Setup): Promise<RedisServer> {
  const primary = s.group.primary;
  const replica = s.group.replicas[0]!;
  await writeKeys(primary, 'k', 100, 32);
  await waitForCaughtUp(primary, s.group.replicas);
  await waitForAllEligible(s);
  await primary.cli('CONFIG', 'SET', 'repl-diskless-sync', 'yes');
  await primary.cli('CONFIG', 'SET', 'repl-diskless-sync-delay', '60');
  const from = s.events.events.length;
  await replica.kill9();
  // A replica writes every full sync it receives to its RDB file (repl-diskless-load disabled)
  // and would reload it, then continue with a partial resync: remove it, the replica comes back
  // as a node without persistence does, empty.
  rmSync(join(replica.dir, 'dump.rdb'), { force: true });
  await replica.start();
  await s.events.waitForEvent('+reboot', (e) => portOf(e) === replica.port, 10_000, from);
  const row = rowOf(
    await waitForCandidate(
      s.monitor,
      replica,
      'refused as not synced since its restart',
      (r) => r['reason'] === NOT_SYNCED,
    ),
    replica,
  );
  assert.equal(row['eligible'], 'no');
  assert.equal(row['rank'], '0');
  assert.equal(row['synced-since-restart'], 'no');
  const info = await replica.info('replication');
  assert.equal(info['master_link_status'], 'down', 'the full resync is held back');
  assert.equal(await replica.dbsize(), 0, 'the restarted replica is empty');
  return replica;
}

test('a replica restarted without persistence and not yet resynced is never chosen: the other one is promoted', async () => {
  const s = await setup({ label: 'restart2', replicas: 2, fastInfo: true });
  await withDump(
    () => [s],
    async () => {
      const restarted = await restartReplicaWithoutResync(s);
      const other = s.group.replicas[1]!;
      const rows = await candidates(s.monitor);
      assert.equal(rowOf(rows, other)['eligible'], 'yes');
      assert.equal(rowOf(rows, other)['rank'], '1');

      const from = s.events.events.length;
      await s.group.primary.kill9();
      const sw = await s.events.waitForEvent('+switch-master', undefined, 20_000, from);
      assert.equal(switchedTo(sw), other.port, `promoted ${sw.payload}`);
      assert.deepEqual(s.events.find('+selected-slave', undefined, from).map(portOf), [other.port]);
      assert.equal(s.events.find('-failover-abort-no-good-slave', undefined, from).length, 0);
      assert.equal(await countKeys(other, 'k', 100), 100, 'the new primary holds every key');
      // The restarted replica is reconfigured to the new primary and gets the data back from it.
      await restarted.waitForLinkUp({ primary: other, timeoutMs: 20_000 });
      await waitFor(async () => (await countKeys(restarted, 'k', 100)) === 100, {
        what: `${restarted.label} to resync every key`,
        timeoutMs: 10_000,
      });
    },
  );
});

// ------------------------------------------------------------------------------------------------
// Every reason a replica is refused: in SENTINEL CANDIDATES before the failure, and in the
// -failover-refused-replica event when the primary dies with no other replica to promote.

describe('each refusal reason', () => {
  test('replica-priority 0', async () => {
    const s = await setup({ label: 'prio0', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        await waitForAllEligible(s);
        await replica.cli('CONFIG', 'SET', 'replica-priority', '0');
        const row = rowOf(
          await waitForCandidate(s.monitor, replica, 'refused for priority 0', (r) => r['eligible'] === 'no'),
          replica,
        );
        assert.equal(row['reason'], 'replica-priority is 0');
        assert.equal(row['slave-priority'], '0');
        await killPrimaryExpectRefusal(s, replica, /^replica-priority is 0$/);
      },
    );
  });

  test('replica down (sdown)', async () => {
    const s = await setup({ label: 'sdown', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        await waitForAllEligible(s);
        await replica.pause();
        try {
          await s.events.waitForEvent('+sdown', (e) => portOf(e) === replica.port, 10_000);
          const row = rowOf(
            await waitForCandidate(s.monitor, replica, 'refused as down', (r) => r['eligible'] === 'no'),
            replica,
          );
          assert.equal(row['reason'], 'subjectively down');
          await killPrimaryExpectRefusal(s, replica, /^subjectively down$/);
        } finally {
          await replica.resume();
        }
      },
    );
  });

  test('replication link down for longer than 10 x down-after', async () => {
    const s = await setup({ label: 'linkdown', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        await waitForAllEligible(s);
        // The primary has no password: a replica that sends one is turned away at every attempt.
        await replica.cli('CONFIG', 'SET', 'masterauth', 'not-the-password');
        await replica.cli('CLIENT', 'KILL', 'TYPE', 'master');
        await waitFor(async () => (await replica.info('replication'))['master_link_status'] === 'down', {
          what: `${replica.label} link down`,
          timeoutMs: 5000,
        });
        // Sentinel's limit with the primary still up: 10 x down-after. A margin of 2 s covers the
        // whole-second resolution of master_link_down_since_seconds.
        const row = rowOf(
          await waitForCandidate(
            s.monitor,
            replica,
            'refused for its link down for over 12 s',
            (r) => Number(/^replication link down for (\d+) ms/.exec(r['reason'] ?? '')?.[1] ?? 0) >= 12_000,
            25_000,
          ),
          replica,
        );
        assert.match(row['reason']!, /^replication link down for \d+ ms \(limit 10000 ms\)$/);
        assert.equal(row['master-link-status'], 'err');
        await killPrimaryExpectRefusal(s, replica, /^replication link down for \d+ ms \(limit \d+ ms\)$/);
      },
    );
  });

  test('stale INFO', async () => {
    const s = await setup({ label: 'staleinfo', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        await waitForAllEligible(s);
        // The replica still answers PING, but no longer INFO.
        await replica.cli('ACL', 'SETUSER', 'default', '-info');
        // With the primary down, INFO is valid for 5 x the ping period (5 s): wait until it is
        // older than that already, so that it is stale at the failover whatever the timing.
        const row = rowOf(
          await waitForCandidate(
            s.monitor,
            replica,
            'refused for an INFO over 5.5 s old',
            (r) => Number(/^INFO is (\d+) ms old$/.exec(r['reason'] ?? '')?.[1] ?? 0) > 5500,
          ),
          replica,
        );
        assert.equal(row['eligible'], 'no');
        await killPrimaryExpectRefusal(s, replica, /^INFO is \d+ ms old$/);
      },
    );
  });

  test('not synced since its restart', async () => {
    const s = await setup({ label: 'restart1', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = await restartReplicaWithoutResync(s);
        await killPrimaryExpectRefusal(s, replica, new RegExp(`^${NOT_SYNCED}$`));
      },
    );
  });

  test('different history (replication id)', async () => {
    const s = await setup({ label: 'history', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        const other = await RedisServer.start({ label: 'history-other' });
        await waitForAllEligible(s);
        await replica.replicaOf(other);
        await replica.waitForLinkUp({ primary: other });
        const ids = { primary: await replId(s.group.primary), other: await replId(other) };
        const expected = `holds a different history (replication id ${ids.other}, the primary's is ${ids.primary})`;
        const row = rowOf(
          await waitForCandidate(
            s.monitor,
            replica,
            'refused for its history',
            (r) => r['eligible'] === 'no',
          ),
          replica,
        );
        assert.equal(row['reason'], expected);
        const reason = await killPrimaryExpectRefusal(s, replica, /^holds a different history /);
        assert.equal(reason, expected);
      },
    );
  });

  test('max-lag-on-failover exceeded', async () => {
    const s = await setup({ label: 'maxlag', replicas: 1, fastInfo: true });
    await withDump(
      () => [s],
      async () => {
        const replica = s.group.replicas[0]!;
        await waitForAllEligible(s);
        assert.equal(await s.monitor.command('SENTINEL', 'SET', NAME, 'max-lag-on-failover', '1000'), 'OK');
        assert.match(s.monitor.configText(), new RegExp(`^sentinel max-lag-on-failover ${NAME} 1000$`, 'm'));
        // Cut the replica off (it is turned away by the primary), then write past the limit.
        await replica.cli('CONFIG', 'SET', 'masterauth', 'not-the-password');
        await replica.cli('CLIENT', 'KILL', 'TYPE', 'master');
        await waitFor(async () => (await replica.info('replication'))['master_link_status'] === 'down', {
          what: `${replica.label} link down`,
          timeoutMs: 5000,
        });
        await writeKeys(s.group.primary, 'lag', 200, 100);
        const row = rowOf(
          await waitForCandidate(s.monitor, replica, 'refused for its lag', (r) => r['eligible'] === 'no'),
          replica,
        );
        const m = /^lags (\d+) bytes behind the primary \(max-lag-on-failover 1000\)$/.exec(
          row['reason'] ?? '',
        );
        assert.ok(m, `reason: ${row['reason']}`);
        assert.equal(row['lag-bytes'], m[1]);
        assert.ok(Number(m[1]) > 200 * 100, `lag ${m[1]} bytes`);
        await killPrimaryExpectRefusal(
          s,
          replica,
          /^lags \d+ bytes behind the primary \(max-lag-on-failover 1000\)$/,
        );
      },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// failover-policy available: Sentinel's rules alone.

test('failover-policy available: a replica with another history is promoted, as Sentinel would', async () => {
  const s = await setup({ label: 'available', replicas: 1, fastInfo: true });
  await withDump(
    () => [s],
    async () => {
      const primary = s.group.primary;
      const replica = s.group.replicas[0]!;
      const other = await RedisServer.start({ label: 'available-other' });
      await waitForAllEligible(s);
      await replica.replicaOf(other);
      await replica.waitForLinkUp({ primary: other });
      await writeKeys(other, 'o', 50, 32);
      await waitForCaughtUp(other, [replica]);
      // Under `safe` (the default) this replica is refused...
      let row = rowOf(
        await waitForCandidate(s.monitor, replica, 'refused for its history', (r) => r['eligible'] === 'no'),
        replica,
      );
      assert.match(row['reason']!, /^holds a different history /);
      assert.equal(row['failover-policy'], 'safe');
      assert.doesNotMatch(s.monitor.configText(), /failover-policy/);

      // ...under `available` it is eligible, and the setting is in the config file.
      assert.equal(await s.monitor.command('SENTINEL', 'SET', NAME, 'failover-policy', 'available'), 'OK');
      assert.match(s.monitor.configText(), new RegExp(`^sentinel failover-policy ${NAME} available$`, 'm'));
      row = rowOf(await candidates(s.monitor), replica);
      assert.equal(row['failover-policy'], 'available');
      assert.equal(row['eligible'], 'yes', JSON.stringify(row));
      assert.equal(row['rank'], '1');
      assert.equal(row['reason'], 'eligible');

      const from = s.events.events.length;
      await primary.kill9();
      const sw = await s.events.waitForEvent('+switch-master', undefined, 20_000, from);
      assert.equal(switchedTo(sw), replica.port);
      assert.deepEqual(s.events.find('+selected-slave', undefined, from).map(portOf), [replica.port]);
      assert.equal(s.events.find('-failover-abort-no-good-slave', undefined, from).length, 0);
      assert.equal((await replica.role()).role, 'master');
      assert.equal(
        await countKeys(replica, 'o', 50),
        50,
        "the promoted replica serves the other history's data",
      );
    },
  );
});
