/** The coordinated switchover's steps: refusals, the pause, the catch-up, the handover. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  coordinatedProgress,
  onCoordinatedHz,
  onCoordinatedPaused,
  startCoordinated,
} from '../../src/core/coordinated.js';
import { failoverStep } from '../../src/core/failover.js';
import { fixture, sent } from './core-fixture.js';

describe('coordinated switchover', () => {
  it('refuses a primary that is down, an unknown target and one that cannot take over', () => {
    const f = fixture();
    f.m.sDown = true;
    const down = startCoordinated(f.c, f.m, {});
    assert.equal(down.ok, false);
    assert.match(down.ok ? '' : down.error, /is down: a coordinated switchover needs it/);
    f.m.sDown = false;
    const unknown = startCoordinated(f.c, f.m, { to: { host: '10.9.9.9', port: 1 } });
    assert.match(unknown.ok ? '' : unknown.error, /is not a known replica/);
    f.replicas[1]!.priority = 0;
    const refused = startCoordinated(f.c, f.m, { to: f.replicas[1]!.addr });
    assert.match(refused.ok ? '' : refused.error, /^NOGOODSLAVE .* replica-priority is 0/);
  });

  it('pauses writes only once the faster hz is in effect, then hands over when the target caught up', () => {
    const f = fixture({ peers: 0, quorum: 1 });
    const res = startCoordinated(f.c, f.m, {});
    assert.deepEqual(res, { ok: true, target: '10.0.0.2:6379', timeoutMs: 2500 });
    assert.ok(sent(f.effects()).some((s) => s.includes('CONFIG SET hz 100')));
    assert.equal(f.m.failoverState, 'send_slaveof_noone', 'elected alone, target selected');
    onCoordinatedHz(f.c, f.m, {
      t: 'array',
      v: [
        {
          t: 'array',
          v: [
            { t: 'string', v: 'hz' },
            { t: 'string', v: '10' },
          ],
        },
        { t: 'status', v: 'OK' },
      ],
    });
    failoverStep(f.c, f.m);
    assert.equal(f.m.failoverState, 'send_slaveof_noone', 'the old cron period has not passed');
    f.c.now += 106;
    failoverStep(f.c, f.m);
    assert.equal(f.m.failoverState, 'wait_promotion');
    assert.ok(sent(f.effects()).some((s) => s.includes('CLIENT PAUSE 2500 WRITE; INFO replication')));
    onCoordinatedPaused(f.c, f.m, {
      t: 'array',
      v: [
        { t: 'status', v: 'OK' },
        { t: 'string', v: 'role:master\r\nmaster_repl_offset:1500\r\n' },
      ],
    });
    assert.deepEqual(sent(f.effects()), [], 'the target is at 1000: not caught up');
    f.replicas[0]!.replOffset = 1500;
    coordinatedProgress(f.c, f.m);
    assert.deepEqual(sent(f.effects()), ['FAILOVER TO 10.0.0.2 6379 TIMEOUT 1 FORCE']);
  });

  it('is called off when the target does not take over in time, and the primary unpaused', () => {
    const f = fixture({ peers: 0, quorum: 1 });
    startCoordinated(f.c, f.m, {});
    onCoordinatedHz(f.c, f.m, { t: 'array', v: [] });
    f.c.now += 200;
    failoverStep(f.c, f.m);
    f.effects();
    f.c.now += 2500 + 101;
    failoverStep(f.c, f.m);
    const effects = f.effects();
    assert.ok(sent(effects).includes('FAILOVER ABORT; CLIENT UNPAUSE'));
    assert.ok(effects.some((e) => e.kind === 'event' && e.type === '-failover-abort-coordinated'));
    assert.equal(f.m.failoverState, 'none');
  });
});
