/**
 * The rolling-restart planner: from what is observed now and what every process should run, the
 * next step and the steps after it. Pure: no I/O, no clock. The plan is recomputed from the live
 * state before every step, so there is no cursor to lose: a rollout that was killed half way
 * and run again picks up where the servers are.
 *
 * Order, per replication group or cluster shard: stale replicas one at a time; then a handover
 * to a replica that runs the desired spec and is in sync (highest offset first); then the old
 * primary, which is a replica by then. The monitors last, one at a time, while the quorum holds.
 * Before each step every node must be up and in sync: at most one node is ever down.
 */
import { staleReasons } from './spec.js';
import {
  nodeId,
  type DataNode,
  type Decision,
  type MonitorNode,
  type Next,
  type ObservedGroup,
  type PlanOptions,
  type StaleNode,
  type Step,
} from './types.js';

function sameAddr(a: { host: string; port: number } | undefined, b: { host: string; port: number }): boolean {
  return a !== undefined && a.port === b.port && a.host === b.host;
}

function byId<T extends { id: string; addr: { port: number } }>(a: T, b: T): number {
  return a.addr.port - b.addr.port || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The first reason a node cannot count as up and in sync with `primary`, if any. */
export function unsyncedReason(
  r: DataNode,
  primary: DataNode | undefined,
  maxLagBytes: number,
): { gate: 'node-down' | 'replica-sync'; reason: string } | undefined {
  if (!r.reachable) return { gate: 'node-down', reason: `${r.id} does not answer` };
  if (r.loading) return { gate: 'node-down', reason: `${r.id} is loading its data` };
  if (r.role !== 'replica' || primary === undefined) return undefined;
  if (r.syncing) return { gate: 'replica-sync', reason: `${r.id} is receiving a full sync` };
  if (!r.linkUp) return { gate: 'replica-sync', reason: `${r.id}'s link to its primary is down` };
  if (primary.clusterId !== undefined) {
    if (r.clusterPrimaryId !== primary.clusterId)
      return { gate: 'replica-sync', reason: `${r.id} follows another primary` };
  } else if (!sameAddr(r.primary, primary.addr)) {
    return {
      gate: 'replica-sync',
      reason: `${r.id} follows ${r.primary ? nodeId(r.primary) : 'nothing'}, not the primary ${primary.id}`,
    };
  }
  if (r.replId !== primary.replId)
    return { gate: 'replica-sync', reason: `${r.id} holds another history than its primary (resyncing)` };
  const behind = primary.offset - r.offset;
  if (behind > maxLagBytes)
    return { gate: 'replica-sync', reason: `${r.id} is ${behind} bytes behind its primary` };
  return undefined;
}

/**
 * The empty-primary guard: a primary with no keys (or a shorter history) while a replica holds
 * more is a primary that came back empty; its replicas would copy the empty dataset at their
 * next sync. Nothing is restarted or handed over until an operator has looked.
 */
export function emptyPrimaryReason(primary: DataNode, replicas: readonly DataNode[]): string | undefined {
  for (const r of replicas) {
    if (!r.reachable) continue;
    if (primary.keys === 0 && r.keys > 0)
      return (
        `the primary ${primary.id} holds no keys (offset ${primary.offset}) while its replica ${r.id} holds ${r.keys}: ` +
        `it may have restarted without its data. Vigil touches nothing in this state: keep the replica's copy ` +
        `(make it the primary, e.g. vigil switchover --to ${r.id}, or restore the primary), then run the rollout again`
      );
    if (r.replId !== primary.replId && r.offset > primary.offset && !r.linkUp)
      return (
        `the primary ${primary.id} is at offset ${primary.offset} of a new history while its replica ${r.id} holds ` +
        `offset ${r.offset} of an older one: the primary may have restarted without its data. Vigil touches ` +
        `nothing in this state: check the primary before running the rollout again`
      );
  }
  return undefined;
}

/** The replica to hand over to: runs the desired spec, in sync, promotable; highest offset first. */
export function handoverTarget(
  primary: DataNode,
  replicas: readonly DataNode[],
  staleIds: ReadonlySet<string>,
  maxLagBytes: number,
): DataNode | undefined {
  const ok = replicas.filter(
    (r) =>
      !staleIds.has(r.id) &&
      r.priority > 0 &&
      unsyncedReason(r, primary, maxLagBytes) === undefined &&
      !(primary.keys > 0 && r.keys === 0) &&
      r.monitorVerdict?.eligible !== false,
  );
  ok.sort((a, b) => b.offset - a.offset || byId(a, b));
  return ok[0];
}

interface Shard {
  primary: DataNode;
  replicas: DataNode[];
}

/** A shard's smallest member: a key a handover inside the shard does not change. */
function first(s: Shard): DataNode {
  return [s.primary, ...s.replicas].sort(byId)[0]!;
}

function wait(gate: Extract<Next, { kind: 'wait' }>['gate'], subject: string, reason: string): Next {
  return { kind: 'wait', gate, subject, reason };
}

/** Steps for one primary and its replicas, in order, and what holds the first of them back. */
function planShard(
  shard: Shard,
  stale: Map<string, string[]>,
  kind: 'switchover' | 'cluster-failover',
  maxLagBytes: number,
): { steps: Step[]; block?: Next } {
  const steps: Step[] = [];
  const replicas = [...shard.replicas].sort(byId);
  for (const r of replicas) {
    const why = stale.get(r.id);
    if (why) steps.push({ kind: 'restart-replica', node: r.id, why });
  }
  const primaryWhy = stale.get(shard.primary.id);
  if (!primaryWhy) return { steps };
  if (replicas.length === 0) {
    return {
      steps,
      block: {
        kind: 'stop',
        gate: 'only-copy',
        reason:
          `${shard.primary.id} must be restarted (${primaryWhy.join('; ')}) but it is the only copy of its data: ` +
          `no replica could take over. Add a replica and run the rollout again`,
      },
    };
  }
  const staleIds = new Set(stale.keys());
  // After the replicas' restarts every replica runs the desired spec: for the printed plan, the
  // best one by what is seen now.
  const now = handoverTarget(shard.primary, replicas, staleIds, maxLagBytes);
  const projected = now ?? handoverTarget(shard.primary, replicas, new Set(), Number.MAX_SAFE_INTEGER);
  const promotable = replicas.filter((r) => r.priority > 0);
  let block: Next | undefined;
  if (promotable.length === 0) {
    block = {
      kind: 'stop',
      gate: 'no-target',
      reason:
        `${shard.primary.id} must be restarted (${primaryWhy.join('; ')}) but every replica has replica-priority 0 ` +
        `(never promoted), so nothing can take over: the primary would be the only copy while it restarts. ` +
        `Give one replica a priority above 0 and run the rollout again`,
    };
  } else if (now === undefined && steps.length === 0) {
    block = wait(
      'no-target',
      shard.primary.id,
      `no replica of ${shard.primary.id} runs the desired spec and is in sync yet` +
        replicas
          .filter((r) => r.monitorVerdict?.eligible === false)
          .map((r) => `; the monitors would not promote ${r.id} yet: it ${r.monitorVerdict!.reason}`)
          .join(''),
    );
  }
  const target = now ?? projected ?? promotable[0];
  if (!target) return { steps, ...(block ? { block } : {}) };
  const to = target.id;
  steps.push({ kind, from: shard.primary.id, to, why: primaryWhy });
  steps.push({
    kind: 'restart-replica',
    node: shard.primary.id,
    why: [...primaryWhy, `a replica after the handover to ${to}`],
  });
  return block ? { steps, block } : { steps };
}

function healthGate(
  nodes: readonly DataNode[],
  primaryOf: (n: DataNode) => DataNode | undefined,
  lag: number,
) {
  for (const n of [...nodes].sort(byId)) {
    const why = unsyncedReason(n, primaryOf(n), lag);
    if (why) return wait(why.gate, n.id, why.reason);
  }
  return undefined;
}

function monitorsPlan(
  g: ObservedGroup,
  desired: PlanOptions['desired'],
): { steps: Step[]; stale: StaleNode[]; block?: Next } {
  const stale: StaleNode[] = [];
  const steps: Step[] = [];
  const ms = [...g.monitors].sort(byId);
  for (const m of ms) {
    // Version, executable and arguments describe the data nodes; a monitor is rolled by the
    // restart token only.
    const reasons = staleReasons(m.running, { restartedAfterMs: desired.restartedAfterMs });
    if (reasons.length > 0) {
      stale.push({ id: m.id, kind: 'monitor', reasons });
      steps.push({ kind: 'restart-monitor', node: m.id, why: reasons });
    }
  }
  if (steps.length === 0) return { steps, stale };
  const total = ms.length;
  const needed = Math.max(g.quorum ?? 1, Math.floor(total / 2) + 1);
  if (total - 1 < needed) {
    return {
      steps,
      stale,
      block: {
        kind: 'stop',
        gate: 'monitor-quorum',
        reason:
          `restarting a monitor would leave ${total - 1} of ${total}, fewer than the ${needed} needed to agree on a ` +
          `failover (quorum ${g.quorum ?? '?'}, majority ${Math.floor(total / 2) + 1}): the group would have no ` +
          `automatic failover meanwhile. Add a monitor first, or roll the monitors with --skip-monitors off-hours`,
      },
    };
  }
  return { steps, stale };
}

/** Before a handover: a replica the monitors have no link to would not be repointed by it. */
function unlinkedReplica(replicas: readonly DataNode[]): Next | undefined {
  const r = [...replicas].sort(byId).find((x) => x.reachable && x.monitorLinkDown === true);
  return r
    ? wait(
        'monitors-disagree',
        r.id,
        `the monitors have no link to ${r.id} yet: a handover now would leave it following the old primary until they reconnect`,
      )
    : undefined;
}

function monitorHealth(ms: readonly MonitorNode[], primary: DataNode): Next | undefined {
  for (const m of [...ms].sort(byId)) {
    if (!m.reachable) return wait('monitor-quorum', m.id, `the monitor ${m.id} does not answer`);
  }
  for (const m of [...ms].sort(byId)) {
    if (!sameAddr(m.primary, primary.addr))
      return wait(
        'monitors-disagree',
        m.id,
        `the monitor ${m.id} announces ${m.primary ? nodeId(m.primary) : 'no primary'}, the primary is ${primary.id}`,
      );
    if (m.primaryDown) return wait('node-down', m.id, `the monitor ${m.id} sees the primary down`);
  }
  for (const m of [...ms].sort(byId)) {
    if (m.peers < ms.length - 1)
      return wait(
        'monitor-quorum',
        m.id,
        `the monitor ${m.id} knows ${m.peers} other monitors of ${ms.length - 1} (rediscovering after a restart)`,
      );
  }
  return undefined;
}

function decide(plan: Step[], stale: StaleNode[], warnings: string[], block: Next | undefined): Decision {
  const next: Next = block ?? (plan[0] ? { kind: 'act', step: plan[0] } : { kind: 'done' });
  return { next, plan, stale, warnings };
}

function dataStale(nodes: readonly DataNode[], opts: PlanOptions): Map<string, string[]> {
  const stale = new Map<string, string[]>();
  for (const n of nodes) {
    const reasons = staleReasons(n.running, opts.desired, n.desiredConfigHash);
    if (reasons.length > 0) stale.set(n.id, reasons);
  }
  return stale;
}

function staleList(nodes: readonly DataNode[], stale: Map<string, string[]>): StaleNode[] {
  return [...nodes]
    .sort(byId)
    .filter((n) => stale.has(n.id))
    .map((n) => ({
      id: n.id,
      kind: n.role === 'primary' ? 'primary' : 'replica',
      reasons: stale.get(n.id)!,
    }));
}

function planStandalone(g: ObservedGroup, opts: PlanOptions): Decision {
  const warnings: string[] = [];
  const node = g.nodes[0];
  if (!node)
    return decide([], [], warnings, { kind: 'stop', gate: 'unknown-primary', reason: 'no node given' });
  if (!node.reachable || node.loading)
    return decide([], [], warnings, wait('node-down', node.id, `${node.id} is not up yet`));
  const stale = dataStale([node], opts);
  const why = stale.get(node.id);
  if (!why) return decide([], [], warnings, undefined);
  const warning = node.persistent
    ? `${node.id} is a standalone primary: writes fail while it restarts, and whatever was written since its last save or fsync is lost. A replica and monitors make this a handover instead`
    : `${node.id} is a standalone primary without persistence: its ${node.keys} keys are erased by a restart`;
  warnings.push(warning);
  const steps: Step[] = [{ kind: 'restart-primary', node: node.id, why, warning }];
  const block: Next | undefined =
    !node.persistent && node.keys > 0 && opts.acceptDataLoss !== true
      ? {
          kind: 'stop',
          gate: 'only-copy',
          reason: `${warning}. Vigil will not restart the only copy of the data: turn on appendonly (CONFIG SET appendonly yes), add a replica, or pass --accept-data-loss`,
        }
      : undefined;
  return decide(steps, staleList([node], stale), warnings, block);
}

function planReplication(g: ObservedGroup, opts: PlanOptions): Decision {
  const warnings: string[] = [];
  const lag = opts.maxLagBytes ?? 0;
  const reachableMonitors = g.monitors.filter((m) => m.reachable);
  if (reachableMonitors.length === 0)
    return decide([], [], warnings, {
      kind: 'stop',
      gate: 'monitor-quorum',
      reason:
        'no monitor answers: Vigil hands the primary role over through the monitors, so it needs them up',
    });
  // A failover under way explains any other oddity (a primary reporting itself a replica, a
  // node briefly unreachable): wait for it before judging anything else.
  const busy = [...reachableMonitors].sort(byId).find((m) => m.failoverInProgress);
  if (busy)
    return decide(
      [],
      [],
      warnings,
      wait('failover-in-progress', busy.id, `the monitor ${busy.id} reports a failover in progress`),
    );
  const announced = reachableMonitors.find((m) => m.primary !== undefined)?.primary;
  const primary = announced ? g.nodes.find((n) => sameAddr(n.addr, announced)) : undefined;
  if (!announced || !primary)
    return decide(
      [],
      [],
      warnings,
      wait('unknown-primary', g.name ?? '', 'the monitors announce no known primary'),
    );
  if (!primary.reachable || primary.loading)
    return decide(
      [],
      [],
      warnings,
      wait(
        'node-down',
        primary.id,
        primary.reachable
          ? `the primary ${primary.id} is loading its data`
          : `the primary ${primary.id} does not answer`,
      ),
    );
  if (primary.role !== 'primary')
    return decide(
      [],
      [],
      warnings,
      wait(
        'monitors-disagree',
        primary.id,
        `${primary.id} is announced as the primary but reports itself a replica`,
      ),
    );
  const replicas = g.nodes.filter((n) => n !== primary);
  const empty = emptyPrimaryReason(primary, replicas);
  if (empty) return decide([], [], warnings, { kind: 'stop', gate: 'empty-primary', reason: empty });
  const extraPrimary = replicas.find((n) => n.reachable && n.role === 'primary');
  if (extraPrimary)
    return decide(
      [],
      [],
      warnings,
      wait(
        'unknown-primary',
        extraPrimary.id,
        `${extraPrimary.id} reports itself a primary besides ${primary.id}`,
      ),
    );

  const stale = dataStale(g.nodes, opts);
  const shard = planShard({ primary, replicas }, stale, 'switchover', lag);
  const monitors = opts.monitors === false ? { steps: [], stale: [] } : monitorsPlan(g, opts.desired);
  const plan = [...shard.steps, ...monitors.steps];
  const staleNodes = [...staleList(g.nodes, stale), ...monitors.stale];
  const gate =
    healthGate(g.nodes, (n) => (n === primary ? undefined : primary), lag) ??
    monitorHealth(g.monitors, primary) ??
    shard.block ??
    (shard.steps.length === 0 ? monitors.block : undefined) ??
    (plan[0]?.kind === 'switchover' ? unlinkedReplica(replicas) : undefined);
  return decide(plan, staleNodes, warnings, gate);
}

function planCluster(g: ObservedGroup, opts: PlanOptions): Decision {
  const warnings: string[] = [];
  const lag = opts.maxLagBytes ?? 0;
  const primaries = g.nodes.filter((n) => n.reachable && n.role === 'primary').sort(byId);
  const byClusterId = new Map(primaries.map((p) => [p.clusterId ?? p.id, p]));
  const stale = dataStale(g.nodes, opts);
  // Shards in a stable order (their lowest port), which a handover inside a shard does not
  // change: a shard is finished before the next one is started.
  const shards: Shard[] = primaries
    .map((p) => ({
      primary: p,
      replicas: g.nodes.filter((n) => n.role === 'replica' && n.clusterPrimaryId === p.clusterId),
    }))
    .sort((a, b) => byId(first(a), first(b)));
  const orphans = g.nodes.filter(
    (n) => n.reachable && n.role === 'replica' && !byClusterId.has(n.clusterPrimaryId ?? ''),
  );
  const plan: Step[] = [];
  let block: Next | undefined;
  for (const s of shards) {
    const empty = s.primary.loading ? undefined : emptyPrimaryReason(s.primary, s.replicas);
    if (empty && !block) block = { kind: 'stop', gate: 'empty-primary', reason: empty };
    const r = planShard(s, stale, 'cluster-failover', lag);
    // Shard by shard: a later shard's block matters only once the earlier shards are done.
    if (r.block && !block && plan.length === 0) block = r.block;
    plan.push(...r.steps);
  }
  const gate =
    block?.kind === 'stop' && block.gate === 'empty-primary'
      ? block
      : (healthGate(
          g.nodes,
          (n) => (n.role === 'replica' ? byClusterId.get(n.clusterPrimaryId ?? '') : undefined),
          lag,
        ) ??
        (orphans[0]
          ? wait('cluster-converging', orphans[0].id, `${orphans[0].id} follows no known primary`)
          : undefined) ??
        (g.clusterAgreed === false || g.nodes.some((n) => n.reachable && n.clusterOk === false)
          ? wait(
              'cluster-converging',
              '',
              'the cluster nodes do not agree on the roles yet (or cluster_state is not ok)',
            )
          : undefined) ??
        block);
  return decide(plan, staleList(g.nodes, stale), warnings, gate);
}

/** The next step of the rollout, and the whole remaining plan, from what is observed now. */
export function planRollout(g: ObservedGroup, opts: PlanOptions): Decision {
  switch (g.topology) {
    case 'standalone':
      return planStandalone(g, opts);
    case 'replication':
      return planReplication(g, opts);
    case 'cluster':
      return planCluster(g, opts);
  }
}
