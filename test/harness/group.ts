// A primary and N replicas replicating from it.
import {
  parseRole,
  RedisServer,
  type Persistence,
  type RedisServerOptions,
  type RoleInfo,
} from './redis-server.js';
import type { MonitoredMaster } from './sentinel-process.js';
import { waitFor } from './wait.js';

export interface RedisGroupOptions {
  /** Number of replicas. Default 2. */
  replicas?: number;
  /** Default 'none'. */
  persistence?: Persistence;
  /** Extra config lines for every node. */
  extraConfig?: string[];
  /** Sets requirepass on every node, and masterauth too unless given. */
  requirepass?: string;
  masterauth?: string;
  /** Label prefix of the nodes. Default `group`. */
  label?: string;
  /** Deadline for every replica to report master_link_status:up. Default 15 000 ms. */
  syncTimeoutMs?: number;
  startTimeoutMs?: number;
}

/** Ports of the replicas an INFO replication reply lists with state=online. */
export function onlineReplicaPorts(info: Record<string, string>): Set<number> {
  const ports = new Set<number>();
  for (const [k, v] of Object.entries(info)) {
    if (!/^slave\d+$/.test(k)) continue;
    const fields = new Map(
      v.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    if (fields.get('state') === 'online') ports.add(Number(fields.get('port')));
  }
  return ports;
}

export class RedisGroup {
  /** Every node, initial primary first. */
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  /** Starts the primary, then the replicas, and waits until every replica's link is up. */
  static async start(opts: RedisGroupOptions = {}): Promise<RedisGroup> {
    const label = opts.label ?? 'group';
    const base: RedisServerOptions = {
      persistence: opts.persistence ?? 'none',
      extraConfig: opts.extraConfig,
      requirepass: opts.requirepass,
      masterauth: opts.masterauth ?? opts.requirepass,
      startTimeoutMs: opts.startTimeoutMs,
    };
    const primary = await RedisServer.start({ ...base, label: `${label}-primary` });
    const replicas = await Promise.all(
      Array.from({ length: opts.replicas ?? 2 }, (_, i) =>
        RedisServer.start({ ...base, label: `${label}-replica${i + 1}`, replicaOf: primary }),
      ),
    );
    const group = new RedisGroup([primary, ...replicas]);
    await group.waitForReplication({ timeoutMs: opts.syncTimeoutMs ?? 15_000 });
    return group;
  }

  /** The node started as primary (not necessarily the primary now: see currentPrimary()). */
  get primary(): RedisServer {
    return this.nodes[0]!;
  }

  /** The nodes started as replicas. */
  get replicas(): readonly RedisServer[] {
    return this.nodes.slice(1);
  }

  nodeByPort(port: number): RedisServer | undefined {
    return this.nodes.find((n) => n.port === port);
  }

  /** ROLE of every running, unpaused node (an Error for a node that did not answer within 1 s). */
  async roles(): Promise<Map<RedisServer, RoleInfo | Error>> {
    const out = new Map<RedisServer, RoleInfo | Error>();
    await Promise.all(
      this.nodes
        .filter((n) => n.running && !n.paused)
        .map(async (n) => {
          try {
            out.set(n, parseRole(await n.commandWithTimeout(1000, 'ROLE')));
          } catch (err) {
            out.set(n, err instanceof Error ? err : new Error(String(err)));
          }
        }),
    );
    return out;
  }

  /** Every reachable node whose ROLE says master. */
  async masters(): Promise<RedisServer[]> {
    const roles = await this.roles();
    return this.nodes.filter((n) => {
      const r = roles.get(n);
      return r !== undefined && !(r instanceof Error) && r.role === 'master';
    });
  }

  /**
   * The one reachable node whose ROLE says master; undefined if none does. Throws if several do
   * (for example a restarted old primary not yet turned into a replica).
   */
  async currentPrimary(): Promise<RedisServer | undefined> {
    const masters = await this.masters();
    if (masters.length > 1) {
      throw new Error(
        `several nodes report role master: ${masters.map((m) => `${m.label} ${m.addr}`).join(', ')}`,
      );
    }
    return masters[0];
  }

  /**
   * Waits until every running node other than `primary` (default: the initial primary) is a
   * replica of it with its link up, and the primary sees them all.
   */
  async waitForReplication(opts: { primary?: RedisServer; timeoutMs?: number } = {}): Promise<void> {
    const primary = opts.primary ?? this.primary;
    const others = this.nodes.filter((n) => n !== primary && n.running);
    const timeoutMs = opts.timeoutMs ?? 15_000;
    await Promise.all(others.map((r) => r.waitForLinkUp({ primary, timeoutMs })));
    // A replica says `up` once it has loaded the snapshot; the primary puts it online (and lists it
    // in ROLE) only after its first REPLCONF ACK, so wait for that side too.
    await waitFor(
      async () => {
        const online = onlineReplicaPorts(await primary.info('replication'));
        return others.every((o) => online.has(o.port));
      },
      { what: `${primary.label} ${primary.addr} to list ${others.length} replicas as online`, timeoutMs },
    );
  }

  /** A Sentinel `monitor` entry for this group's initial primary (with auth-pass when the group has a password). */
  monitorSpec(name: string, opts: Omit<MonitoredMaster, 'name' | 'host' | 'port'>): MonitoredMaster {
    const auth = this.primary.requirepass;
    return {
      name,
      host: this.primary.host,
      port: this.primary.port,
      ...(auth !== undefined ? { authPass: auth } : {}),
      ...opts,
    };
  }

  /** Stops every node concurrently (SIGKILL with `kill`, otherwise a graceful stop with a deadline). */
  async stopAll(opts: { kill?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => (opts.kill === true ? n.kill9() : n.stop({ save: false }))));
  }
}
