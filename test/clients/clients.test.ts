/**
 * Real client libraries, with their own Sentinel support, connect through Vigil's port: they
 * find the primary, write, and after a kill -9 of the primary carry on writing on the new one
 * with no help from the test. ioredis 6 and node-redis 6 speak RESP3 (HELLO 3); Debian's
 * redis-py speaks RESP2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { createSentinel } from 'redis';
import { Redis } from 'ioredis';
import {
  onCleanup,
  RedisGroup,
  registerCleanupHooks,
  repoRoot,
  SentinelProcess,
  waitFor,
} from '../harness/index.js';

registerCleanupHooks();

const NAME = 'mymaster';

async function groupWithVigil() {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const vigil = await SentinelProcess.start({
    kind: 'vigil',
    masters: [group.monitorSpec(NAME, { quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 10_000 })],
  });
  await vigil.waitForReplicas(NAME, 2);
  return { group, vigil };
}

/** A write loop through some client; counts acknowledged writes and remembers their keys. */
class Loop {
  acked: string[] = [];
  errors = 0;
  private running = true;
  private done: Promise<void>;

  constructor(write: (key: string) => Promise<unknown>, prefix: string) {
    this.done = (async () => {
      let seq = 0;
      while (this.running) {
        const key = `${prefix}:${++seq}`;
        try {
          await write(key);
          this.acked.push(key);
        } catch {
          this.errors++;
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function killPrimaryAndWaitForWrites(
  group: RedisGroup,
  vigil: SentinelProcess,
  acked: () => number,
): Promise<string> {
  const events = await vigil.subscribe('+switch-master');
  const oldPort = group.primary.port;
  await group.primary.kill9();
  const ev = await events.waitForEvent('+switch-master', undefined, 20_000);
  const newPort = ev.payload.split(' ')[4] ?? '';
  assert.notEqual(newPort, String(oldPort));
  const before = acked();
  await waitFor(() => acked() >= before + 20, {
    what: 'writes to resume on the new primary',
    timeoutMs: 20_000,
  });
  return newPort;
}

async function assertOnNewPrimary(group: RedisGroup, keys: string[]): Promise<void> {
  const primary = await group.currentPrimary();
  assert.ok(primary, 'a primary exists after the failover');
  const c = primary.client();
  const tail = keys.slice(-20);
  const values = await c.mget(...tail);
  assert.deepEqual(
    values.map((v) => v !== null),
    tail.map(() => true),
    'the last acknowledged writes are on the new primary',
  );
}

test('ioredis 6 (RESP3, HELLO 3) follows a kill -9 failover through Vigil', async () => {
  const { group, vigil } = await groupWithVigil();
  const client = new Redis({
    sentinels: [{ host: '127.0.0.1', port: vigil.port }],
    name: NAME,
    retryStrategy: () => 50,
    sentinelRetryStrategy: () => 100,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  client.on('error', () => undefined);
  onCleanup('ioredis client', () => client.disconnect());
  const loop = new Loop((k) => client.set(k, '1'), 'ioredis');
  await waitFor(() => loop.acked.length >= 20, { what: 'first writes', timeoutMs: 10_000 });
  await killPrimaryAndWaitForWrites(group, vigil, () => loop.acked.length);
  await loop.stop();
  await assertOnNewPrimary(group, loop.acked);
});

test('node-redis 6 (RESP3) createSentinel follows a kill -9 failover through Vigil', async () => {
  const { group, vigil } = await groupWithVigil();
  const sentinel = createSentinel({
    name: NAME,
    sentinelRootNodes: [{ host: '127.0.0.1', port: vigil.port }],
    scanInterval: 200,
  });
  sentinel.on('error', () => undefined);
  await sentinel.connect();
  onCleanup('node-redis sentinel', async () => {
    try {
      await sentinel.close();
    } catch {
      await sentinel.destroy();
    }
  });
  const loop = new Loop((k) => sentinel.set(k, '1'), 'node-redis');
  await waitFor(() => loop.acked.length >= 20, { what: 'first writes', timeoutMs: 10_000 });
  await killPrimaryAndWaitForWrites(group, vigil, () => loop.acked.length);
  await loop.stop();
  await assertOnNewPrimary(group, loop.acked);
});

test("Debian's redis-py (RESP2) Sentinel.master_for follows a kill -9 failover through Vigil", async () => {
  const { group, vigil } = await groupWithVigil();
  const script = join(repoRoot(), 'test', 'clients', 'redis_py_writer.py');
  const child = spawn('/usr/bin/python3', [script, String(vigil.port), NAME, 'redis-py', '60'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup('redis-py writer', () => {
    child.kill('SIGKILL');
  });
  const acked: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('ok ')) acked.push(line.slice(3));
  });
  await waitFor(() => acked.length >= 20, {
    what: `first redis-py writes (stderr: ${stderr})`,
    timeoutMs: 15_000,
  });
  await killPrimaryAndWaitForWrites(group, vigil, () => acked.length);
  child.kill('SIGTERM');
  await assertOnNewPrimary(group, acked);
});
