import type { Reply } from '../../resp/reply.js';
import type { Daemon } from '../daemon.js';
import type { Session } from '../session.js';

export interface CommandContext {
  readonly daemon: Daemon;
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
