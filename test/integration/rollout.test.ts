/**
 * `vigil rollout` against real groups run by the local driver: the order (replicas, handover,
 * old primary), nothing lost under writes, a rollout killed mid-way and run again, the stop-time
 * handover of a supervisor, and the exec driver.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { LocalGroup } from '../../src/rollout/drivers/local-group.js';
import {
  infoFields,
  isAlive,
  registerCleanupHooks,
  respCommand,
  runVigil,
  VIGIL_BIN,
  waitFor,
  type ContinuousWriter,
} from '../harness/index.js';
import { pastStartSeconds, sentinelWriter, startLocalGroup } from '../harness/local-group.js';

registerCleanupHooks();

const vigil = runVigil;

async function primaryPort(group: LocalGroup): Promise<number> {
  const r = await respCommand('127.0.0.1', group.monitors[0]!.port, [
    'SENTINEL',
    'GET-MASTER-ADDR-BY-NAME',
    group.name,
  ]);
  assert.ok(Array.isArray(r));
  return Number(r[1]);
}

async function info(port: number): Promise<Record<string, string>> {
  return infoFields(String(await respCommand('127.0.0.1', port, ['INFO', 'all'])));
}

async function assertNothingLost(writer: ContinuousWriter, port: number): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1' });
  client.on('error', () => undefined);
  try {
    const v = await writer.verify(client);
    assert.ok(v.checked > 0);
    assert.equal(v.lost, 0, `acknowledged writes lost: ${v.lostKeys.join(' ')}`);
  } finally {
    client.disconnect();
  }
}

function dataPids(group: LocalGroup): Map<number, number> {
  return new Map(
    group
      .states()
      .filter((s) => s.kind === 'data')
      .map((s) => [s.port, s.pid]),
  );
}

function editConfigs(group: LocalGroup, line: string): void {
  for (const n of group.data) appendFileSync(join(n.dir, 'node.conf'), `${line}\n`);
}

function rolloutArgs(group: LocalGroup, extra: string[] = []): string[] {
  return [
    'rollout',
    group.name,
    '--sentinel',
    `127.0.0.1:${group.monitors[0]!.port}`,
    '--local-root',
    group.root,
    ...extra,
  ];
}

/** Line index of the first line matching `re` (-1 if none). */
function lineOf(out: string, re: RegExp): number {
  return out.split('\n').findIndex((l) => re.test(l));
}

async function everyMonitorAnnounces(group: LocalGroup, port: number): Promise<void> {
  await waitFor(
    async () => {
      for (const m of group.monitors) {
        const r = await respCommand('127.0.0.1', m.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name]);
        if (!Array.isArray(r) || Number(r[1]) !== port) return false;
      }
      return true;
    },
    { what: `every monitor to announce port ${port}`, timeoutMs: 15_000 },
  );
}

test('a config change rolls replicas first, hands over, then restarts the old primary; nothing lost under writes', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 3 });
  const writer = sentinelWriter(group, 'roll');
  writer.start();
  await writer.waitForAcks(200);
  const oldPrimary = await primaryPort(group);
  const before = dataPids(group);
  editConfigs(group, 'hz 20');

  const dry = await vigil(rolloutArgs(group, ['--dry-run']));
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /configuration changed/);
  assert.deepEqual(dataPids(group), before, 'a dry run restarts nothing');

  const r = await vigil(rolloutArgs(group));
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const handover = lineOf(
    r.out,
    new RegExp(`step \\d+: hand the primary role over 127\\.0\\.0\\.1:${oldPrimary} ->`),
  );
  assert.ok(handover > 0, r.out);
  for (const n of group.data.filter((d) => d.port !== oldPrimary)) {
    const at = lineOf(r.out, new RegExp(`step \\d+: restart replica 127\\.0\\.0\\.1:${n.port}`));
    assert.ok(at >= 0 && at < handover, `replica ${n.port} restarted before the handover:\n${r.out}`);
  }
  const oldAt = lineOf(r.out, new RegExp(`step \\d+: restart replica 127\\.0\\.0\\.1:${oldPrimary}`));
  assert.ok(oldAt > handover, `the old primary restarted after the handover, as a replica:\n${r.out}`);
  assert.match(r.out, /is the primary \(handover took \d+ ms\)/);

  const after = dataPids(group);
  for (const [port, pid] of before) assert.notEqual(after.get(port), pid, `port ${port} restarted`);
  for (const n of group.data) assert.equal((await info(n.port))['hz'], '20');
  const newPrimary = await primaryPort(group);
  assert.notEqual(newPrimary, oldPrimary);
  await everyMonitorAnnounces(group, newPrimary);

  await writer.waitForAcks(writer.acknowledged + 100);
  const report = await writer.stop();
  assert.equal(report.lateAcknowledged, 0);
  await assertNothingLost(writer, newPrimary);

  // Everything current: running again does nothing.
  const again = await vigil(rolloutArgs(group));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /nothing to do/);
});

test('a rollout killed mid-way (during a replica restart, then during the handover) and run again finishes with nothing lost', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 3 });
  const writer = sentinelWriter(group, 'killed');
  writer.start();
  await writer.waitForAcks(200);
  const oldPrimary = await primaryPort(group);
  await pastStartSeconds(group);
  const token = String(Date.now());
  const args = rolloutArgs(group, ['--restart-token', token, '--skip-monitors']);

  // Runs the rollout and SIGKILLs it as soon as its output matches `killAt`.
  const runUntil = (killAt: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [VIGIL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no match for ${String(killAt)} in:\n${out}`));
      }, 60_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (killAt.test(out)) child.kill('SIGKILL');
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  const first = await runUntil(/step 2: restart replica/);
  assert.match(first, /step 2: restart replica/);
  const second = await runUntil(/step \d+: hand the primary role over/);
  assert.match(second, /hand the primary role over/);
  const last = await vigil(args);
  assert.equal(last.code, 0, `${last.out}\n${last.err}`);
  assert.match(last.out, /done: \d+ steps|nothing to do/);

  // Every node restarted after the token, exactly one primary, every monitor agrees on it.
  const primaries: number[] = [];
  for (const n of group.data) {
    const i = await info(n.port);
    assert.ok(
      Date.now() - Number(i['uptime_in_seconds']) * 1000 >= Number(token) - 1000,
      `${n.port} restarted`,
    );
    if (i['role'] === 'master') primaries.push(n.port);
  }
  assert.equal(primaries.length, 1);
  assert.notEqual(primaries[0], oldPrimary, 'the primary role moved off the restarted primary');
  await everyMonitorAnnounces(group, primaries[0]!);
  await writer.waitForAcks(writer.acknowledged + 100);
  await writer.stop();
  await assertNothingLost(writer, primaries[0]!);
});

test('stopping a primary supervisor (SIGTERM) hands the role over first: no reactive failover, nothing lost', async () => {
  const group = await startLocalGroup({ replicas: 2, monitors: 3, downAfterMs: 5000 });
  const writer = sentinelWriter(group, 'sigterm');
  writer.start();
  await writer.waitForAcks(200);
  const oldPrimary = await primaryPort(group);
  const state = group.states().find((s) => s.kind === 'data' && s.port === oldPrimary)!;
  const t0 = Date.now();
  process.kill(state.supervisorPid, 'SIGTERM');
  await waitFor(() => !isAlive(state.supervisorPid), { what: 'the supervisor to exit', timeoutMs: 30_000 });
  const stopMs = Date.now() - t0;
  const log = readFileSync(
    join(group.data.find((d) => d.port === oldPrimary)!.dir, 'vigil-node.log'),
    'utf8',
  );
  assert.match(log, /asking the monitors of mymaster for a coordinated switchover before stopping/);
  assert.match(log, /handed over in \d+ ms: now a replica, stopping/);
  const newPrimary = await primaryPort(group);
  assert.notEqual(newPrimary, oldPrimary);
  // Well under down-after (5 s): the handover, not a reactive failover, moved the role.
  assert.ok(stopMs < 5000, `stopped in ${stopMs} ms`);
  await everyMonitorAnnounces(group, newPrimary);
  await writer.waitForAcks(writer.acknowledged + 100);
  await writer.stop();
  await assertNothingLost(writer, newPrimary);
});

test('exec driver: {host}/{port} templates restart every process, monitors included, with --restart-token now', async () => {
  const group = await startLocalGroup({ replicas: 1, monitors: 3 });
  // A restart command as an operator would write one, for this layout: SIGHUP the supervisor
  // of the process on {port}.
  const restart = `for f in ${group.root}/*/vigil-node.json; do grep -q '"port": {port},' "$f" && kill -HUP $(sed -n 's/.*"supervisorPid": \\([0-9]*\\).*/\\1/p' "$f"); done; true`;
  await pastStartSeconds(group);
  const r = await vigil([
    'rollout',
    group.name,
    '--sentinel',
    `127.0.0.1:${group.monitors[1]!.port}`,
    '--restart',
    restart,
    '--restart-monitor',
    restart,
    '--restart-token',
    'now',
  ]);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(
    r.out,
    /restart token \d+: if this rollout is interrupted, run it again with --restart-token \d+/,
  );
  assert.equal((r.out.match(/step \d+: restart monitor/g) ?? []).length, 3);
  assert.equal((r.out.match(/step \d+: hand the primary role over/g) ?? []).length, 1);

  const failing = await vigil([
    'rollout',
    group.name,
    '--sentinel',
    `127.0.0.1:${group.monitors[0]!.port}`,
    '--restart',
    'echo cannot restart {host}:{port} >&2; exit 7',
    '--restart-token',
    'now',
  ]);
  assert.equal(failing.code, 2);
  assert.match(
    failing.err,
    /the restart command `echo cannot restart 127\.0\.0\.1:\d+ >&2; exit 7` exited with 7: cannot restart/,
  );

  const noop = await vigil([
    'rollout',
    group.name,
    '--sentinel',
    `127.0.0.1:${group.monitors[0]!.port}`,
    '--restart',
    'true',
    '--restart-token',
    'now',
    '--skip-monitors',
    '--restart-timeout',
    '3',
  ]);
  assert.equal(noop.code, 3, noop.out);
  assert.match(noop.err, /was restarted but still started .* before the restart token/);
});

test('standalone: a plain restart with the warning; the data survives through persistence', async () => {
  const group = await startLocalGroup({ replicas: 0, monitors: 0 });
  const node = group.data[0]!;
  for (let i = 0; i < 100; i++) await respCommand('127.0.0.1', node.port, ['SET', `k${i}`, String(i)]);
  const before = dataPids(group).get(node.port);
  editConfigs(group, 'hz 20');
  const r = await vigil(['rollout', '--node', `127.0.0.1:${node.port}`, '--local-root', group.root]);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(r.out, /warning: 127\.0\.0\.1:\d+ is a standalone primary: writes fail while it restarts/);
  assert.match(r.out, /step 1: restart standalone primary/);
  assert.notEqual(dataPids(group).get(node.port), before);
  const i = await info(node.port);
  assert.equal(i['hz'], '20');
  assert.match(i['db0'] ?? '', /^keys=100,/);
});
