/**
 * The operator commands run as an operator runs them (`node bin/vigil ...` in a child process)
 * against real groups watched by a Vigil monitor: `vigil candidates` and `vigil doctor`, their
 * output, JSON and exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  freePort,
  pairsToRecord,
  RedisGroup,
  registerCleanupHooks,
  repoRoot,
  SentinelProcess,
  waitFor,
  type RedisServer,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';
const VIGIL = join(repoRoot(), 'bin', 'vigil');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/vigil with `args`; never rejects on a non-zero exit. */
function vigil(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function show(r: Run): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

interface JsonFinding {
  check: string;
  severity: string;
  what: string;
  fix?: string;
}

async function candidates(m: SentinelProcess): Promise<Record<string, string>[]> {
  const reply = await m.command('SENTINEL', 'CANDIDATES', NAME);
  return (Array.isArray(reply) ? reply : []).map(pairsToRecord);
}

/** Waits until the monitor's candidate list matches `accept` (it reads replicas' INFO periodically). */
async function waitForCandidates(
  m: SentinelProcess,
  accept: (c: Record<string, string>[]) => boolean,
  what: string,
): Promise<void> {
  await waitFor(async () => accept(await candidates(m)), { what, timeoutMs: 15_000, intervalMs: 100 });
}

async function startMonitor(group: RedisGroup, quorum: number): Promise<SentinelProcess> {
  const m = await SentinelProcess.start({
    kind: 'vigil',
    masters: [group.monitorSpec(NAME, { quorum, downAfterMs: 5000 })],
  });
  await m.waitForReplicas(NAME, group.replicas.length);
  // Replicas' INFO every 500 ms instead of 10 s, so CONFIG SET changes show up quickly.
  await m.command('SENTINEL', 'DEBUG', 'INFO-PERIOD', 500);
  return m;
}

function priorityOf(c: Record<string, string>[], r: RedisServer): string | undefined {
  return c.find((x) => Number(x['port']) === r.port)?.['slave-priority'];
}

test('a healthy group: candidates names the rank-1 replica, doctor finds no error', async () => {
  const group = await RedisGroup.start({
    replicas: 2,
    persistence: 'rdb',
    extraConfig: ['min-replicas-to-write 1', 'min-replicas-max-lag 2'],
    label: 'healthy',
  });
  const monitor = await startMonitor(group, 1);
  const [other, preferred] = [group.replicas[0]!, group.replicas[1]!];
  // A lower priority wins: the second replica is the one a failover must pick.
  await preferred.cli('CONFIG', 'SET', 'replica-priority', '50');
  await waitForCandidates(
    monitor,
    (c) => c.filter((x) => x['eligible'] === 'yes').length === 2 && priorityOf(c, preferred) === '50',
    'both replicas eligible, the preferred one with priority 50',
  );
  const sentinel = `--sentinel=127.0.0.1:${monitor.port}`;

  const text = await vigil('candidates', NAME, sentinel);
  assert.equal(text.code, 0, show(text));
  const rows = text.stdout.split('\n').filter((l) => /^\s+(\d+|-)\s+127\.0\.0\.1:\d+/.test(l));
  assert.equal(rows.length, 2, show(text));
  assert.match(
    rows[0]!,
    new RegExp(`^\\s+1\\s+${preferred.addr}\\s+up\\s+\\d+\\s+\\d+ B\\s+50\\s+same\\s+yes\\s+eligible$`),
  );
  assert.match(rows[1]!, new RegExp(`^\\s+2\\s+${other.addr}\\s.*\\s100\\s+same\\s+yes\\s+eligible$`));
  assert.match(
    text.stdout,
    new RegExp(`a failover now would promote ${preferred.addr} \\(2 of 2 replicas eligible\\)`),
  );

  const json = await vigil('candidates', NAME, sentinel, '--json');
  assert.equal(json.code, 0, show(json));
  const report = JSON.parse(json.stdout) as {
    promote: string;
    failoverPolicy: string;
    candidates: { addr: string; rank: number; eligible: boolean; history: string }[];
  };
  assert.equal(report.promote, preferred.addr);
  assert.equal(report.failoverPolicy, 'safe');
  assert.deepEqual(
    report.candidates.map((c) => [c.addr, c.rank, c.eligible, c.history]).sort(),
    [
      [other.addr, 2, true, 'same'],
      [preferred.addr, 1, true, 'same'],
    ].sort(),
  );

  const doctor = await vigil('doctor', NAME, sentinel);
  assert.equal(doctor.code, 0, show(doctor));
  assert.doesNotMatch(doctor.stdout, /^\[error\]/m, show(doctor));
  assert.match(doctor.stdout, /^\[warning\] only 1 monitor watches mymaster$/m);
  assert.match(doctor.stdout, /^\[ok\]\s+the primary persists its data/m);
  assert.match(doctor.stdout, /^\[ok\]\s+min-replicas-to-write is 1 on the primary$/m);
  assert.match(doctor.stdout, /^\[ok\]\s+2 of 2 replicas can be promoted$/m);
  assert.match(doctor.stdout, /^0 errors, /m);

  const doctorJson = await vigil('doctor', NAME, sentinel, '--json');
  assert.equal(doctorJson.code, 0, show(doctorJson));
  const d = JSON.parse(doctorJson.stdout) as { findings: JsonFinding[]; exitCode: number; primary: string };
  assert.equal(d.exitCode, 0);
  assert.equal(d.primary, group.primary.addr);
  const sev = (check: string): string[] => d.findings.filter((f) => f.check === check).map((f) => f.severity);
  assert.deepEqual(sev('persistence'), ['ok']);
  assert.deepEqual(sev('min-replicas-to-write'), ['ok']);
  assert.deepEqual(sev('min-replicas-max-lag'), []);
  assert.deepEqual(sev('replica-priority'), ['ok']);
  assert.deepEqual(sev('announce'), ['ok']);
  assert.deepEqual(sev('monitor-count'), ['warning']);

  // Errors an operator can act on: exit 1 and what to check.
  const port = await freePort();
  const refused = await vigil('candidates', NAME, `--sentinel=127.0.0.1:${port}`);
  assert.equal(refused.code, 1, show(refused));
  assert.match(refused.stderr, /cannot reach a monitor at 127\.0\.0\.1:\d+ .*check --sentinel/);
  const unknown = await vigil('doctor', 'nosuch', sentinel);
  assert.equal(unknown.code, 1, show(unknown));
  assert.match(unknown.stderr, /watches no primary named 'nosuch'/);
  const notMonitor = await vigil('candidates', NAME, `--sentinel=${group.primary.addr}`);
  assert.equal(notMonitor.code, 1, show(notMonitor));
  assert.match(notMonitor.stderr, /is not a monitor/);
});

test('a bad group: no persistence, every replica at priority 0, quorum above the monitors', async () => {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none', label: 'bad' });
  const monitor = await startMonitor(group, 2);
  await group.primary.cli('CONFIG', 'SET', 'repl-diskless-sync-delay', '5');
  for (const r of group.replicas) await r.cli('CONFIG', 'SET', 'replica-priority', '0');
  await waitForCandidates(
    monitor,
    (c) => c.length === 2 && c.every((x) => x['slave-priority'] === '0' && x['eligible'] === 'no'),
    'both replicas refused for priority 0',
  );
  const sentinel = `--sentinel=127.0.0.1:${monitor.port}`;

  const text = await vigil('candidates', NAME, sentinel);
  assert.equal(text.code, 2, show(text));
  for (const r of group.replicas)
    assert.match(text.stdout, new RegExp(`^\\s+-\\s+${r.addr}\\s.*refused: replica-priority is 0$`, 'm'));
  assert.match(text.stdout, /^a failover now would be refused: no replica is eligible \(/m);
  assert.match(text.stdout, /CONFIG SET replica-priority 100/);
  const json = await vigil('candidates', NAME, sentinel, '--json');
  assert.equal(json.code, 2, show(json));
  const report = JSON.parse(json.stdout) as { promote: string | null; refused: string };
  assert.equal(report.promote, null);
  assert.match(report.refused, /replica-priority is 0/);

  const doctor = await vigil('doctor', NAME, sentinel, '--json');
  assert.equal(doctor.code, 2, show(doctor));
  const d = JSON.parse(doctor.stdout) as { findings: JsonFinding[]; exitCode: number };
  assert.equal(d.exitCode, 2);
  const find = (check: string, severity: string): JsonFinding => {
    const f = d.findings.find((x) => x.check === check && x.severity === severity);
    assert.ok(f, `expected a ${severity} ${check} finding in ${doctor.stdout}`);
    return f;
  };
  assert.match(
    find('persistence', 'error').what,
    new RegExp(`persistence is off on the primary ${group.primary.addr}`),
  );
  assert.match(find('persistence', 'error').fix ?? '', /CONFIG SET appendonly yes/);
  assert.match(find('replica-priority', 'error').what, /every replica has replica-priority 0/);
  assert.match(find('monitor-quorum', 'error').what, /quorum is 2 but only 1 monitor knows mymaster/);
  assert.match(
    find('min-replicas-to-write', 'warning').fix ?? '',
    /min-replicas-to-write 1.*min-replicas-max-lag 4/,
  );
  assert.match(find('diskless-sync-delay', 'warning').what, /repl-diskless-sync-delay is 5 s/);
  assert.equal(find('persistence-replicas', 'warning').severity, 'warning');

  const readable = await vigil('doctor', NAME, sentinel);
  assert.equal(readable.code, 2, show(readable));
  const lines = readable.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('[error]   persistence is off on the primary'));
  assert.ok(at > 0, show(readable));
  assert.match(lines[at + 1] ?? '', /^\s+why: .*comes back empty/);
  assert.match(lines[at + 2] ?? '', /^\s+fix: redis-cli -h 127\.0\.0\.1 -p \d+ CONFIG SET appendonly yes/);
  assert.match(readable.stdout, /^3 errors, /m);
});
