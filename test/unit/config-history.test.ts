/**
 * Durable replication history: `sentinel primary-history` / `sentinel replica-history` lines reach
 * the decision core through its record of a primary, and the core's state comes back into the file
 * through `Daemon.persist` (which never listens: only `start()` does).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentinelCore } from '../../src/core/core.js';
import { newMaster, newReplica, recordedReplicas, recordOf } from '../../src/core/instance.js';
import type { MasterView } from '../../src/core/view.js';
import { parseConfig } from '../../src/sentinel/config/parse.js';
import type { SentinelConfig } from '../../src/sentinel/config/model.js';
import { renderConfig } from '../../src/sentinel/config/rewrite.js';
import { Daemon } from '../../src/sentinel/daemon.js';

const MYID = 'a'.repeat(40);
const PEER = 'b'.repeat(40);
const REPL_OLD = '1'.repeat(40);
const REPL_NEW = '2'.repeat(40);
const RUN_R1 = 'c'.repeat(40);
const RUN_R3 = 'd'.repeat(40);

/** The history lines of a config text, in order. */
function historyLines(text: string): string[] {
  return text.split('\n').filter((l) => /^sentinel (primary|replica)-history /.test(l));
}

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-history-')));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A config with a primary, three replicas (one only named by its history line) and a peer. */
const TEXT = [
  'port 26379',
  `dir "${dir}"`,
  `logfile "${join(dir, 'sentinel.log')}"`,
  `sentinel myid ${MYID}`,
  'sentinel monitor m 10.0.0.1 6379 2',
  'sentinel config-epoch m 3',
  'sentinel leader-epoch m 3',
  'sentinel known-replica m 10.0.0.2 6379',
  'sentinel known-replica m 10.0.0.3 6379',
  `sentinel known-sentinel m 10.0.0.9 26379 ${PEER}`,
  `sentinel primary-history m ${REPL_OLD} 5000`,
  `sentinel replica-history m 10.0.0.2 6379 ${REPL_OLD} 4900 ${RUN_R1} yes`,
  // The run id is unknown: a restart of the replica could not be told, so nothing is trusted.
  `sentinel replica-history m 10.0.0.3 6379 ${REPL_OLD} 4800 - yes`,
  `sentinel replica-history m 10.0.0.4 6379 ${REPL_OLD} 4700 ${RUN_R3} no`,
  'sentinel current-epoch 3',
  '',
].join('\n');

function parse(text: string, file: string): SentinelConfig {
  return parseConfig(text, file, { cwd: dir });
}

function checkRestored(m: MasterView): void {
  assert.equal(m.replId, REPL_OLD);
  assert.equal(m.replOffset, 5000);
  assert.deepEqual([...m.replicas.keys()], ['10.0.0.2:6379', '10.0.0.3:6379', '10.0.0.4:6379']);
  const r1 = m.replicas.get('10.0.0.2:6379')!;
  assert.equal(r1.masterReplId, REPL_OLD);
  assert.equal(r1.replOffset, 4900);
  assert.equal(r1.runId, RUN_R1);
  assert.equal(r1.syncedSinceRestart, true);
  const r2 = m.replicas.get('10.0.0.3:6379')!;
  assert.equal(r2.masterReplId, undefined);
  assert.equal(r2.replOffset, 0);
  assert.equal(r2.runId, undefined);
  assert.equal(r2.syncedSinceRestart, false);
  const r3 = m.replicas.get('10.0.0.4:6379')!;
  assert.equal(r3.masterReplId, REPL_OLD);
  assert.equal(r3.replOffset, 4700);
  assert.equal(r3.runId, RUN_R3);
  assert.equal(r3.syncedSinceRestart, false);
}

describe('durable replication history', () => {
  it('reaches the core: config -> record -> SentinelCore', () => {
    const cfg = parse(TEXT, join(dir, 'unused.conf'));
    const record = cfg.masters.get('m')!;
    assert.deepEqual(record.primaryHistory, { replId: REPL_OLD, offset: 5000 });
    assert.deepEqual(recordedReplicas(record), [
      {
        host: '10.0.0.2',
        port: 6379,
        history: { replId: REPL_OLD, offset: 4900, runId: RUN_R1, synced: true },
      },
      { host: '10.0.0.3', port: 6379, history: undefined },
      {
        host: '10.0.0.4',
        port: 6379,
        history: { replId: REPL_OLD, offset: 4700, runId: RUN_R3, synced: false },
      },
    ]);
    const now = 1_000_000;
    const core = new SentinelCore(
      { myid: MYID, currentEpoch: 3, port: 26379, announceIp: undefined, announcePort: 0 },
      () => 0.5,
      now,
    );
    checkRestored(core.addMaster(record, now)!);
  });

  it('is written back by Daemon.persist and survives a restart', () => {
    const path = join(dir, 'sentinel.conf');
    writeFileSync(path, TEXT);
    const first = new Daemon({ config: parse(TEXT, path), configPath: path, exit: () => undefined });
    checkRestored(first.core.masters.get('m')!);

    // What a later INFO round teaches the core: a new primary history (the primary restarted
    // empty, say), replicas that followed it, one that restarted and has not synced yet.
    const now = Date.now();
    const info = (replica: string | undefined, addr: string, lines: string[]) =>
      first.core.reply(
        now,
        { t: 'info', master: 'm', addr, ...(replica ? { replica } : {}) },
        { t: 'string', v: lines.join('\r\n') },
      );
    info(undefined, '10.0.0.1:6379', [
      'role:master',
      `run_id:${'e'.repeat(40)}`,
      `master_replid:${REPL_NEW}`,
      'master_repl_offset:100',
    ]);
    const replicaInfo = (runId: string, offset: number, replId: string | undefined, up: boolean) => [
      'role:slave',
      `run_id:${runId}`,
      'master_host:10.0.0.1',
      'master_port:6379',
      `master_link_status:${up ? 'up' : 'down'}`,
      'master_sync_in_progress:0',
      `slave_repl_offset:${offset}`,
      ...(replId ? [`master_replid:${replId}`] : []),
    ];
    info('10.0.0.2:6379', '10.0.0.2:6379', replicaInfo(RUN_R1, 90, REPL_NEW, true));
    info('10.0.0.3:6379', '10.0.0.3:6379', replicaInfo(RUN_R3, 80, REPL_NEW, true));
    // Never answered INFO with a history since: no history is written for it.
    info('10.0.0.4:6379', '10.0.0.4:6379', replicaInfo(RUN_R3, 0, undefined, false));
    first.persist();

    const text = readFileSync(path, 'utf8');
    const history = historyLines(text);
    assert.deepEqual(history, [
      `sentinel primary-history m ${REPL_NEW} 100`,
      `sentinel replica-history m 10.0.0.2 6379 ${REPL_NEW} 90 ${RUN_R1} yes`,
      `sentinel replica-history m 10.0.0.3 6379 ${REPL_NEW} 80 ${RUN_R3} yes`,
    ]);
    // The replica only named by a history line is known now, and written so.
    assert.ok(text.includes('sentinel known-replica m 10.0.0.4 6379\n'), text);

    // A restarted monitor starts from what was written.
    const second = new Daemon({ config: parse(text, path), configPath: path, exit: () => undefined });
    const m2 = second.core.masters.get('m')!;
    assert.equal(m2.replId, REPL_NEW);
    assert.equal(m2.replOffset, 100);
    const back = (key: string) => {
      const r = m2.replicas.get(key)!;
      return [r.masterReplId, r.replOffset, r.runId, r.syncedSinceRestart];
    };
    assert.deepEqual(back('10.0.0.2:6379'), [REPL_NEW, 90, RUN_R1, true]);
    assert.deepEqual(back('10.0.0.3:6379'), [REPL_NEW, 80, RUN_R3, true]);
    assert.deepEqual(back('10.0.0.4:6379'), [undefined, 0, undefined, false]);

    // Nothing changed: a second persist writes the same history.
    second.persist();
    const again = readFileSync(path, 'utf8');
    assert.deepEqual(historyLines(again), history);
  });

  it('mid-failover, records the old primary as a replica without the promoted one history', () => {
    const path = join(dir, 'failover.conf');
    const record = parse(TEXT, path).masters.get('m')!;
    const m = newMaster(record, 0);
    for (const a of recordedReplicas(record)) {
      const r = newReplica(m, a, 0);
      if (a.history) r.masterReplId = a.history.replId;
      m.replicas.set(r.name, r);
    }
    const promoted = m.replicas.get('10.0.0.2:6379')!;
    m.promoted = promoted;
    m.failoverState = 'reconf_slaves';
    const written = parse(TEXT, path);
    written.masters.set('m', recordOf(m));
    const cfg = parse(renderConfig(TEXT, written), path);
    const mc = cfg.masters.get('m')!;
    assert.equal(`${mc.host}:${mc.port}`, '10.0.0.2:6379');
    assert.ok(mc.knownReplicas.some((r) => r.host === '10.0.0.1' && r.port === 6379));
    assert.deepEqual([...mc.replicaHistory.keys()], ['10.0.0.4:6379']);
    assert.deepEqual(mc.primaryHistory, { replId: REPL_OLD, offset: 5000 });
  });
});
