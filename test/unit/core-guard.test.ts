/** The wiped-primary guard's judgement and its staggered start. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maybeStartGuard, scheduleGuard, wipedPrimary } from '../../src/core/guard.js';
import { fixture, REPLID } from './core-fixture.js';

describe('wiped-primary guard', () => {
  it('finds a primary back with a new history while a synced replica holds the old one', () => {
    const f = fixture();
    assert.match(wipedPrimary(f.c, f.m, 'c'.repeat(40), 0) ?? '', /restarted with a new replication id/);
    assert.match(
      wipedPrimary(f.c, f.m, REPLID, 10) ?? '',
      /restarted at offset 10, behind its replicas at 1000/,
    );
    assert.equal(wipedPrimary(f.c, f.m, REPLID, 1000), undefined, 'came back whole');
  });

  it('has nothing to protect when no promotable replica holds the history', () => {
    const f = fixture();
    for (const r of f.replicas) r.syncedSinceRestart = false;
    assert.equal(wipedPrimary(f.c, f.m, 'c'.repeat(40), 0), undefined);
    const g = fixture();
    for (const r of g.replicas) r.priority = 0;
    assert.equal(wipedPrimary(g.c, g.m, 'c'.repeat(40), 0), undefined);
  });

  it('starts after its rank among the monitors, so the first asker gets the votes', () => {
    const f = fixture({ peers: 2, myid: '9'.repeat(40) });
    scheduleGuard(f.c, f.m, 'why', 'c'.repeat(40));
    assert.ok(f.events().includes('+wiped-primary'));
    assert.equal(f.m.failoverState, 'none', 'two peers rank before this monitor');
    f.c.now = f.m.guardPending!.at;
    maybeStartGuard(f.c, f.m);
    assert.equal(f.m.failoverState, 'wait_start');
    assert.equal(f.m.guard, true);
  });
});
