/** The main job: `vigil demo` runs end to end (failover, then a rolling restart) and says what it saw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerCleanupHooks, runVigil } from '../harness/index.js';

registerCleanupHooks();

test('vigil demo: a kill -9 failover, then a rolling restart with no acknowledged write missing', async () => {
  const r = await runVigil(['demo'], 150_000);
  assert.equal(r.code, 0, `the demo failed:\n${r.out}\n${r.err}`);
  const out = r.out;
  assert.match(out, /monitor \d: \+switch-master mymaster/);
  assert.match(out, /Failover done: new primary 127\.0\.0\.1:\d+/);
  assert.match(out, /step \d+: hand the primary role over/);
  assert.match(out, /Rolling restart done/);
  assert.match(out, /acknowledged writes missing on the final primary, over the whole demo: 0 of \d+/);
  assert.match(out, /stopped every process the demo started/);
});
