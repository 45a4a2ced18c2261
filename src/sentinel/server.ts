/**
 * The client-facing TCP server: accepts connections, parses requests, enforces auth, protected
 * mode and subscribe-mode rules, and dispatches to the command table. No input may crash it.
 */
import net from 'node:net';
import { protocolErrorReply, RequestParser } from '../resp/parser.js';
import { R, type Reply } from '../resp/reply.js';
import { findCommand, subcommandOf } from './commands/table.js';
import { NOAUTH, unknownCommand, wrongArity } from './commands/errors.js';
import type { Monitor } from './commands/types.js';
import { Session } from './session.js';

/** Redis's client-query-buffer-limit is 1 GB; a monitor never needs more than a few KB per command. */
export const QUERY_BUFFER_LIMIT = 64 * 1024 * 1024;
export const MAX_CLIENTS = 10_000;

const SUBSCRIBE_MODE_OK = new Set([
  'subscribe',
  'psubscribe',
  'unsubscribe',
  'punsubscribe',
  'ping',
  'quit',
  'reset',
]);

export class ClientServer {
  private readonly servers: net.Server[] = [];
  readonly sessions = new Map<number, Session>();
  private nextId = 1;
  private nextFd = 8;

  constructor(private readonly daemon: Monitor) {}

  async listen(): Promise<void> {
    const binds = this.daemon.config.bind;
    const port = this.daemon.config.port;
    for (const raw of binds) {
      const optional = raw.startsWith('-');
      const addr = optional ? raw.slice(1) : raw;
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      const srv = net.createServer((sock) => this.accept(sock));
      srv.maxConnections = MAX_CLIENTS;
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ host, port, ipv6Only: host.includes(':') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
        srv.on('error', (e) =>
          this.daemon.logger.warning(`Listening socket error on ${host}:${port}: ${e.message}`),
        );
        this.servers.push(srv);
      } catch (e) {
        if (optional) continue;
        throw new Error(
          `Could not create server TCP listening socket ${host}:${port}: ${(e as Error).message}. ` +
            `Is another process using the port? Change 'port' or 'bind' in the config.`,
          { cause: e },
        );
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) s.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }

  private protectedModeDenies(sock: net.Socket): boolean {
    const cfg = this.daemon.config;
    if (!cfg.protectedMode) return false;
    const def = this.daemon.acl.users.get('default');
    if (!def?.nopass) return false;
    const ip = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
    return !(ip.startsWith('127.') || ip === '::1');
  }

  private accept(sock: net.Socket): void {
    const d = this.daemon;
    if (this.protectedModeDenies(sock)) {
      d.stats.rejectedConnections++;
      sock.end(
        '-DENIED Running in protected mode because protected mode is enabled and no password is set for the ' +
          'default user. In this mode connections are only accepted from the loopback interface. Set a password ' +
          "with 'requirepass' or turn protected-mode off.\r\n",
      );
      return;
    }
    const needsAuth = !(d.acl.users.get('default')?.nopass ?? false);
    const session = new Session(this.nextId++, sock, this.nextFd++, d.hub, needsAuth);
    d.stats.totalConnections++;
    this.sessions.set(session.id, session);
    const parser = new RequestParser({ maxQueryBuffer: QUERY_BUFFER_LIMIT });
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      d.stats.totalNetInput += chunk.length;
      let items;
      try {
        items = parser.feed(chunk);
      } catch (e) {
        // The parser is total; this is a last line of defence, not a code path.
        d.logger.warning(`Closing client ${session.addr}: ${(e as Error).message}`);
        session.close();
        return;
      }
      for (const item of items) {
        if (session.closed) return;
        if (item.kind === 'protocolError') {
          if (!item.silent) session.write(protocolErrorReply(item.message));
          d.logger.verbose(`Protocol error (${item.message}) from client: ${session.addr}`);
          sock.end();
          session.closed = true;
          session.dropSubscriptions();
          return;
        }
        this.dispatch(
          session,
          item.argv.map((b) => b.toString('utf8')),
        );
        if (session.closeAfterReply) {
          sock.end();
          session.closed = true;
          session.dropSubscriptions();
          return;
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      session.closed = true;
      session.dropSubscriptions();
      this.sessions.delete(session.id);
    });
  }

  dispatch(session: Session, argv: string[]): void {
    const d = this.daemon;
    const reply = this.execute(session, argv);
    d.stats.totalCommands++;
    session.lastInteraction = Date.now();
    if (reply) session.write(reply);
  }

  private execute(session: Session, argv: string[]): Reply | undefined {
    const d = this.daemon;
    const typed = argv[0] ?? '';
    const name = this.resolveName(typed);
    const spec = name === undefined ? undefined : findCommand(name);
    if (!spec) return unknownCommand(argv);
    const sub = subcommandOf(spec, argv);
    session.lastCommand =
      sub !== undefined && spec.subcommands?.some((x) => x.name === sub) ? `${spec.name}|${sub}` : spec.name;
    const n = argv.length;
    if ((spec.arity > 0 && n !== spec.arity) || (spec.arity < 0 && n < -spec.arity)) {
      return wrongArity(spec.name);
    }
    if (!session.authenticated && !spec.noAuth) return NOAUTH;
    if (session.inSubscribeMode && !SUBSCRIBE_MODE_OK.has(spec.name)) {
      return R.error(
        `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
    }
    if (session.authenticated && !spec.noAuth) {
      if (!d.acl.allowed(session.user, spec.name, sub)) {
        const what = sub ? `${spec.name}|${sub}` : spec.name;
        return R.error(`NOPERM this user has no permissions to run the '${what}' command`);
      }
    }
    try {
      return spec.handler({ daemon: d, session, argv, now: Date.now() });
    } catch (e) {
      d.logger.warning(`Command ${spec.name} failed: ${(e as Error).stack ?? String(e)}`);
      return R.error(`ERR internal error while running '${spec.name}': ${(e as Error).message}`);
    }
  }

  /** Apply top-level rename-command: the old name disappears, the new one maps to it. */
  private resolveName(typed: string): string | undefined {
    const lower = typed.toLowerCase();
    const renames = this.daemon.config.renameCommand;
    if (renames.size === 0) return lower;
    for (const [from, to] of renames) {
      if (to.toLowerCase() === lower && to !== '') return from.toLowerCase();
    }
    for (const [from] of renames) if (from.toLowerCase() === lower) return undefined;
    return lower;
  }
}
