/**
 * What a monitor keeps across a crash: the state the daemon writes to its config file on every
 * `flush-config` effect, and the core it builds from that file at start-up. This mirrors
 * `Daemon.syncConfigFromCore` (what is written), the config parser's rules (what is read back)
 * and `masterSpec` (how the core is built), without touching the file system.
 */
import { SentinelCore } from '../../src/core/core.js';
import { currentMasterAddr, type MasterSpec, type ReplicaHistory } from '../../src/core/instance.js';
import type { Addr } from '../../src/core/types.js';

export interface PersistedMaster {
  name: string;
  addr: Addr;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  configEpoch: number;
  leaderEpoch: number;
  masterRebootDownAfterMs: number;
  failoverPolicy: 'safe' | 'available';
  maxLagOnFailover: number | undefined;
  /** The primary's replication id and offset as last seen (MasterSpec.history). */
  history: { replId: string; offset: number } | undefined;
  knownReplicas: (Addr & { history?: ReplicaHistory | undefined })[];
  knownSentinels: { addr: Addr; runId: string }[];
}

export interface PersistedState {
  myid: string;
  currentEpoch: number;
  port: number;
  announceIp: string | undefined;
  announcePort: number;
  masters: PersistedMaster[];
}

/**
 * The config file the daemon would write now (Daemon.syncConfigFromCore), with the replication
 * histories the core asks to keep across restarts (MasterSpec.history, known-replica history).
 */
export function snapshotCore(core: SentinelCore): PersistedState {
  const masters: PersistedMaster[] = [];
  for (const m of core.masters.values()) {
    const addr = currentMasterAddr(m);
    const knownReplicas: PersistedMaster['knownReplicas'] = [];
    for (const r of m.replicas.values()) {
      // Mid-failover the promoted replica is the primary's address; the old one is recorded instead.
      const swapped = r.addr.port === addr.port && r.addr.host === addr.host;
      const a = swapped ? m.addr : r.addr;
      const history =
        !swapped && r.masterReplId !== undefined && r.runId !== undefined
          ? { replId: r.masterReplId, offset: r.replOffset, runId: r.runId, synced: r.syncedSinceRestart }
          : undefined;
      knownReplicas.push({ host: a.host, port: a.port, ...(history ? { history } : {}) });
    }
    masters.push({
      name: m.name,
      addr: { host: addr.host, port: addr.port },
      quorum: m.quorum,
      downAfterMs: m.downAfterMs,
      failoverTimeoutMs: m.failoverTimeoutMs,
      parallelSyncs: m.parallelSyncs,
      configEpoch: m.configEpoch,
      leaderEpoch: m.leaderEpoch,
      masterRebootDownAfterMs: m.masterRebootDownAfterMs,
      failoverPolicy: m.failoverPolicy,
      maxLagOnFailover: m.maxLagOnFailover,
      history: m.replId !== undefined ? { replId: m.replId, offset: m.replOffset } : undefined,
      knownReplicas,
      knownSentinels: [...m.sentinels.values()].map((s) => ({
        addr: { host: s.addr.host, port: s.addr.port },
        runId: s.runId,
      })),
    });
  }
  return {
    myid: core.myid,
    currentEpoch: core.currentEpoch,
    port: core.port,
    announceIp: core.announceIp,
    announcePort: core.announcePort,
    masters,
  };
}

/**
 * A core built from a persisted state, as the daemon starts from its config file. The parser's
 * rules apply: a `config-epoch` above `current-epoch` raises it, and a duplicate `known-replica`
 * refuses to start (thrown here, so a run that would write such a file fails loudly).
 */
export function restoreCore(state: PersistedState, rand: () => number, now: number): SentinelCore {
  let currentEpoch = state.currentEpoch;
  for (const m of state.masters) currentEpoch = Math.max(currentEpoch, m.configEpoch);
  const core = new SentinelCore(
    {
      myid: state.myid,
      currentEpoch,
      port: state.port,
      announceIp: state.announceIp,
      announcePort: state.announcePort,
    },
    rand,
    now,
  );
  for (const m of state.masters) {
    const seen = new Set<string>();
    for (const r of m.knownReplicas) {
      const k = `${r.host.toLowerCase()}:${r.port}`;
      if (seen.has(k)) {
        throw new Error(
          `persisted config of ${state.myid.slice(0, 8)} has a duplicate known-replica ${k} for '${m.name}': ` +
            'the daemon would refuse to start',
        );
      }
      seen.add(k);
    }
    const spec: MasterSpec = {
      name: m.name,
      addr: m.addr,
      quorum: m.quorum,
      downAfterMs: m.downAfterMs,
      failoverTimeoutMs: m.failoverTimeoutMs,
      parallelSyncs: m.parallelSyncs,
      configEpoch: m.configEpoch,
      leaderEpoch: m.leaderEpoch,
      masterRebootDownAfterMs: m.masterRebootDownAfterMs,
      knownReplicas: m.knownReplicas,
      knownSentinels: m.knownSentinels,
      failoverPolicy: m.failoverPolicy,
      maxLagOnFailover: m.maxLagOnFailover,
      history: m.history,
    };
    core.addMaster(spec, now);
  }
  return core;
}
