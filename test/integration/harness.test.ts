// Self-tests of the integration harness against real redis-server and redis-sentinel processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import {
  cleanupAll,
  ContinuousWriter,
  freePort,
  harnessRoot,
  isAlive,
  livePids,
  parseInstanceDetails,
  pendingCleanups,
  reapOrphans,
  RedisGroup,
  RedisServer,
  registerCleanupHooks,
  RespError,
  SentinelProcess,
  nowMs,
  waitFor,
  waitForValue,
  WaitTimeoutError,
  WriterGroup,
  type ManagedProcess,
} from '../harness/index.js';

registerCleanupHooks();

/** Every process object started by this file, to check at the end that all their pids are gone. */
const started: ManagedProcess[] = [];
const HARNESS_INDEX = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'harness', 'index.js'),
).href;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port }, () => srv.close(() => resolve(true)));
  });
}

void test('freePort hands out distinct bindable loopback ports, with the cluster bus port when asked', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length);
  for (const p of ports) assert.ok(await canBind(p), `port ${p} should be bindable`);
  const bus = await freePort({ clusterBus: true });
  assert.ok(bus + 10_000 <= 65_535);
  assert.ok(!ports.includes(bus));
  assert.ok(await canBind(bus + 10_000));
});

void test('waitFor names what it waited for and what it last observed', async () => {
  await assert.rejects(
    waitFor(() => false, { what: 'the impossible', timeoutMs: 100 }),
    (e: unknown) =>
      e instanceof WaitTimeoutError &&
      /the impossible/.test(e.message) &&
      /last value: false/.test(e.message),
  );
  await assert.rejects(
    waitFor(
      () => {
        throw new Error('probe exploded');
      },
      { what: 'a failing probe', timeoutMs: 100 },
    ),
    /a failing probe.*probe exploded/,
  );
  const t0 = nowMs();
  await assert.rejects(
    waitFor(() => new Promise<boolean>(() => undefined), { what: 'a hung probe', timeoutMs: 150 }),
    /a hung probe.*still pending/,
  );
  assert.ok(nowMs() - t0 < 1000, 'a hung probe must not extend the deadline');
  let n = 0;
  assert.equal(
    await waitForValue(
      () => ++n,
      (v) => v >= 3,
      { what: 'three probes', intervalMs: 1 },
    ),
    3,
  );
});

void test('a primary with two replicas: replication, writers without loss, kill -9 and restart', async (t) => {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none', label: 'selftest' });
  started.push(...group.nodes);
  const { primary } = group;

  await t.test('replication is up and the config is as asked', async () => {
    const role = await primary.role();
    assert.equal(role.role, 'master');
    assert.equal(role.role === 'master' ? role.replicas.length : -1, 2);
    for (const r of group.replicas) {
      const rr = await r.role();
      assert.deepEqual(rr.role === 'replica' ? [rr.masterHost, rr.masterPort, rr.state] : rr, [
        '127.0.0.1',
        primary.port,
        'connected',
      ]);
      assert.equal((await r.info('replication'))['master_link_status'], 'up');
    }
    assert.equal(await group.currentPrimary(), primary);
    assert.deepEqual(await primary.cli('CONFIG', 'GET', 'save'), ['save', '']);
    assert.deepEqual(await primary.cli('CONFIG', 'GET', 'appendonly'), ['appendonly', 'no']);
    assert.deepEqual(await primary.cli('CONFIG', 'GET', 'bind'), ['bind', '127.0.0.1']);

    const c = primary.client();
    assert.equal(await c.set('hello', 'world'), 'OK');
    for (const r of group.replicas) {
      await waitForValue(
        () => r.cli('GET', 'hello'),
        (v) => v === 'world',
        { what: `hello on ${r.label}` },
      );
    }
    await assert.rejects(
      group.replicas[0]!.cli('SET', 'x', '1'),
      (e: unknown) => e instanceof RespError && e.code === 'READONLY',
    );
  });

  await t.test('concurrent writers for about a second lose nothing', async () => {
    const writers = new WriterGroup(3, {
      client: () => primary.client(),
      maxDurationMs: 1000,
      commandTimeoutMs: 1000,
    });
    writers.start();
    await writers.waitForAcks(100);
    const report = await Promise.all(writers.writers.map((w) => w.finished())).then(() => writers.stop());
    t.diagnostic(
      `writers: ${report.attempted} attempted, ${report.acknowledged} acknowledged, longest gap ${report.longestGapMs.toFixed(1)} ms`,
    );
    assert.ok(report.acknowledged > 100);
    assert.equal(report.failed, 0);
    assert.equal(report.acknowledged, report.attempted);
    for (const w of report.writers) {
      assert.ok(w.durationMs >= 1000 && w.durationMs < 3000, `duration ${w.durationMs}`);
      assert.ok(w.longestGapMs < 1000);
    }
    const onPrimary = await writers.verify(primary);
    assert.deepEqual([onPrimary.checked, onPrimary.lost, onPrimary.wrongValue], [report.acknowledged, 0, 0]);
    assert.equal(await primary.cli('WAIT', 2, 5000), 2);
    for (const r of group.replicas) {
      const v = await writers.verify(r);
      assert.equal(v.lost, 0, `lost on ${r.label}: ${v.lostKeys.join(', ')}`);
    }
    // A single writer bounded by count; verify() reports a deleted acknowledged key as lost.
    const single = new ContinuousWriter({ client: primary.client(), maxWrites: 50, writerId: 'single' });
    single.start();
    const r1 = await single.finished();
    assert.deepEqual([r1.attempted, r1.acknowledged], [50, 50]);
    await primary.cli('DEL', 'w:single:7');
    const v1 = await single.verify(primary);
    assert.deepEqual([v1.lost, v1.lostKeys], [1, ['w:single:7']]);
  });

  await t.test('pause stops answering, resume answers again', async () => {
    await primary.pause();
    assert.ok(primary.paused);
    await assert.rejects(primary.commandWithTimeout(300, 'PING'), /timed out/);
    await primary.resume();
    assert.equal(await primary.cli('PING'), 'PONG');
  });

  await t.test('kill -9 and restart on the same port: back empty without persistence', async () => {
    assert.ok((await primary.dbsize()) > 0);
    const oldPid = primary.pid!;
    const port = primary.port;
    await primary.kill9();
    assert.equal(primary.running, false);
    assert.equal(primary.lastExit?.signal, 'SIGKILL');
    assert.equal(isAlive(oldPid), false);
    await primary.restart({ timeoutMs: 5000 });
    assert.equal(primary.port, port);
    assert.notEqual(primary.pid, oldPid);
    assert.equal(await primary.dbsize(), 0);
    // The replicas resynchronise from the empty primary: the data is gone everywhere.
    for (const r of group.replicas) {
      await waitForValue(
        () => r.dbsize(),
        (n) => n === 0,
        { what: `${r.label} to resync empty`, timeoutMs: 10_000 },
      );
    }
    await group.waitForReplication();
  });

  await t.test('sentinel monitors the group and reports +sdown for a paused replica', async () => {
    const sentinel = await SentinelProcess.start({
      masters: [group.monitorSpec('selftest', { quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 10_000 })],
    });
    started.push(sentinel);
    assert.equal(sentinel.kind, 'redis');
    assert.equal(await sentinel.command('PING'), 'PONG');
    const master = await sentinel.master('selftest');
    assert.equal(master['name'], 'selftest');
    assert.equal(master['ip'], '127.0.0.1');
    assert.equal(master['port'], String(primary.port));
    assert.equal(master['flags'], 'master');
    assert.equal(master['quorum'], '1');
    assert.deepEqual(await sentinel.masterAddr('selftest'), { host: '127.0.0.1', port: primary.port });
    assert.match(
      sentinel.logTail(),
      new RegExp(`\\+monitor master selftest 127\\.0\\.0\\.1 ${primary.port} quorum 1`),
    );
    const known = await sentinel.waitForReplicas('selftest', 2);
    assert.deepEqual(known.map((r) => Number(r['port'])).sort(), group.replicas.map((r) => r.port).sort());
    assert.match(sentinel.configText(), /sentinel monitor selftest 127\.0\.0\.1 \d+ 1/);

    // Writes through a sentinel-aware client land on the primary.
    const viaSentinel = new ContinuousWriter({
      client: () => sentinel.masterClient('selftest'),
      maxWrites: 200,
    });
    viaSentinel.start();
    const vr = await viaSentinel.finished();
    assert.equal(vr.acknowledged, 200);
    assert.equal((await viaSentinel.verify(primary)).lost, 0);

    const events = await sentinel.subscribe('*');
    const replica = group.replicas[0]!;
    const pausedAt = nowMs();
    await replica.pause();
    const sdown = await events.waitForEvent(
      '+sdown',
      (e) => parseInstanceDetails(e.payload)?.port === replica.port,
      6000,
    );
    const details = parseInstanceDetails(sdown.payload);
    assert.equal(details?.type, 'slave');
    assert.equal(details?.master?.name, 'selftest');
    const flags = (await sentinel.replicas('selftest')).find((r) => Number(r['port']) === replica.port)?.[
      'flags'
    ];
    assert.match(flags ?? '', /s_down/);
    const resumedAt = nowMs();
    await replica.resume();
    const back = await events.waitForEvent(
      '-sdown',
      (e) => parseInstanceDetails(e.payload)?.port === replica.port,
      6000,
    );
    t.diagnostic(
      `redis-sentinel (down-after 1000 ms): +sdown ${Math.round(sdown.at - pausedAt)} ms after SIGSTOP, ` +
        `-sdown ${Math.round(back.at - resumedAt)} ms after SIGCONT`,
    );
    // Sentinel counts down-after from the first PING left unanswered, which may have been sent just
    // before the SIGSTOP (so +sdown can come slightly early) or up to a ping period (1 s) after it.
    assert.ok(sdown.at - pausedAt >= 300, `+sdown only ${Math.round(sdown.at - pausedAt)} ms after SIGSTOP`);
    events.close();
  });

  await t.test('graceful stop, rdb persistence and an edited config survive a restart', async () => {
    const s = await RedisServer.start({ persistence: 'rdb', label: 'rdb' });
    started.push(s);
    await s.cli('SET', 'kept', 'yes');
    await s.stop({ save: true });
    assert.equal(s.lastExit?.code, 0);
    assert.ok(existsSync(join(s.dir, 'dump.rdb')));
    assert.match(s.logTail(5), /ready to exit/);
    appendFileSync(s.configPath, 'maxmemory-policy allkeys-lru\n');
    await s.restart();
    assert.equal(await s.cli('GET', 'kept'), 'yes');
    assert.deepEqual(await s.cli('CONFIG', 'GET', 'maxmemory-policy'), ['maxmemory-policy', 'allkeys-lru']);
    assert.equal(s.pids.length, 2);
  });
});

/** Runs a child node process that starts a redis-server through the harness and prints its pid. */
async function crashingChild(mode: 'throw' | 'hang'): Promise<{ child: ChildProcess; redisPid: number }> {
  const code = [
    'const h = await import(process.argv[1]);',
    "const s = await h.RedisServer.start({ label: 'crash-child' });",
    "process.stdout.write(JSON.stringify({ pid: s.pid }) + '\\n');",
    "if (process.argv[2] === 'throw') throw new Error('simulated crash');",
    'setInterval(() => undefined, 1000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, HARNESS_INDEX, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child printed nothing in 10 s; stderr: ${stderr}`)),
      10_000,
    );
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (c) => reject(new Error(`child exited (${c}) early; stderr: ${stderr}`)));
  });
  return { child, redisPid: (JSON.parse(first) as { pid: number }).pid };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

void test('a harness process that crashes still kills its servers (exit hook)', async () => {
  const { child, redisPid } = await crashingChild('throw');
  await exited(child);
  assert.notEqual(child.exitCode, 0);
  await waitFor(() => !isAlive(redisPid), {
    what: `redis-server ${redisPid} of the crashed process to be gone`,
  });
});

void test('servers of a harness process killed with SIGKILL are reaped by the next run', async () => {
  const { child, redisPid } = await crashingChild('hang');
  child.kill('SIGKILL');
  await exited(child);
  assert.ok(isAlive(redisPid), 'SIGKILL leaves the server behind: nothing in the process could run');
  // (Another harness process reaping first is fine too.)
  const reaped = reapOrphans();
  assert.ok(reaped.includes(redisPid) || !isAlive(redisPid), `reaped ${reaped.join(', ')}`);
  await waitFor(() => !isAlive(redisPid), { what: `orphaned redis-server ${redisPid} to be gone` });
  const leftovers = (): string[] =>
    readdirSync(tmpdir()).filter((n) => n.startsWith(`vigil-h-${child.pid}-`));
  await waitFor(
    () => {
      reapOrphans();
      return leftovers().length === 0;
    },
    { what: 'the dead process directory to be removed' },
  );
});

void test('cleanupAll stops every process and removes the temp dirs', async () => {
  const root = harnessRoot();
  const pids = started.flatMap((p) => p.pids);
  assert.ok(pids.length >= 6, `expected at least 6 pids, got ${pids.length}`);
  assert.ok(started.some((p) => p.running));
  await cleanupAll();
  assert.deepEqual(pendingCleanups(), []);
  assert.deepEqual(livePids(), []);
  for (const p of started) assert.equal(p.running, false, `${p.label} still running`);
  await waitFor(() => pids.every((pid) => !isAlive(pid)), {
    what: `pids ${pids.join(', ')} to be gone`,
    timeoutMs: 5000,
  });
  assert.equal(existsSync(root), false);
  // Port locks are released at process exit; the lock files name this process meanwhile.
  const lockDir = join(tmpdir(), 'vigil-h-ports');
  const mine = readdirSync(lockDir).filter(
    (f) => readFileSync(join(lockDir, f), 'utf8') === String(process.pid),
  );
  assert.ok(mine.length > 0);
});
