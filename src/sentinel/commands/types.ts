import type { SentinelCore } from '../../core/core.js';
import type { HistoryEntry } from '../../core/history.js';
import type { Reply } from '../../resp/reply.js';
import type { Acl } from '../acl.js';
import type { SentinelConfig } from '../config/model.js';
import type { Logger } from '../logger.js';
import type { PubSubHub } from '../pubsub.js';
import type { ScriptRunner } from '../scripts.js';
import type { Session } from '../session.js';

export interface DaemonStats {
  startedAt: number;
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  totalNetInput: number;
  totalNetOutput: number;
}

/**
 * What commands see of the running monitor: the core (its read-only view and its inputs), the
 * settings, the client-facing parts, and the runtime that carries out what the core decided.
 */
export interface Monitor {
  readonly core: SentinelCore;
  readonly config: SentinelConfig;
  readonly settings: SentinelConfig;
  readonly configPath: string;
  readonly logger: Logger;
  readonly hub: PubSubHub;
  readonly acl: Acl;
  readonly server: { readonly sessions: ReadonlyMap<number, Session> };
  readonly runtime: {
    /** Carry out effects queued by a command handler (SENTINEL SET, MONITOR, votes). */
    flushEffects(): void;
    /** Run something that changes the core, then carry out whatever it decided. */
    observe(fn: () => void): void;
    readonly scripts: ScriptRunner;
  };
  readonly stats: DaemonStats;
  readonly history: { recent(count: number, master?: string): readonly HistoryEntry[] };
  readonly runId: string;
  flushConfigReply(): Reply;
  persistQuietly(): boolean;
  configGet(pattern: string): Reply;
  configSet(param: string, value: string): Reply;
  shutdown(reason: string): Promise<void>;
}

export interface CommandContext {
  readonly daemon: Monitor;
  readonly session: Session;
  /** Arguments as strings (binary-safe enough for the sentinel command set). */
  readonly argv: readonly string[];
  readonly now: number;
}

/**
 * A command's descriptor. Arity follows Redis: positive means exactly that many words
 * (the name included), negative means at least that many.
 */
export interface CommandSpec {
  readonly name: string;
  readonly arity: number;
  /** Allowed before authentication (AUTH, HELLO). */
  readonly noAuth?: boolean;
  /** Allowed while a RESP2 client is in subscribe mode. */
  readonly inSubscribe?: boolean;
  /** Flags and key specs that COMMAND reports, as redis-sentinel reports them. */
  readonly flags: readonly string[];
  readonly firstKey?: number;
  readonly lastKey?: number;
  readonly step?: number;
  readonly categories: readonly string[];
  /** Subcommands that COMMAND lists and that arity checks apply to (`name|sub`). */
  readonly subcommands?: readonly { readonly name: string; readonly arity: number }[];
  /** Returns the reply, or undefined when the handler wrote replies itself. */
  readonly handler: (ctx: CommandContext) => Reply | undefined;
}
