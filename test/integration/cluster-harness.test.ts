// Self-test of the Redis Cluster harness: a real 3-shard cluster with one replica per shard,
// keys through a cluster client, and a manual failover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import {
  CLUSTER_SLOTS,
  countSlots,
  nowMs,
  RedisCluster,
  registerCleanupHooks,
  waitFor,
  withTimeout,
  type ClusterNodeView,
  type RedisServer,
} from '../harness/index.js';

registerCleanupHooks();

const KEYS = Array.from({ length: 1000 }, (_, i) => `k:${i}`);
const valueOf = (key: string): string => `v:${key}`;

function entryOf(view: ClusterNodeView[], node: RedisServer): ClusterNodeView {
  const e = view.find((v) => v.port === node.port);
  assert.ok(e, `view lacks ${node.label} ${node.port}`);
  return e;
}

async function readAll(client: Cluster): Promise<void> {
  const values = await Promise.all(KEYS.map((k) => client.get(k)));
  const wrong = KEYS.filter((k, i) => values[i] !== valueOf(k));
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} keys missing or wrong`);
}

void test('a 3-shard cluster with one replica per shard: slots, keys, manual failover', async (t) => {
  const t0 = nowMs();
  const cluster = await RedisCluster.start({ shards: 3, replicasPerShard: 1 });
  t.diagnostic(`cluster formed in ${Math.round(nowMs() - t0)} ms`);
  assert.equal(cluster.nodes.length, 6);

  const client = new Cluster(cluster.seedNodes(), {
    enableReadyCheck: true,
    lazyConnect: true,
    // Give up quickly instead of retrying forever when the cluster is unreachable.
    clusterRetryStrategy: (times) => (times > 5 ? null : 200),
    slotsRefreshTimeout: 2000,
    redisOptions: { connectTimeout: 2000, maxRetriesPerRequest: 3 },
  });
  // Errors surface through rejected commands; this only keeps the emitter from throwing them.
  client.on('error', () => undefined);
  try {
    await t.test('every slot is served, by 3 primaries with one linked replica each', async () => {
      for (const n of cluster.nodes) {
        const info = await cluster.clusterInfo(n);
        assert.equal(info['cluster_state'], 'ok', `${n.label}`);
        assert.equal(info['cluster_slots_assigned'], String(CLUSTER_SLOTS));
        assert.equal(info['cluster_known_nodes'], '6');
      }
      const shards = await cluster.shards();
      assert.equal(shards.length, 3);
      assert.equal(
        shards.reduce((n, s) => n + countSlots(s.slots), 0),
        CLUSTER_SLOTS,
      );
      assert.deepEqual(
        shards.map((s) => s.slots),
        [['0-5460'], ['5461-10921'], ['10922-16383']],
      );
      assert.equal(new Set(shards.flatMap((s) => [s.primary, ...s.replicas])).size, 6);
      for (const s of shards) {
        assert.equal(s.replicas.length, 1);
        const replica = s.replicas[0]!;
        const repl = await replica.info('replication');
        assert.deepEqual(
          [repl['role'], repl['master_port'], repl['master_link_status']],
          ['slave', String(s.primary.port), 'up'],
        );
        assert.equal((await s.primary.role()).role, 'master');
      }
      // Every node sees the same layout.
      for (const n of cluster.nodes) {
        const view = await cluster.view(n);
        assert.equal(view.length, 6);
        assert.equal(entryOf(view, n).flags.includes('myself'), true);
        for (const s of shards) {
          const p = entryOf(view, s.primary);
          assert.deepEqual([p.role, p.slots], ['master', s.slots]);
          assert.deepEqual(
            [entryOf(view, s.replicas[0]!).role, entryOf(view, s.replicas[0]!).masterId],
            ['replica', p.id],
          );
        }
      }
    });

    await t.test(
      '1000 keys written through a cluster client read back, spread over every shard',
      async () => {
        await withTimeout(client.connect(), 10_000, 'the cluster client to be ready');
        const replies = await Promise.all(KEYS.map((k) => client.set(k, valueOf(k))));
        assert.ok(replies.every((r) => r === 'OK'));
        await readAll(client);
        const shards = await cluster.shards();
        const sizes = await Promise.all(shards.map((s) => s.primary.dbsize()));
        assert.equal(
          sizes.reduce((a, b) => a + b, 0),
          KEYS.length,
        );
        assert.ok(
          sizes.every((n) => n > 200),
          `keys per shard ${sizes.join(', ')}`,
        );
        // Replicated too.
        for (const s of shards) {
          assert.equal(await s.primary.cli('WAIT', 1, 5000), 1);
          assert.equal(await s.replicas[0]!.dbsize(), await s.primary.dbsize());
        }
      },
    );

    await t.test('CLUSTER FAILOVER swaps the shard roles in every view and keeps every key', async () => {
      const [shard] = await cluster.shards();
      const oldPrimary = shard!.primary;
      const replica = shard!.replicas[0]!;
      const started = nowMs();
      assert.equal(await replica.cli('CLUSTER', 'FAILOVER'), 'OK');
      // The cluster was converged before the failover too: wait for the promotion first.
      await waitFor(async () => (await replica.role()).role === 'master', {
        what: `${replica.label} ${replica.port} to be promoted`,
        timeoutMs: 10_000,
        intervalMs: 10,
      });
      const promoted = nowMs();
      await cluster.waitForConvergence({ timeoutMs: 10_000 });
      const converged = nowMs();
      t.diagnostic(
        `CLUSTER FAILOVER: promoted after ${Math.round(promoted - started)} ms, ` +
          `converged after ${Math.round(converged - started)} ms (cluster-node-timeout ${cluster.nodeTimeoutMs} ms)`,
      );

      for (const n of cluster.nodes) {
        const view = await cluster.view(n);
        const now = entryOf(view, replica);
        const old = entryOf(view, oldPrimary);
        assert.deepEqual([now.role, now.slots], ['master', shard!.slots], `view of ${n.label}`);
        assert.deepEqual([old.role, old.masterId, old.slots], ['replica', now.id, []], `view of ${n.label}`);
      }
      const after = await cluster.shards();
      assert.equal(after[0]!.primary, replica);
      assert.deepEqual(after[0]!.replicas, [oldPrimary]);
      const repl = await oldPrimary.info('replication');
      assert.deepEqual(
        [repl['role'], repl['master_port'], repl['master_link_status']],
        ['slave', String(replica.port), 'up'],
      );
      await readAll(client);
      const sizes = await Promise.all(after.map((s) => s.primary.dbsize()));
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        KEYS.length,
      );
    });
  } finally {
    client.disconnect();
  }
});
