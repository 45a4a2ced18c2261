/** The wiped-primary guard's judgement (on the data, not on replication ids) and its start. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  judgeReboot,
  maybeStartGuard,
  scheduleGuard,
  settleRebootCheck,
  startRebootCheck,
  wipedByKeys,
} from '../../src/core/guard.js';
import { parseInfo } from '../../src/core/info.js';
import { fixture, REPLID, sent } from './core-fixture.js';

const NEW = 'c'.repeat(40);

/** The INFO a restarted primary gives: its replication history and its key count. */
function restarted(replId: string, offset: number, keys: number, replId2?: string, second?: number) {
  return parseInfo(
    [
      'role:master',
      `master_replid:${replId}`,
      `master_replid2:${replId2 ?? '0'.repeat(40)}`,
      `master_repl_offset:${offset}`,
      `second_repl_offset:${second ?? -1}`,
      '# Keyspace',
      ...(keys > 0 ? [`db0:keys=${keys},expires=0,avg_ttl=0`] : []),
    ].join('\r\n'),
  );
}

describe('wiped-primary guard', () => {
  it('a restart with a new history is judged on the data', () => {
    const f = fixture();
    assert.deepEqual(judgeReboot(f.c, f.m, restarted(NEW, 0, 0)), { kind: 'compare-keys' });
    for (const r of f.replicas) r.keys = 500;
    assert.match(wipedByKeys(f.c, f.m, 0, NEW) ?? '', /restarted with 0 keys and a new replication id/);
    assert.match(wipedByKeys(f.c, f.m, 120, NEW) ?? '', /120 keys .* replicas hold up to 500 keys/);
  });

  it('lets a restart that reloaded its data alone, whatever its replication id (AOF: new id, offset 0)', () => {
    const f = fixture();
    for (const r of f.replicas) r.keys = 500;
    assert.equal(wipedByKeys(f.c, f.m, 500, NEW), undefined);
  });

  it('judges a restart that kept its history (RDB: the old id as replid2) by offsets', () => {
    const f = fixture();
    assert.deepEqual(judgeReboot(f.c, f.m, restarted(NEW, 1000, 500, REPLID, 1001)), { kind: 'whole' });
    const short = judgeReboot(f.c, f.m, restarted(NEW, 10, 500, REPLID, 11));
    assert.match(
      short.kind === 'wiped' ? short.why : '',
      /restarted at offset 10, behind its replicas at 1000/,
    );
    const same = judgeReboot(f.c, f.m, restarted(REPLID, 10, 500));
    assert.match(same.kind === 'wiped' ? same.why : '', /restarted at offset 10/);
  });

  it('has nothing to protect when no promotable replica holds data of the history', () => {
    const f = fixture();
    for (const r of f.replicas) r.keys = 0;
    assert.equal(wipedByKeys(f.c, f.m, 0, NEW), undefined, 'replicas without keys');
    const g = fixture();
    for (const r of g.replicas) {
      r.keys = 500;
      r.syncedSinceRestart = false;
    }
    assert.deepEqual(
      judgeReboot(g.c, g.m, restarted(NEW, 0, 0)),
      { kind: 'whole' },
      'replicas that never synced',
    );
    const h = fixture();
    for (const r of h.replicas) {
      r.keys = 500;
      r.priority = 0;
    }
    assert.deepEqual(judgeReboot(h.c, h.m, restarted(NEW, 0, 0)), { kind: 'whole' }, 'no promotable replica');
  });

  it('asks the replicas what they hold before comparing, and keeps the old history meanwhile', () => {
    const f = fixture();
    for (const r of f.replicas) r.keys = 10;
    startRebootCheck(f.c, f.m, restarted(NEW, 0, 0));
    assert.equal(sent(f.effects()).length, 2, 'INFO to each replica');
    f.m.keys = 0;
    settleRebootCheck(f.c, f.m);
    assert.ok(f.m.rebootCheck, 'waits for their answers');
    // Their fresh answers: they hold 500 keys.
    for (const r of f.replicas) {
      r.keys = 500;
      f.m.rebootCheck.waiting.delete(r.name);
    }
    settleRebootCheck(f.c, f.m);
    assert.equal(f.m.rebootCheck, undefined);
    assert.ok(f.m.guardPending, 'the guard is scheduled');
    assert.equal(f.m.replId, REPLID, 'the old history stays the one to protect');
  });

  it('adopts the new history when the restarted primary holds at least what its replicas hold', () => {
    const f = fixture();
    for (const r of f.replicas) r.keys = 500;
    startRebootCheck(f.c, f.m, restarted(NEW, 0, 500));
    f.m.keys = 500;
    f.c.now += 250;
    settleRebootCheck(f.c, f.m);
    assert.equal(f.m.guardPending, undefined);
    assert.equal(f.m.replId, NEW);
  });

  it('starts after its rank among the monitors, so the first asker gets the votes', () => {
    const f = fixture({ peers: 2, myid: '9'.repeat(40) });
    scheduleGuard(f.c, f.m, 'why', NEW);
    assert.ok(f.events().includes('+wiped-primary'));
    assert.equal(f.m.failoverState, 'none', 'two peers rank before this monitor');
    f.c.now = f.m.guardPending!.at;
    maybeStartGuard(f.c, f.m);
    assert.equal(f.m.failoverState, 'wait_start');
    assert.equal(f.m.guard, true);
  });

  it('never fires against a configuration other than the one it was decided for', () => {
    const f = fixture({ peers: 2, myid: '9'.repeat(40) });
    scheduleGuard(f.c, f.m, 'why', NEW);
    f.m.addr = { host: '10.0.0.2', port: 6379 };
    f.m.configEpoch = 1;
    f.c.now = f.m.guardPending!.at;
    maybeStartGuard(f.c, f.m);
    assert.equal(f.m.failoverState, 'none');
    assert.equal(f.m.guardPending, undefined);
  });
});
