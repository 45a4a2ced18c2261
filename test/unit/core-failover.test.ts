/** The failover state machine, step by step, on a hand-built picture. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failoverStep, forceFailover, startFailover } from '../../src/core/failover.js';
import { fixture, MYID, sent, T0 } from './core-fixture.js';

describe('SENTINEL FAILOVER (forced)', () => {
  it('refuses when no replica can be promoted, and says none is suitable', () => {
    const f = fixture({ replicas: 1 });
    f.replicas[0]!.priority = 0;
    assert.equal(forceFailover(f.c, f.m), 'nogoodslave');
    assert.equal(f.m.failoverState, 'none');
  });

  it('starts a new epoch without an election and promotes the best replica', () => {
    const f = fixture({ replicas: 2 });
    assert.equal(forceFailover(f.c, f.m), 'ok');
    assert.equal(f.c.currentEpoch, 1);
    assert.equal(forceFailover(f.c, f.m), 'inprog');
    failoverStep(f.c, f.m);
    const effects = f.effects();
    const events = effects.flatMap((e) => (e.kind === 'event' ? [e.type] : []));
    assert.deepEqual(events, [
      '+new-epoch',
      '+try-failover',
      // It still votes for itself in the new epoch, as Sentinel does, though no vote is needed.
      '+vote-for-leader',
      '+elected-leader',
      '+failover-state-select-slave',
      '+selected-slave',
      '+failover-state-send-slaveof-noone',
      '+failover-state-wait-promotion',
    ]);
    assert.equal(f.m.promoted, f.replicas[0], 'the highest offset');
    assert.ok(sent(effects).some((s) => s.includes('SLAVEOF NO ONE')));
  });
});

describe('an elected failover', () => {
  it('waits for votes, then gives up when the election times out', () => {
    const f = fixture({ peers: 2, quorum: 2 });
    f.m.sDown = true;
    startFailover(f.c, f.m);
    // Two peers voted for someone else: 1 of 3 votes for us.
    for (const s of f.m.sentinels.values()) {
      s.leader = 'c'.repeat(40);
      s.leaderEpoch = 1;
    }
    failoverStep(f.c, f.m);
    assert.equal(f.m.failoverState, 'wait_start');
    f.c.now = f.m.failoverStartTime + f.c.timing.electionTimeout + 1;
    failoverStep(f.c, f.m);
    assert.equal(f.m.failoverState, 'none');
    assert.ok(f.events().includes('-failover-abort-not-elected'));
  });

  it('aborts when the primary answers again before anything was promoted', () => {
    const f = fixture({ peers: 2 });
    f.m.sDown = true;
    startFailover(f.c, f.m);
    f.m.sDown = false;
    failoverStep(f.c, f.m);
    assert.equal(f.m.failoverState, 'none');
    assert.ok(f.events().includes('-failover-abort-master-recovered'));
  });

  it('refuses every replica that lacks the history, naming the reason for each', () => {
    const f = fixture({ peers: 0, quorum: 1 });
    f.m.sDown = true;
    for (const r of f.replicas) r.masterReplId = 'b'.repeat(40);
    f.replicas[1]!.syncedSinceRestart = false;
    startFailover(f.c, f.m);
    f.m.leader = MYID;
    failoverStep(f.c, f.m);
    const effects = f.effects();
    const refused = effects.flatMap((e) =>
      e.kind === 'event' && e.type === '-failover-refused-replica' ? [e.message] : [],
    );
    assert.equal(refused.length, 2);
    assert.match(refused[0]!, /holds a different history/);
    assert.match(refused[1]!, /has not completed a sync/);
    assert.ok(effects.some((e) => e.kind === 'event' && e.type === '-failover-abort-no-good-slave'));
    assert.equal(f.m.failoverState, 'none');
    assert.ok(T0 > 0);
  });
});
