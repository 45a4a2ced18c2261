/**
 * Every safety gate of `vigil rollout`, each shown holding a real rollout back: the exit code,
 * the operator's message, and that nothing was restarted past the gate.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LocalGroup } from '../../src/rollout/drivers/local-group.js';
import { RedisServer, registerCleanupHooks, respCommand, runVigil, waitFor } from '../harness/index.js';
import { pastStartSeconds, startLocalGroup } from '../harness/local-group.js';

registerCleanupHooks();

const vigil = (args: string[]) => runVigil(args, 90_000);

function rollout(
  group: LocalGroup,
  extra: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  return vigil([
    'rollout',
    group.name,
    '--sentinel',
    `127.0.0.1:${group.monitors[0]!.port}`,
    '--local-root',
    group.root,
    ...extra,
  ]);
}

function cmd(port: number, ...args: string[]) {
  return respCommand('127.0.0.1', port, args);
}

function pids(group: LocalGroup): Map<number, number> {
  return new Map(group.states().map((s) => [s.port, s.pid]));
}

function edit(dir: string, line: string): void {
  appendFileSync(join(dir, 'node.conf'), `${line}\n`);
}

test('only-copy: a standalone server without persistence holding keys is not restarted', async () => {
  const server = await RedisServer.start({ persistence: 'none' });
  await server.cli('SET', 'k', 'v');
  // A token ahead of the server's start second (start times are known to the second).
  const token = String(Date.now() + 1500);
  const args = [
    'rollout',
    '--node',
    `127.0.0.1:${server.port}`,
    '--restart',
    'false',
    '--restart-token',
    token,
  ];
  const r = await vigil(args);
  assert.equal(r.code, 2, `${r.out}\n${r.err}`);
  assert.match(r.err, /standalone primary without persistence: its 1 keys are erased by a restart/);
  assert.match(r.err, /will not restart the only copy of the data/);
  const dry = await vigil([...args, '--accept-data-loss', '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /warning: .* without persistence/);
  assert.match(dry.out, /1\. restart standalone primary/);
  assert.equal(await server.cli('GET', 'k'), 'v');
});

test('only-copy: a monitored primary with no replica is never restarted', async () => {
  const group = await startLocalGroup({ replicas: 0, monitors: 1, quorum: 1 });
  edit(group.data[0]!.dir, 'hz 20');
  const before = pids(group);
  const r = await rollout(group);
  assert.equal(r.code, 2, `${r.out}\n${r.err}`);
  assert.match(r.err, /it is the only copy of its data: no replica could take over/);
  assert.deepEqual(pids(group), before);
});

test('empty-primary: a primary with no keys while a replica holds some stops the rollout before anything', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 1, quorum: 1 });
  const [primary, replica] = group.data;
  // A replica holding keys its primary does not have: what a primary that came back empty
  // looks like before its replicas resync from it.
  await cmd(replica!.port, 'CONFIG', 'SET', 'replica-read-only', 'no');
  await cmd(replica!.port, 'SET', 'only-here', '1');
  for (const n of group.data) edit(n.dir, 'hz 20');
  const before = pids(group);
  const r = await rollout(group);
  assert.equal(r.code, 2, `${r.out}\n${r.err}`);
  assert.match(
    r.err,
    new RegExp(
      `the primary 127\\.0\\.0\\.1:${primary!.port} holds no keys .* while its replica 127\\.0\\.0\\.1:${replica!.port} holds 1`,
    ),
  );
  assert.deepEqual(pids(group), before, 'nothing restarted');
});

test('replica-sync: a replica that comes back but cannot sync stops the rollout before the primary is touched', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 1, quorum: 1 });
  const [primary, , second] = group.data;
  for (const n of group.data) edit(n.dir, 'hz 20');
  // A bad change on one replica: it authenticates to its primary as a user that does not exist.
  edit(second!.dir, 'masteruser nobody');
  edit(second!.dir, 'masterauth nothing');
  const primaryPid = pids(group).get(primary!.port);
  const r = await rollout(group, ['--gate-timeout', '4']);
  assert.equal(r.code, 3, r.out);
  assert.match(
    r.err,
    new RegExp(`gave up after \\d+ s waiting: 127\\.0\\.0\\.1:${second!.port}'s link to its primary is down`),
  );
  assert.match(r.err, /run the same command again/);
  assert.doesNotMatch(r.out, /hand the primary role over .* \(coordinated switchover\) \(/);
  assert.equal(pids(group).get(primary!.port), primaryPid, 'the primary was not touched');
});

test('node-down: a node that does not answer holds the rollout (at most one node down), then a timeout stops it', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 1, quorum: 1 });
  for (const n of group.data) edit(n.dir, 'hz 20');
  const frozen = group.states().find((s) => s.port === group.data[2]!.port)!;
  process.kill(frozen.pid, 'SIGSTOP');
  try {
    const before = pids(group);
    const r = await rollout(group, ['--gate-timeout', '3']);
    assert.equal(r.code, 3, r.out);
    assert.match(r.err, new RegExp(`127\\.0\\.0\\.1:${frozen.port} does not answer`));
    assert.deepEqual(pids(group), before, 'nothing restarted while a node is down');
  } finally {
    process.kill(frozen.pid, 'SIGCONT');
  }
});

test('no-target: when every replica has replica-priority 0 the primary is not restarted', async () => {
  const group = await startLocalGroup({ replicas: 1, monitors: 1, quorum: 1 });
  await cmd(group.data[1]!.port, 'CONFIG', 'SET', 'replica-priority', '0');
  edit(group.data[0]!.dir, 'hz 20');
  const before = pids(group);
  const r = await rollout(group);
  assert.equal(r.code, 2, `${r.out}\n${r.err}`);
  assert.match(r.err, /every replica has replica-priority 0/);
  assert.deepEqual(pids(group), before);
});

test('monitor-quorum: monitors are not restarted when the others could not reach the quorum meanwhile', async () => {
  const group = await startLocalGroup({ replicas: 1, monitors: 2, quorum: 2 });
  const monitorPids = group
    .states()
    .filter((s) => s.kind === 'monitor')
    .map((s) => s.pid);
  await pastStartSeconds(group);
  const r = await rollout(group, ['--restart-token', 'now']);
  assert.equal(r.code, 2, `${r.out}\n${r.err}`);
  assert.match(r.err, /restarting a monitor would leave 1 of 2, fewer than the 2 needed/);
  assert.match(r.out, /hand the primary role over/, 'the data nodes were rolled first');
  assert.deepEqual(
    group
      .states()
      .filter((s) => s.kind === 'monitor')
      .map((s) => s.pid),
    monitorPids,
  );
});

test('failover in progress (-INPROG): the rollout waits for a running switchover, then carries on', async () => {
  const group = await startLocalGroup({
    replicas: 2,
    monitors: 3,
    // Long enough that the blocked target is not judged down (which would call the switchover off).
    downAfterMs: 15_000,
    extra: ['enable-debug-command local'],
  });
  const [primary, target] = group.data;
  edit(primary!.dir, 'hz 20');
  // A switchover that takes about 6 s: its target is blocked while the primary's writes are paused.
  void respCommand('127.0.0.1', target!.port, ['DEBUG', 'SLEEP', '6'], { timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  await waitFor(
    async () => {
      try {
        await respCommand('127.0.0.1', target!.port, ['PING'], { timeoutMs: 100 });
        return false;
      } catch {
        return true;
      }
    },
    { what: 'the target to be blocked', timeoutMs: 3000 },
  );
  const started = await cmd(
    group.monitors[0]!.port,
    'SENTINEL',
    'FAILOVER',
    group.name,
    'COORDINATED',
    'TO',
    '127.0.0.1',
    String(target!.port),
    'TIMEOUT',
    '9000',
  );
  assert.equal(started, 'OK');
  const r = await rollout(group);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(r.out, /waiting: the monitor .* reports a failover in progress/);
  // Whether the running switchover completed or was called off, the rollout ends with the old
  // primary restarted as a replica and a single primary.
  const roles = await Promise.all(
    group.data.map(async (n) =>
      String(await cmd(n.port, 'ROLE').then((x) => (Array.isArray(x) ? x[0] : ''))),
    ),
  );
  assert.equal(roles.filter((x) => x === 'master').length, 1);
  assert.equal(roles[0], 'slave');
});
