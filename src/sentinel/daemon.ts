/**
 * The running monitor: configuration, the decision core and its runtime, the client-facing
 * server, ACL users and pub/sub. Commands reach the state through this object.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SentinelCore } from '../core/core.js';
import { R, type Reply } from '../resp/reply.js';
import { Acl } from './acl.js';
import { commandCategories } from './commands/table.js';
import type { DaemonStats, Monitor } from './commands/types.js';
import type { SentinelConfig } from './config/model.js';
import { rewriteConfigFile } from './config/rewrite.js';
import { configFromCore, coreFromConfig, peerAuthOf } from './core-config.js';
import { globMatch } from './glob.js';
import { HistoryLog } from './history-log.js';
import { Logger } from './logger.js';
import { PubSubHub } from './pubsub.js';
import { Runtime } from './runtime.js';
import { ClientServer } from './server.js';
import { REDIS_COMPAT_VERSION, VIGIL_VERSION } from './version.js';

export { REDIS_COMPAT_VERSION, VIGIL_VERSION } from './version.js';

export interface DaemonOptions {
  config: SentinelConfig;
  /** Absolute path of the config file: state is rewritten there. */
  configPath: string;
  /** Random source for the core; seeded in simulations, Math.random otherwise. */
  rand?: () => number;
  exit?: (code: number) => void;
}

export class Daemon implements Monitor {
  /** The loaded configuration, replaced by what was last written (see persist). */
  private current: SentinelConfig;
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
  /** Every failover, switchover, refusal, fence, salvage and pause (see history-log.ts). */
  readonly history: HistoryLog;
  private readonly exit: (code: number) => void;
  private shuttingDown = false;

  constructor(opts: DaemonOptions) {
    this.current = opts.config;
    this.configPath = opts.configPath;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    this.logger = new Logger(this.config.loglevel, this.config.logfile);
    this.acl = new Acl(commandCategories);
    this.acl.setRequirePass(this.config.requirepass);
    for (const [name, ...rules] of this.config.users) if (name !== undefined) this.acl.setUser(name, rules);
    if (this.config.aclfile !== undefined) this.loadAclFile(this.config.aclfile);
    const freshId = this.config.myid === undefined;
    this.core = coreFromConfig(this.config, opts.rand ?? Math.random, Date.now());
    this.history = new HistoryLog(`${this.configPath}.history.jsonl`, undefined, (msg) =>
      this.logger.warning(msg),
    );
    this.runtime = new Runtime({
      core: this.core,
      logger: this.logger,
      hub: this.hub,
      persist: () => this.persist(),
      history: (entry) => this.history.append(entry),
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

  get config(): SentinelConfig {
    return this.current;
  }

  get settings(): SentinelConfig {
    return this.current;
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
    const next = configFromCore(this.core, this.current);
    rewriteConfigFile(this.configPath, next);
    this.current = next;
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
        this.core.setAnnounce({ ip: c.announceIp });
        break;
      case 'announce-port': {
        const v = Number(value);
        if (!/^\d+$/.test(value) || v > 65535) return bad();
        c.announcePort = v;
        this.core.setAnnounce({ port: v });
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
    // New peer credentials: the core reopens its links to peer monitors with them.
    if (dropPeers) this.runtime.observe(() => this.core.setPeerAuth(Date.now(), peerAuthOf(c)));
    return this.flushConfigReply();
  }
}

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[randomInt(16)];
  return s;
}
