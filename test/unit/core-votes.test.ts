/** Votes and epochs: one vote per epoch, on disk before it is announced, and who won an epoch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLeader, isMasterDownByAddr, onIsMasterDownReply, voteLeader } from '../../src/core/votes.js';
import { fixture, MYID, T0 } from './core-fixture.js';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);

describe('voteLeader', () => {
  it('votes once per epoch: a second candidate of the same epoch gets the first one named', () => {
    const f = fixture();
    assert.deepEqual(voteLeader(f.c, f.m, 1, A), { leader: A, epoch: 1 });
    assert.deepEqual(voteLeader(f.c, f.m, 1, B), { leader: A, epoch: 1 });
    assert.deepEqual(voteLeader(f.c, f.m, 2, B), { leader: B, epoch: 2 });
    assert.equal(f.c.currentEpoch, 2);
  });

  it('persists the vote before the event that announces it', () => {
    const f = fixture();
    voteLeader(f.c, f.m, 1, A);
    const kinds = f.effects().map((e) => (e.kind === 'event' ? e.type : e.kind));
    assert.deepEqual(kinds, ['flush-config', '+new-epoch', 'flush-config', '+vote-for-leader']);
  });

  it('never votes in an epoch older than the current one', () => {
    const f = fixture();
    f.c.currentEpoch = 5;
    assert.deepEqual(voteLeader(f.c, f.m, 3, A), { leader: undefined, epoch: 0 });
  });
});

describe('IS-MASTER-DOWN-BY-ADDR', () => {
  it('answers down from its own SDOWN, not in TILT, and votes only when a run id is given', () => {
    const f = fixture();
    assert.deepEqual(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 0, '*'), {
      down: false,
      leader: '*',
      epoch: 0,
    });
    f.m.sDown = true;
    assert.equal(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 0, '*').down, true);
    f.c.tilt = true;
    assert.equal(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 0, '*').down, false);
    assert.deepEqual(
      isMasterDownByAddr(f.c, '10.0.0.1', 6379, 1, A),
      { down: false, leader: A, epoch: 1 },
      'it sees the primary down: it votes',
    );
    assert.equal(isMasterDownByAddr(f.c, '10.9.9.9', 6379, 1, A).leader, '*', 'an unknown primary');
  });

  it("records a peer's answer: its down flag and its vote", () => {
    const f = fixture();
    const s = [...f.m.sentinels.values()][0]!;
    onIsMasterDownReply(
      f.c,
      f.m,
      s,
      {
        t: 'array',
        v: [
          { t: 'int', v: 1 },
          { t: 'string', v: A },
          { t: 'int', v: 4 },
        ],
      },
      false,
    );
    assert.equal(s.masterDown, true);
    assert.equal(s.leader, A);
    assert.equal(s.leaderEpoch, 4);
    onIsMasterDownReply(
      f.c,
      f.m,
      s,
      {
        t: 'array',
        v: [
          { t: 'int', v: 0 },
          { t: 'string', v: '*' },
          { t: 'int', v: 0 },
        ],
      },
      false,
    );
    assert.equal(s.masterDown, false);
    assert.equal(s.leader, A, 'no vote in the reply leaves the last one');
  });
});

describe('getLeader', () => {
  it('elects a candidate with a majority of every known monitor and the quorum', () => {
    const f = fixture({ peers: 2, quorum: 2 });
    f.c.currentEpoch = 1;
    const [p1, p2] = [...f.m.sentinels.values()];
    p1!.leader = MYID;
    p1!.leaderEpoch = 1;
    // This monitor votes for itself (no one leads): 2 of 3.
    assert.equal(getLeader(f.c, f.m, 1), MYID);
    p2!.leader = B;
    p2!.leaderEpoch = 1;
    assert.equal(getLeader(f.c, f.m, 1), MYID, 'its own vote was already given');
  });

  it('counts only the votes cast in the failover epoch', () => {
    const f = fixture({ peers: 2, quorum: 2 });
    f.c.currentEpoch = 2;
    const [p1] = [...f.m.sentinels.values()];
    p1!.leader = MYID;
    p1!.leaderEpoch = 1;
    assert.equal(getLeader(f.c, f.m, 2), undefined, '1 vote of 3');
  });

  it('a quorum above the majority is needed too', () => {
    const f = fixture({ peers: 2, quorum: 3 });
    f.c.currentEpoch = 1;
    const [p1] = [...f.m.sentinels.values()];
    p1!.leader = MYID;
    p1!.leaderEpoch = 1;
    assert.equal(getLeader(f.c, f.m, 1), undefined);
  });
});

describe('a vote means "I see it down too"', () => {
  it('refuses a vote for a failover of a primary this monitor sees healthy, but moves to the epoch', () => {
    const f = fixture();
    f.m.link.lastAvailTime = T0;
    f.c.now = T0 + 10;
    assert.deepEqual(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 3, A), { down: false, leader: '*', epoch: 0 });
    assert.equal(f.c.currentEpoch, 3);
    assert.equal(f.m.leaderEpoch, 0, 'no vote recorded');
    assert.equal(f.m.votesRefused, 1);
    const logs = f.effects().flatMap((e) => (e.kind === 'log' ? [e.message] : []));
    assert.ok(
      logs.some((l) => /Refused to vote for .* in epoch 3 to fail over mymaster: I see mymaster/.test(l)),
      logs.join('\n'),
    );
  });

  it('votes when the primary gave no valid reply for down-after, even before SDOWN is declared', () => {
    const f = fixture({ downAfterMs: 5000 });
    f.m.link.lastAvailTime = T0;
    f.c.now = T0 + 5001;
    assert.equal(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 1, A).leader, A);
  });

  it('votes for a planned switchover when asked with the SWITCHOVER marker, and under the guard', () => {
    const f = fixture();
    f.m.link.lastAvailTime = T0;
    assert.equal(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 1, A, true).leader, A);
    const g = fixture();
    g.m.link.lastAvailTime = T0;
    g.m.guardPending = {
      why: 'wiped',
      newReplId: undefined,
      at: T0 + 100,
      addr: '10.0.0.1:6379',
      configEpoch: 0,
    };
    assert.equal(isMasterDownByAddr(g.c, '10.0.0.1', 6379, 1, A).leader, A);
  });

  it('repeats a vote already given in the asked epoch', () => {
    const f = fixture();
    f.m.sDown = true;
    isMasterDownByAddr(f.c, '10.0.0.1', 6379, 2, A);
    f.m.sDown = false;
    f.m.link.lastAvailTime = f.c.now;
    assert.deepEqual(isMasterDownByAddr(f.c, '10.0.0.1', 6379, 2, B), { down: false, leader: A, epoch: 2 });
  });

  it('asks a peer again without the marker when it turns out to be redis-sentinel', () => {
    const f = fixture({ peers: 1 });
    const s = [...f.m.sentinels.values()][0]!;
    f.m.failoverState = 'wait_start';
    f.m.coordinated = {
      to: undefined,
      timeoutMs: 100,
      pausedAt: 0,
      pausedOffset: -1,
      handedOver: false,
      configuredHz: undefined,
      hzRaisedAt: 0,
      adopted: false,
      lastPoll: 0,
      fallback: false,
    };
    onIsMasterDownReply(
      f.c,
      f.m,
      s,
      { t: 'error', v: "ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command" },
      true,
    );
    assert.equal(s.vigil, false);
    const asked = f.effects().flatMap((e) => (e.kind === 'send' ? e.commands.map((x) => x.join(' ')) : []));
    assert.equal(asked.length, 1);
    assert.ok(!asked[0]!.includes('SWITCHOVER'), asked[0]);
  });
});
