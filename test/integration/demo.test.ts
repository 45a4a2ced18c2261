/** The main job: `vigil demo` runs end to end (failover, then a rolling restart) and says what it saw. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { registerCleanupHooks, repoRoot } from '../harness/index.js';

registerCleanupHooks();
const run = promisify(execFile);

test('vigil demo: a kill -9 failover, then a rolling restart with no acknowledged write missing', async () => {
  let out = '';
  try {
    const r = await run(process.execPath, [join(repoRoot(), 'bin', 'vigil'), 'demo'], { timeout: 150_000 });
    out = r.stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    assert.fail(`the demo failed:\n${x.stdout ?? ''}\n${x.stderr ?? ''}`);
  }
  assert.match(out, /monitor \d: \+switch-master mymaster/);
  assert.match(out, /Failover done: new primary 127\.0\.0\.1:\d+/);
  assert.match(out, /step \d+: hand the primary role over/);
  assert.match(out, /Rolling restart done/);
  assert.match(out, /acknowledged writes missing on the final primary, over the whole demo: 0 of \d+/);
  assert.match(out, /stopped every process the demo started/);
});
