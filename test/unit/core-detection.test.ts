/** Failure detection, one function at a time: SDOWN, ODOWN and TILT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkObjectivelyDown,
  checkSubjectivelyDown,
  checkTilt,
  stillInTilt,
} from '../../src/core/detection.js';
import { fixture, T0 } from './core-fixture.js';

describe('SDOWN', () => {
  it('is declared once a PING has gone unanswered for longer than down-after, and lifted on a reply', () => {
    const f = fixture({ downAfterMs: 5000 });
    f.m.link.actPingTime = T0;
    f.c.now = T0 + 5000;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, false, 'exactly down-after is not yet down');
    f.c.now = T0 + 5001;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, true);
    const ev = f.effects();
    assert.deepEqual(
      ev.filter((e) => e.kind === 'event').map((e) => (e.kind === 'event' ? e.type : '')),
      ['+sdown'],
    );
    // The replicas are asked for INFO at once: a failover will need fresh facts about them.
    assert.equal(ev.filter((e) => e.kind === 'send').length, f.replicas.length);
    f.m.link.actPingTime = 0;
    f.c.now += 100;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, false);
    assert.deepEqual(f.events(), ['-sdown']);
  });

  it('counts from the moment a connection broke, not from the next reconnect', () => {
    const f = fixture({ downAfterMs: 1000 });
    f.m.link.cc = false;
    f.m.link.lastAvailTime = T0;
    f.c.now = T0 + 1001;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, true);
  });

  it('a primary that keeps reporting itself a replica is down after down-after plus two INFO periods', () => {
    const f = fixture({ downAfterMs: 1000 });
    f.m.roleReported = 'slave';
    f.m.roleReportedTime = T0;
    f.c.now = T0 + 1000 + 2 * f.c.timing.infoPeriod;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, false);
    f.c.now += 1;
    checkSubjectivelyDown(f.c, f.m);
    assert.equal(f.m.sDown, true);
  });
});

describe('ODOWN', () => {
  it('needs this monitor and enough peers that report the primary down to reach the quorum', () => {
    const f = fixture({ quorum: 2, peers: 2 });
    f.m.sDown = true;
    checkObjectivelyDown(f.c, f.m);
    assert.equal(f.m.oDown, false, 'alone is not a quorum of 2');
    [...f.m.sentinels.values()][0]!.masterDown = true;
    checkObjectivelyDown(f.c, f.m);
    assert.equal(f.m.oDown, true);
    assert.deepEqual(f.events(), ['+odown']);
    f.m.sDown = false;
    checkObjectivelyDown(f.c, f.m);
    assert.equal(f.m.oDown, false, 'peers alone never make ODOWN');
    assert.deepEqual(f.events(), ['-odown']);
  });
});

describe('TILT', () => {
  it('is entered when the clock jumps back or too far ahead, and left after a quiet tilt period', () => {
    const f = fixture();
    f.c.previousTime = T0;
    f.c.now = T0 + 100;
    checkTilt(f.c);
    assert.equal(f.c.tilt, false);
    f.c.now = T0 + 50;
    checkTilt(f.c);
    assert.equal(f.c.tilt, true, 'backwards');
    assert.deepEqual(f.events(), ['+tilt']);
    f.c.now = T0 + 50 + f.c.timing.tiltPeriod - 1;
    assert.equal(stillInTilt(f.c), true);
    f.c.now += 1;
    assert.equal(stillInTilt(f.c), false);
    assert.deepEqual(f.events(), ['-tilt']);
    f.c.previousTime = f.c.now;
    f.c.now += f.c.timing.tiltTrigger + 1;
    checkTilt(f.c);
    assert.equal(f.c.tilt, true, 'a jump ahead');
  });
});
