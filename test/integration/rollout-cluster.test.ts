/**
 * `vigil rollout --cluster` on a real three-shard Redis Cluster run by the local driver: shard
 * by shard, CLUSTER FAILOVER to the restarted replica before the primary is touched, every
 * node's view agreeing before the next step, nothing lost under a cluster client's writes.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, type Redis } from 'ioredis';
import {
  ContinuousWriter,
  infoFields,
  registerCleanupHooks,
  runVigil,
  respCommand,
} from '../harness/index.js';
import { startLocalCluster } from '../harness/local-group.js';

registerCleanupHooks();

test('a config change rolls a 3-shard cluster shard by shard with CLUSTER FAILOVER; nothing lost', async () => {
  const cluster = await startLocalCluster({ shards: 3, replicasPerShard: 1 });
  const primariesBefore = new Set<number>();
  for (const n of cluster.nodes) {
    const i = infoFields(String(await respCommand('127.0.0.1', n.port, ['INFO', 'replication'])));
    if (i['role'] === 'master') primariesBefore.add(n.port);
  }
  const client = new Cluster(cluster.seeds(), {
    clusterRetryStrategy: () => 50,
    redisOptions: { commandTimeout: 1000, maxRetriesPerRequest: 2 },
    retryDelayOnMoved: 10,
    retryDelayOnFailover: 50,
  });
  client.on('error', () => undefined);
  const writer = new ContinuousWriter({
    writerId: 'cluster',
    client: client as unknown as Redis,
    commandTimeoutMs: 1000,
    maxDurationMs: 120_000,
  });
  try {
    writer.start();
    await writer.waitForAcks(300);
    for (const n of cluster.nodes) appendFileSync(join(n.dir, 'node.conf'), 'hz 20\n');
    const r = await runVigil([
      'rollout',
      '--cluster',
      `127.0.0.1:${cluster.nodes[0]!.port}`,
      '--local-root',
      cluster.root,
    ]);
    assert.equal(r.code, 0, `rollout failed:\n${r.out}\n${r.err}`);
    const lines = r.out.split('\n');
    const steps = lines.filter((l) => /step \d+:/.test(l));
    assert.equal(steps.filter((l) => /CLUSTER FAILOVER/.test(l)).length, 3, r.out);
    assert.equal(steps.filter((l) => /restart replica/.test(l)).length, 6, r.out);
    // Within a shard: its replica, then the handover, then its old primary, before the next shard.
    for (const from of primariesBefore) {
      const handover = steps.findIndex((l) => new RegExp(`over 127\\.0\\.0\\.1:${from} -> `).test(l));
      const restart = steps.findIndex((l) => new RegExp(`restart replica 127\\.0\\.0\\.1:${from} `).test(l));
      assert.ok(handover >= 0 && restart === handover + 1, r.out);
    }
    for (const n of cluster.nodes) {
      const i = infoFields(String(await respCommand('127.0.0.1', n.port, ['INFO', 'all'])));
      assert.equal(i['hz'], '20', `${n.port} runs the new config`);
      assert.equal(i['role'] === 'master', !primariesBefore.has(n.port), `${n.port} changed role`);
    }
    await cluster.waitForConvergence();
    await writer.waitForAcks(writer.acknowledged + 200);
    await writer.stop();
    const expected = writer.expectedEntries();
    // Read back with a client of its own, without the writer's short command timeout, in batches.
    const reader = new Cluster(cluster.seeds());
    reader.on('error', () => undefined);
    const lost: string[] = [];
    try {
      for (let i = 0; i < expected.length; i += 200) {
        const batch = expected.slice(i, i + 200);
        const values = await Promise.all(batch.map((e) => reader.get(e.key)));
        batch.forEach((e, j) => {
          if (values[j] !== e.value) lost.push(e.key);
        });
      }
    } finally {
      reader.disconnect();
    }
    assert.ok(expected.length > 0);
    assert.equal(lost.length, 0, `lost ${lost.length} of ${expected.length}: ${lost.slice(0, 5).join(' ')}`);
  } finally {
    await writer.stop();
    client.disconnect();
  }
});
