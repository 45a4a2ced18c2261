/**
 * The running monitor: configuration, the decision core and its runtime, the client-facing
 * server, ACL users and pub/sub. Commands reach the state through this object.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SentinelCore } from '../core/core.js';
import { currentMasterAddr, type MasterState } from '../core/instance.js';
import type { MasterSpec, ReplicaHistory } from '../core/instance.js';
import { R, type Reply } from '../resp/reply.js';
import { Acl } from './acl.js';
import { commandCategories } from './commands/table.js';
import {
  generateMyId,
  newMasterConfig,
  replicaKey,
  type MasterConfig,
  type ReplicaHistoryConfig,
  type SentinelConfig,
} from './config/model.js';
import { rewriteConfigFile } from './config/rewrite.js';
import { globMatch } from './glob.js';
import { Logger } from './logger.js';
import { PubSubHub } from './pubsub.js';
import { Runtime } from './runtime.js';
import { ClientServer } from './server.js';

export interface DaemonOptions {
  config: SentinelConfig;
  /** Absolute path of the config file: state is rewritten there. */
  configPath: string;
  /** Random source for the core; seeded in simulations, Math.random otherwise. */
  rand?: () => number;
  exit?: (code: number) => void;
}

export interface DaemonStats {
  startedAt: number;
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  totalNetInput: number;
  totalNetOutput: number;
}

export class Daemon {
  readonly config: SentinelConfig;
  readonly configPath: string;
  readonly core: SentinelCore;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly hub = new PubSubHub();
  readonly acl: Acl;
  readonly server: ClientServer;
  readonly runId = randomHex(40);
  readonly stats: DaemonStats = {
    startedAt: Date.now(),
    totalConnections: 0,
    totalCommands: 0,
    rejectedConnections: 0,
    totalNetInput: 0,
    totalNetOutput: 0,
  };
  private readonly exit: (code: number) => void;
  private shuttingDown = false;

  constructor(opts: DaemonOptions) {
    this.config = opts.config;
    this.configPath = opts.configPath;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    this.logger = new Logger(this.config.loglevel, this.config.logfile);
    this.acl = new Acl(commandCategories);
    this.acl.setRequirePass(this.config.requirepass);
    for (const [name, ...rules] of this.config.users) if (name !== undefined) this.acl.setUser(name, rules);
    if (this.config.aclfile !== undefined) this.loadAclFile(this.config.aclfile);
    const now = Date.now();
    const freshId = this.config.myid === undefined;
    this.core = new SentinelCore(
      {
        myid: this.config.myid ?? generateMyId(),
        currentEpoch: this.config.currentEpoch,
        port: this.config.port,
        announceIp: this.config.announceIp,
        announcePort: this.config.announcePort,
        peerAuth: this.config.sentinelPass
          ? { user: this.config.sentinelUser, pass: this.config.sentinelPass }
          : { pass: this.config.requirepass },
      },
      opts.rand ?? Math.random,
      now,
    );
    for (const m of this.config.masters.values()) this.core.addMaster(masterSpec(m), now);
    this.runtime = new Runtime({
      core: this.core,
      logger: this.logger,
      hub: this.hub,
      persist: () => this.persist(),
      exit: (code) => this.exit(code),
    });
    this.server = new ClientServer(this);
    if (freshId) this.persistQuietly();
  }

  /** Users from `aclfile`: one `user <name> <rules...>` per line, as Redis reads them. */
  private loadAclFile(path: string): void {
    const text = readFileSync(path, 'utf8');
    text.split('\n').forEach((raw, idx) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const words = line.split(/\s+/);
      if (words[0] !== 'user' || words.length < 2) {
        throw new Error(`${path}:${idx + 1}: ACL files may only contain 'user <name> <rules...>' lines`);
      }
      try {
        this.acl.setUser(words[1] ?? '', words.slice(2));
      } catch (e) {
        throw new Error(`${path}:${idx + 1}: ${(e as Error).message}`, { cause: e });
      }
    });
  }

  get settings(): SentinelConfig {
    return this.config;
  }

  async start(): Promise<void> {
    await this.server.listen();
    this.logger.notice(
      `Vigil ${VIGIL_VERSION} (Redis Sentinel protocol ${REDIS_COMPAT_VERSION}) ready to accept connections on port ${this.config.port}`,
    );
    this.logger.warning(`Sentinel ID is ${this.core.myid}`);
    this.runtime.observe(() => this.core.announceMonitors(Date.now()));
    this.runtime.start();
  }

  async shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.logger.warning(`${reason}: saving the configuration and exiting.`);
    this.runtime.stop();
    this.persistQuietly();
    await this.server.close();
    this.logger.warning('Sentinel is now ready to exit, bye bye...');
  }

  // ------------------------------------------------------------------ persistence

  /** Rewrite the config file with the current state (throws on failure). */
  persist(): void {
    this.syncConfigFromCore();
    rewriteConfigFile(this.configPath, this.config);
    this.logger.notice('Sentinel new configuration saved on disk');
  }

  persistQuietly(): boolean {
    try {
      this.persist();
      return true;
    } catch (e) {
      this.logger.warning(
        `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${(e as Error).message}`,
      );
      return false;
    }
  }

  flushConfigReply(): Reply {
    return this.persistQuietly() ? R.ok : R.error('ERR Failed to save config file. Check server logs.');
  }

  private syncConfigFromCore(): void {
    const c = this.config;
    c.myid = this.core.myid;
    c.currentEpoch = this.core.currentEpoch;
    const masters = new Map<string, MasterConfig>();
    for (const m of this.core.masters.values()) {
      const addr = currentMasterAddr(m);
      const prev = c.masters.get(m.name);
      const mc = newMasterConfig(m.name, addr.host, addr.port, m.quorum);
      if (prev?.definedIn !== undefined) mc.definedIn = prev.definedIn;
      mc.downAfterMs = m.downAfterMs;
      mc.failoverTimeoutMs = m.failoverTimeoutMs;
      mc.parallelSyncs = m.parallelSyncs;
      if (m.authPass !== undefined) mc.authPass = m.authPass;
      if (m.authUser !== undefined) mc.authUser = m.authUser;
      if (m.notificationScript !== undefined) mc.notificationScript = m.notificationScript;
      if (m.clientReconfigScript !== undefined) mc.clientReconfigScript = m.clientReconfigScript;
      mc.configEpoch = m.configEpoch;
      mc.leaderEpoch = m.leaderEpoch;
      mc.masterRebootDownAfterMs = m.masterRebootDownAfterMs;
      mc.failoverPolicy = m.failoverPolicy;
      if (m.maxLagOnFailover !== undefined) mc.maxLagOnFailoverBytes = m.maxLagOnFailover;
      mc.renamedCommands = new Map(m.renamedCommands);
      // Replication history: the replid is what the safety rules need; the offsets are hints, and
      // are written whenever the file is rewritten (they change too often to be a reason to).
      if (m.replId !== undefined) mc.primaryHistory = { replId: m.replId, offset: m.replOffset };
      for (const r of m.replicas.values()) {
        // Mid-failover the promoted replica is the primary's address; record the old one instead
        // (without a history: the promoted replica's is not the old primary's).
        const swapped = r.addr.port === addr.port && r.addr.host === addr.host;
        const a = swapped ? m.addr : r.addr;
        mc.knownReplicas.push({ host: a.host, port: a.port });
        if (swapped || r.masterReplId === undefined) continue;
        const h: ReplicaHistoryConfig = {
          host: a.host,
          port: a.port,
          replId: r.masterReplId,
          offset: r.replOffset,
          synced: r.syncedSinceRestart,
        };
        if (r.runId !== undefined) h.runId = r.runId;
        mc.replicaHistory.set(replicaKey(a.host, a.port), h);
      }
      for (const s of m.sentinels.values()) {
        mc.knownSentinels.push({ host: s.addr.host, port: s.addr.port, runid: s.runId });
      }
      masters.set(m.name, mc);
    }
    c.masters = masters;
  }

  // ------------------------------------------------------------------ SENTINEL CONFIG

  configGet(pattern: string): Reply {
    const c = this.config;
    const all: [string, string][] = [
      ['resolve-hostnames', c.resolveHostnames ? 'yes' : 'no'],
      ['announce-hostnames', c.announceHostnames ? 'yes' : 'no'],
      ['announce-ip', c.announceIp ?? ''],
      ['announce-port', String(c.announcePort)],
      ['sentinel-user', c.sentinelUser ?? ''],
      ['sentinel-pass', c.sentinelPass ?? ''],
    ];
    return R.strMap(
      all.filter(([k]) => globMatch(pattern, k, true)).map(([k, v]) => [k, R.bulk(v)] as const),
    );
  }

  configSet(param: string, value: string): Reply {
    const c = this.config;
    const yesno = (v: string) =>
      v.toLowerCase() === 'yes' ? true : v.toLowerCase() === 'no' ? false : undefined;
    const bad = () => R.error(`ERR Invalid value '${value}' to SENTINEL CONFIG SET '${param}'`);
    let dropPeers = false;
    switch (param.toLowerCase()) {
      case 'resolve-hostnames': {
        const v = yesno(value);
        if (v === undefined) return bad();
        c.resolveHostnames = v;
        break;
      }
      case 'announce-hostnames': {
        const v = yesno(value);
        if (v === undefined) return bad();
        c.announceHostnames = v;
        break;
      }
      case 'announce-ip':
        c.announceIp = value === '' ? undefined : value;
        this.core.announceIp = c.announceIp;
        break;
      case 'announce-port': {
        const v = Number(value);
        if (!/^\d+$/.test(value) || v > 65535) return bad();
        c.announcePort = v;
        this.core.announcePort = v;
        break;
      }
      case 'sentinel-user':
        c.sentinelUser = value === '' ? undefined : value;
        dropPeers = true;
        break;
      case 'sentinel-pass':
        c.sentinelPass = value === '' ? undefined : value;
        dropPeers = true;
        break;
      default:
        return R.error(`ERR Invalid argument '${param}' to SENTINEL CONFIG SET`);
    }
    if (dropPeers) {
      this.core.peerAuth = c.sentinelPass
        ? { user: c.sentinelUser, pass: c.sentinelPass }
        : { pass: c.requirepass };
    }
    const reply = this.flushConfigReply();
    if (dropPeers) this.dropPeerConnections();
    return reply;
  }

  dropInstanceConnections(m: MasterState): void {
    this.runtime.pool.close(m.link.id, 'both');
    this.core.linkDown(Date.now(), m.link.id, 'cc');
    this.core.linkDown(Date.now(), m.link.id, 'pc');
    for (const r of m.replicas.values()) {
      this.runtime.pool.close(r.link.id, 'both');
      this.core.linkDown(Date.now(), r.link.id, 'cc');
      this.core.linkDown(Date.now(), r.link.id, 'pc');
    }
  }

  private dropPeerConnections(): void {
    for (const m of this.core.masters.values()) {
      for (const s of m.sentinels.values()) {
        this.runtime.pool.close(s.link.id, 'both');
        this.core.linkDown(Date.now(), s.link.id, 'cc');
      }
    }
  }
}

export const VIGIL_VERSION = '0.1.0';
/** The Redis version Vigil reports to clients, which gate features on it. */
export const REDIS_COMPAT_VERSION = '7.0.15';

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[randomInt(16)];
  return s;
}

export function masterSpec(m: MasterConfig): MasterSpec {
  return {
    name: m.name,
    addr: { host: m.host, port: m.port },
    quorum: m.quorum,
    downAfterMs: m.downAfterMs,
    failoverTimeoutMs: m.failoverTimeoutMs,
    parallelSyncs: m.parallelSyncs,
    authPass: m.authPass,
    authUser: m.authUser,
    notificationScript: m.notificationScript,
    clientReconfigScript: m.clientReconfigScript,
    configEpoch: m.configEpoch,
    leaderEpoch: m.leaderEpoch,
    masterRebootDownAfterMs: m.masterRebootDownAfterMs,
    renamedCommands: new Map([...m.renamedCommands].map(([k, v]) => [k.toLowerCase(), v])),
    knownReplicas: knownReplicasSpec(m),
    knownSentinels: m.knownSentinels.map((s) => ({ addr: { host: s.host, port: s.port }, runId: s.runid })),
    failoverPolicy: m.failoverPolicy,
    maxLagOnFailover: m.maxLagOnFailoverBytes,
    history: m.primaryHistory && { replId: m.primaryHistory.replId, offset: m.primaryHistory.offset },
  };
}

/**
 * The known replicas with their remembered history: the `known-replica` ones in file order, then
 * those only named by a `replica-history` line.
 */
function knownReplicasSpec(m: MasterConfig): NonNullable<MasterSpec['knownReplicas']> {
  const listed = new Set(m.knownReplicas.map((r) => replicaKey(r.host, r.port)));
  return [
    ...m.knownReplicas.map((r) => ({
      host: r.host,
      port: r.port,
      history: replicaHistorySpec(m.replicaHistory.get(replicaKey(r.host, r.port))),
    })),
    ...[...m.replicaHistory]
      .filter(([key]) => !listed.has(key))
      .map(([, h]) => ({ host: h.host, port: h.port, history: replicaHistorySpec(h) })),
  ];
}

/**
 * What the core is told of a replica's past. Without its replication id there is nothing to
 * check against; without its run id a restart of the replica cannot be detected, so `synced`
 * could not be trusted (and the first INFO refreshes the rest anyway): the replica then starts
 * with no history, as after a config from redis-sentinel.
 */
function replicaHistorySpec(h: ReplicaHistoryConfig | undefined): ReplicaHistory | undefined {
  if (h?.replId === undefined || h.runId === undefined) return undefined;
  return { replId: h.replId, offset: h.offset, runId: h.runId, synced: h.synced };
}
