/** Shared vocabulary of the decision core: addresses, effects out, observations in. */
import type { HistoryEntry } from './history.js';

export interface Addr {
  readonly host: string;
  readonly port: number;
}

export function addrKey(a: Addr): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function addrEqual(a: Addr, b: Addr): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** Identifies what a reply belongs to, so the core can route it without a request table. */
export type ReplyTag =
  | { readonly t: 'ping'; readonly link: string }
  /** `addr`: where the INFO went; a reply from a node no longer at that entry is dropped. */
  | { readonly t: 'info'; readonly master: string; readonly replica?: string; readonly addr: string }
  | { readonly t: 'publish'; readonly master: string; readonly replica?: string; readonly sentinel?: string }
  /** `switchover`: asked with Vigil's SWITCHOVER marker (a peer that refuses it is asked again without). */
  | {
      readonly t: 'is-master-down';
      readonly master: string;
      readonly sentinel: string;
      readonly switchover?: boolean;
    }
  | { readonly t: 'discard'; readonly link: string }
  /** MULTI; CLIENT PAUSE; INFO replication; EXEC on a primary handing over: the frozen offset. */
  | { readonly t: 'coordinated-pause'; readonly master: string }
  /** MULTI; CONFIG GET hz; CONFIG SET hz 100; EXEC before a handover. */
  | { readonly t: 'coordinated-hz'; readonly master: string }
  /** SLAVEOF sent to a replaced primary: its reply proves the node took it. */
  | { readonly t: 'demote'; readonly master: string; readonly replica: string };

export interface LinkAuth {
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
}

/**
 * What the core asks the shell to do. The shell performs effects in order and reports what
 * happens back as observations; it never decides anything itself.
 */
export type Effect =
  | {
      readonly kind: 'connect';
      readonly link: string;
      readonly addr: Addr;
      /** Which connections to open: data nodes get a command and a pub/sub one, peers only cc. */
      readonly cc: boolean;
      readonly pubsub: boolean;
      readonly auth: LinkAuth;
      readonly clientNamePrefix: string;
      readonly renamed: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'close'; readonly link: string; readonly which: 'cc' | 'pc' | 'both' }
  | {
      /** PUBLISH a hello; the shell prepends `<ip>,<port>,`, using the link's local address when no announce-ip is set. */
      readonly kind: 'hello';
      readonly link: string;
      readonly announceIp: string | undefined;
      readonly port: number;
      readonly tail: string;
      readonly publishCommand: string;
      readonly tag: ReplyTag;
    }
  | {
      readonly kind: 'send';
      readonly link: string;
      /** A batch written back to back (e.g. MULTI ... EXEC); only the last reply is reported. */
      readonly commands: readonly (readonly string[])[];
      readonly tag: ReplyTag;
    }
  | {
      readonly kind: 'event';
      readonly level: LogLevel;
      readonly type: string;
      readonly message: string;
      /** Master whose notification script should run (warning-level events only). */
      readonly notifyMaster?: string | undefined;
    }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly message: string }
  | {
      /**
       * Read what a replaced primary accepted after the fork point (PSYNC replId offset) and
       * replay it on the current primary. As soon as it streams (or when the copy is done, or
       * known impossible) the shell calls `salvageStreaming`, which demotes it unless a newer
       * configuration came meanwhile; it reports the outcome with `salvageDone`.
       */
      readonly kind: 'salvage';
      readonly master: string;
      readonly replica: string;
      readonly link: string;
      readonly from: Addr;
      readonly to: Addr;
      readonly auth: LinkAuth;
      readonly replId: string;
      readonly offset: number;
      /**
       * The node restarted without its data (the wiped-primary guard): everything it holds was
       * written since, and it may have no backlog to stream from, so its keys are copied instead.
       */
      readonly copyKeys: boolean;
      readonly tag: ReplyTag;
    }
  /** A failover, switchover, abort, refusal, fence, salvage or pause, for the history log. */
  | { readonly kind: 'history'; readonly entry: HistoryEntry }
  | { readonly kind: 'flush-config' }
  | { readonly kind: 'script'; readonly path: string; readonly args: readonly string[] }
  | { readonly kind: 'crash'; readonly reason: string };

/** A reply as the core sees it: what Sentinel's callbacks look at. */
export type CoreReply =
  | { readonly t: 'status'; readonly v: string }
  | { readonly t: 'error'; readonly v: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'array'; readonly v: readonly CoreReply[] }
  | { readonly t: 'nil' }
  /** The link failed before a reply came: Sentinel's callbacks see NULL and do nothing. */
  | { readonly t: 'none' };
