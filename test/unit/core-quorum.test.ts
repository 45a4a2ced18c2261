/** Quorum arithmetic against a naive version, over seeded random cases (raft's quick tests). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  electionResult,
  majority,
  objectivelyDown,
  quorumCheck,
  tally,
  votesNeeded,
} from '../../src/core/quorum.js';
import { mulberry32 } from '../harness/random.js';

/** Won if some monitors' votes make it, lost if no way of casting the rest makes it: by enumeration. */
function naiveElection(votesFor: number, cast: number, voters: number, quorum: number): string {
  const wins = (n: number) => n * 2 > voters && n >= quorum;
  if (wins(votesFor)) return 'won';
  const rest = voters - cast;
  for (let mask = 0; mask < 1 << rest; mask++) {
    let extra = 0;
    for (let b = 0; b < rest; b++) if (mask & (1 << b)) extra++;
    if (wins(votesFor + extra)) return 'pending';
  }
  return 'lost';
}

function naiveTally(votes: string[]): { winner: string | undefined; votes: number } {
  const order: string[] = [];
  for (const v of votes) if (!order.includes(v)) order.push(v);
  let best: string | undefined;
  let n = 0;
  for (const id of order) {
    const c = votes.filter((v) => v === id).length;
    if (c > n) {
      n = c;
      best = id;
    }
  }
  return { winner: best, votes: n };
}

describe('quorum arithmetic', () => {
  it('majority is more than half, so two candidates of one epoch cannot both reach it', () => {
    for (let voters = 1; voters <= 15; voters++) {
      const m = majority(voters);
      assert.ok(m * 2 > voters, `voters ${voters}`);
      assert.ok((m - 1) * 2 <= voters, `voters ${voters}`);
      assert.ok(m + m > voters);
    }
  });

  it('a leader needs the majority and never fewer than the quorum', () => {
    assert.equal(votesNeeded(3, 2), 2);
    assert.equal(votesNeeded(3, 3), 3);
    assert.equal(votesNeeded(5, 1), 3);
    assert.equal(votesNeeded(4, 2), 3);
  });

  it('election results agree with an enumeration of every way the missing votes could go', () => {
    const rand = mulberry32(20261207);
    for (let i = 0; i < 5000; i++) {
      const voters = 1 + Math.floor(rand() * 9);
      const quorum = 1 + Math.floor(rand() * voters);
      const cast = Math.floor(rand() * (voters + 1));
      const votesFor = Math.floor(rand() * (cast + 1));
      assert.equal(
        electionResult(votesFor, cast, voters, quorum),
        naiveElection(votesFor, cast, voters, quorum),
        `for=${votesFor} cast=${cast} voters=${voters} quorum=${quorum}`,
      );
    }
  });

  it('tally keeps the first candidate counted among equals, as Sentinel walks its table', () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rand() * 8);
      const votes = Array.from({ length: n }, () => 'abc'[Math.floor(rand() * 3)]!);
      const got = tally(votes);
      assert.deepEqual({ winner: got.winner, votes: got.votes }, naiveTally(votes), votes.join(''));
    }
    assert.equal(tally(['a', 'b', 'b', 'a']).winner, 'a');
  });

  it('ODOWN and CKQUORUM thresholds', () => {
    assert.equal(objectivelyDown(2, 2), true);
    assert.equal(objectivelyDown(1, 2), false);
    assert.deepEqual(quorumCheck(2, 3, 2), { quorum: true, majority: true });
    assert.deepEqual(quorumCheck(2, 5, 2), { quorum: true, majority: false });
    assert.deepEqual(quorumCheck(1, 3, 2), { quorum: false, majority: false });
  });
});
