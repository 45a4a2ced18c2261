/** `vigil switchover` against a real group: the steps are shown, the exit code tells the outcome. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedisGroup, registerCleanupHooks, runVigil, SentinelProcess } from '../harness/index.js';

registerCleanupHooks();
const NAME = 'mymaster';

const vigil = (args: string[]) => runVigil(args, 60_000);

test('vigil switchover: steps shown, new primary announced, exit 0; an ineligible --to is refused, exit 2', async () => {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const s = await SentinelProcess.start({
    kind: 'vigil',
    masters: [group.monitorSpec(NAME, { quorum: 1, downAfterMs: 2000 })],
  });
  await s.waitForReplicas(NAME, 2);
  const target = group.replicas[1]!;
  const ok = await vigil([
    'switchover',
    NAME,
    '--sentinel',
    `127.0.0.1:${s.port}`,
    '--to',
    `127.0.0.1:${target.port}`,
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /writes paused on the primary; handing over/);
  assert.match(ok.out, new RegExp(`done: ${NAME} is served by 127\\.0\\.0\\.1:${target.port}`));
  assert.equal((await s.masterAddr(NAME))?.port, target.port);

  await group.replicas[0]!.cli('CONFIG', 'SET', 'replica-priority', '0');
  await s.command('SENTINEL', 'DEBUG', 'INFO-PERIOD', '200');
  const refusedTo = group.replicas[0]!;
  let refused = { code: 0, out: '', err: '' };
  for (let i = 0; i < 20; i++) {
    refused = await vigil([
      'switchover',
      NAME,
      '--sentinel',
      `127.0.0.1:${s.port}`,
      '--to',
      `127.0.0.1:${refusedTo.port}`,
    ]);
    if (refused.code === 2) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(refused.code, 2);
  assert.match(refused.err, /replica-priority is 0/);
  const bad = await vigil(['switchover', NAME, '--sentinel', '127.0.0.1:1']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /cannot reach a monitor at 127\.0\.0\.1:1/);
});
