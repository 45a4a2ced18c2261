/** Fencing replaced primaries: the one rule, and who acts how. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FENCE_GRACE } from '../../src/core/constants.js';
import { fenceStalePrimary, stalePrimary } from '../../src/core/fence.js';
import { parseInfo } from '../../src/core/info.js';
import type { Fence } from '../../src/core/instance.js';
import { fixture, REPLID, sent } from './core-fixture.js';

const OLD = 'b'.repeat(40);
const OTHER = 'd'.repeat(40);

function asPrimary(replId: string, replId2?: string) {
  return parseInfo(
    ['role:master', `master_replid:${replId}`, `master_replid2:${replId2 ?? '0'.repeat(40)}`].join('\r\n'),
  );
}

function fenced(opts: Partial<Fence> = {}, myid?: string) {
  const f = fixture({ peers: 2, ...(myid ? { myid } : {}) });
  const r = f.replicas[1]!;
  r.fence = {
    history: OLD,
    leader: false,
    wiped: false,
    announcer: undefined,
    configEpoch: 0,
    unseen: false,
    pausedAt: 0,
    renewedAt: 0,
    ...opts,
  };
  r.roleReported = 'master';
  f.m.roleReported = 'master';
  f.m.infoRefresh = f.c.now;
  return { ...f, r };
}

describe('the one rule: only a stale primary is fenced', () => {
  it('the history it had when replaced, or one that does not continue the current primary', () => {
    const { m, r } = fenced();
    assert.equal(stalePrimary(m, r, asPrimary(OLD)), true, 'came back unchanged');
    assert.equal(stalePrimary(m, r, asPrimary(OTHER)), true, 'restarted: a history of its own');
    assert.equal(
      stalePrimary(m, r, asPrimary(OTHER, REPLID)),
      false,
      'promoted since from the current primary',
    );
    m.replId = undefined;
    assert.equal(stalePrimary(m, r, asPrimary(OTHER)), false, "the current primary's history not known yet");
  });
});

describe('who does what', () => {
  it('the leader salvages and demotes at once', () => {
    const { c, m, r, effects } = fenced({ leader: true });
    r.salvageFrom = { replId: OLD, offset: 100 };
    assert.equal(fenceStalePrimary(c, r, m, asPrimary(OLD)), true);
    const e = effects();
    assert.ok(e.some((x) => x.kind === 'salvage' && x.replId === OLD && x.offset === 100));
  });

  it('another monitor pauses its writes at once and demotes it after the grace', () => {
    const { c, m, r, effects } = fenced();
    fenceStalePrimary(c, r, m, asPrimary(OLD));
    const first = effects();
    assert.deepEqual(sent(first), ['CLIENT PAUSE 5000 WRITE']);
    assert.ok(first.some((x) => x.kind === 'event' && x.type === '+fence'));
    c.now += FENCE_GRACE;
    fenceStalePrimary(c, r, m, asPrimary(OLD));
    assert.ok(
      sent(effects()).some((x) => x.includes('SLAVEOF 10.0.0.1 6379') && x.includes('CLIENT UNPAUSE')),
    );
  });

  it('when redis-sentinel announced the failover, the Vigil with the smallest id salvages in its place', () => {
    // This monitor's id is the largest of the three.
    const { c, m, r, effects } = fenced({}, '9'.repeat(40));
    const [a, b] = [...m.sentinels.values()];
    r.fence!.announcer = a!.runId;
    a!.vigil = false;
    b!.vigil = undefined;
    m.replId2 = OLD;
    m.secondOffset = 500;
    // b is not known to be redis-sentinel and its id is smaller: it may be the Vigil that salvages.
    fenceStalePrimary(c, r, m, asPrimary(OLD));
    assert.ok(!effects().some((x) => x.kind === 'salvage'));
    b!.vigil = false;
    fenceStalePrimary(c, r, m, asPrimary(OLD));
    assert.ok(effects().some((x) => x.kind === 'salvage' && x.replId === OLD && x.offset === 500));
  });
});
