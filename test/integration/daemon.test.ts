/**
 * The daemon's own duties against real servers: monitoring events, security on both sides
 * (its port and its links to Redis), scripts, state that survives a restart, and signals.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  makeTempDir,
  RedisGroup,
  registerCleanupHooks,
  respCommand,
  RespError,
  SentinelProcess,
  waitFor,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';

test('monitoring: replicas discovered, +sdown/-sdown on a paused replica, +reboot on a restarted one', async () => {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    masters: [group.monitorSpec(NAME, { quorum: 2, downAfterMs: 1000 })],
  });
  const replicas = await vigil.waitForReplicas(NAME, 2);
  assert.deepEqual(replicas.map((r) => r['flags']).sort(), ['slave', 'slave']);
  const events = await vigil.subscribe('*');
  const replica = group.replicas[0]!;
  await replica.pause();
  const sdown = await events.waitForEvent('+sdown', (e) => e.payload.includes(`:${replica.port} `), 5000);
  assert.match(
    sdown.payload,
    new RegExp(`^slave 127\\.0\\.0\\.1:${replica.port} 127\\.0\\.0\\.1 ${replica.port} @ ${NAME} `),
  );
  await replica.resume();
  await events.waitForEvent('-sdown', (e) => e.payload.includes(`:${replica.port} `), 5000);
  // A restart changes the run id: +reboot on the next INFO (every 10 s, or 1 s while it is down).
  await replica.restart({ mode: 'kill9', downMs: 1500 });
  await events.waitForEvent('+reboot', (e) => e.payload.includes(`:${replica.port} `), 20_000);
  // Quorum 2 with one monitor: the primary is never failed over, whatever happens.
  assert.equal(events.find('+odown').length, 0);
});

test('security: requirepass on the daemon, auth-pass towards a password-protected group', async () => {
  const group = await RedisGroup.start({ replicas: 1, persistence: 'none', requirepass: 's3cret' });
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    requirepass: 'daemon-pass',
    masters: [{ ...group.monitorSpec(NAME, { quorum: 1 }), authPass: 's3cret' }],
  });
  // Linked to the protected nodes: the replica is found and the primary's run id is known.
  await waitFor(async () => (await vigil.master(NAME))['num-slaves'] === '1', {
    what: 'replica discovery',
    timeoutMs: 10_000,
  });
  assert.match((await vigil.master(NAME))['runid'] ?? '', /^[0-9a-f]{40}$/);
  // Without the password the daemon refuses everything but AUTH/HELLO.
  await assert.rejects(respCommand('127.0.0.1', vigil.port, ['SENTINEL', 'MASTERS']), (e: unknown) => {
    return e instanceof RespError && e.message.startsWith('NOAUTH');
  });
  await assert.rejects(respCommand('127.0.0.1', vigil.port, ['AUTH', 'wrong']), /WRONGPASS/);
  assert.equal(await respCommand('127.0.0.1', vigil.port, ['PING'], { password: 'daemon-pass' }), 'PONG');
});

test('ACL users from the config file and from an aclfile; permissions are enforced', async () => {
  const group = await RedisGroup.start({ replicas: 1, persistence: 'none' });
  const dir = makeTempDir('acl');
  const aclfile = join(dir, 'users.acl');
  writeFileSync(
    aclfile,
    'user reader on >readpw +ping +sentinel|masters +sentinel|get-master-addr-by-name\n',
  );
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    extra: [`aclfile ${aclfile}`],
    masters: [group.monitorSpec(NAME, { quorum: 1 })],
  });
  const asReader = { username: 'reader', password: 'readpw' };
  const addr = await respCommand(
    '127.0.0.1',
    vigil.port,
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME],
    asReader,
  );
  assert.deepEqual(addr, ['127.0.0.1', String(group.primary.port)]);
  await assert.rejects(
    respCommand('127.0.0.1', vigil.port, ['SENTINEL', 'FAILOVER', NAME], asReader),
    /NOPERM this user has no permissions to run the 'sentinel\|failover' command/,
  );
  // ACL SETUSER at run time, then authenticate as the new user.
  assert.equal(await vigil.command('ACL', 'SETUSER', 'ops', 'on', '>opspw', '+@all'), 'OK');
  assert.equal(
    await respCommand('127.0.0.1', vigil.port, ['ACL', 'WHOAMI'], { username: 'ops', password: 'opspw' }),
    'ops',
  );
  const users = (await vigil.command('ACL', 'USERS')) as string[];
  assert.deepEqual(users, ['default', 'ops', 'reader']);
});

test('scripts: the notification script runs on warning events; SENTINEL SET of scripts is denied by default', async () => {
  const group = await RedisGroup.start({ replicas: 1, persistence: 'none' });
  const dir = makeTempDir('scripts');
  const out = join(dir, 'events.txt');
  const script = join(dir, 'notify.sh');
  writeFileSync(script, `#!/bin/sh\necho "$1 $2" >> ${out}\n`);
  chmodSync(script, 0o755);
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    masters: [
      {
        ...group.monitorSpec(NAME, { quorum: 1 }),
        extra: [`sentinel notification-script ${NAME} ${script}`],
      },
    ],
  });
  await vigil.waitForReplicas(NAME, 1);
  await group.replicas[0]!.pause();
  await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('+sdown slave'), {
    what: 'the notification script to record +sdown',
    timeoutMs: 10_000,
  });
  await group.replicas[0]!.resume();
  await assert.rejects(
    vigil.command('SENTINEL', 'SET', NAME, 'notification-script', script),
    /Reconfiguration of scripts path is denied/,
  );
});

test('state survives a restart: myid, epochs, known replicas; SENTINEL SET is persisted', async () => {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    masters: [group.monitorSpec(NAME, { quorum: 1 })],
  });
  await vigil.waitForReplicas(NAME, 2);
  const myid = await vigil.command('SENTINEL', 'MYID');
  assert.equal(
    await vigil.command('SENTINEL', 'SET', NAME, 'down-after-milliseconds', '1234', 'quorum', '2'),
    'OK',
  );
  const text = vigil.configText();
  assert.match(text, new RegExp(`^sentinel myid ${String(myid)}$`, 'm'));
  assert.match(text, new RegExp(`^sentinel down-after-milliseconds ${NAME} 1234$`, 'm'));
  assert.match(text, new RegExp(`^sentinel monitor ${NAME} 127\\.0\\.0\\.1 ${group.primary.port} 2$`, 'm'));
  assert.equal(text.match(/^sentinel known-replica /gm)?.length, 2);
  // Restart with the replicas stopped: they are still known from the file.
  await vigil.stop();
  for (const r of group.replicas) await r.stop();
  await vigil.start();
  assert.equal(await vigil.command('SENTINEL', 'MYID'), myid);
  const m = await vigil.master(NAME);
  assert.equal(m['down-after-milliseconds'], '1234');
  assert.equal(m['quorum'], '2');
  assert.equal(m['num-slaves'], '2');
});

test('SENTINEL MONITOR and REMOVE at run time are written to the file; SIGTERM exits cleanly', async () => {
  const group = await RedisGroup.start({ replicas: 0, persistence: 'none' });
  const vigil = await SentinelProcess.start({ kind: 'vigil', masters: [] });
  assert.equal(
    await vigil.command('SENTINEL', 'MONITOR', 'other', '127.0.0.1', String(group.primary.port), '1'),
    'OK',
  );
  assert.match(vigil.configText(), /^sentinel monitor other 127\.0\.0\.1 \d+ 1$/m);
  assert.deepEqual(await vigil.command('ROLE'), ['sentinel', ['other']]);
  assert.equal(await vigil.command('SENTINEL', 'REMOVE', 'other'), 'OK');
  assert.doesNotMatch(vigil.configText(), /^sentinel monitor other /m);
  await vigil.stop();
  assert.equal(vigil.lastExit?.code, 0);
  assert.match(vigil.logTail(5), /ready to exit/);
});
