/**
 * Salvage: before a replaced primary that comes back (after a freeze or a partition) is turned
 * into a replica, read every write it accepted after the point where the new primary's history
 * forked from it, and apply those writes to the new primary.
 *
 * Why: a primary frozen with clients attached executes their queued writes the moment it wakes,
 * before anything else can reach it (Redis refreshes its `min-replicas-to-write` count only in
 * its once-a-second cron), and acknowledges them. Without this, those acknowledged writes vanish
 * when it resyncs from the new primary.
 *
 * How: `PSYNC <old replication id> <fork offset>` on a fresh connection makes the old primary
 * stream its backlog from the fork point, then every new write live. Once it answers +CONTINUE
 * the caller demotes it (SLAVEOF, which also disconnects this stream); everything it executed
 * before that has been streamed. The commands are replayed in order on one connection to the new
 * primary.
 *
 * A primary that restarted without its data (the wiped-primary guard) holds nothing but writes
 * taken since its restart, and usually has no backlog to stream them from (Redis creates one
 * only when a replica connects): its keys are copied instead (copyKeys).
 */
import net from 'node:net';
import { RequestParser } from '../resp/parser.js';
import type { Addr, LinkAuth } from '../core/types.js';
import { createNodeClient } from './client.js';

export interface SalvageRequest {
  from: Addr;
  to: Addr;
  auth: LinkAuth;
  replId: string;
  offset: number;
  /**
   * Called once the old primary streams (or once salvage is known impossible): demote it now.
   * False when it must not be (a newer configuration): the salvage then stops.
   */
  demote: () => boolean;
  /** How long to wait for the old primary to answer PSYNC while it is still frozen. */
  waitMs?: number;
}

export interface SalvageResult {
  /** `continued`: the stream ran; `refused`: no partial sync possible; `unreachable`. */
  outcome: 'continued' | 'refused' | 'unreachable';
  replayed: number;
  failed: number;
  detail: string;
}

/** Commands in the replication stream that are not data: never replayed. */
const NOT_DATA = new Set(['ping', 'replconf', 'select']);

export function salvage(req: SalvageRequest): Promise<SalvageResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: req.from.host, port: req.from.port });
    const parser = new RequestParser();
    // The replay must survive a brief drop of the new primary's connection (it may be busy
    // taking over): reconnect for about a second and resend, unlike the monitor's links.
    const target = createNodeClient({
      host: req.to.host,
      port: req.to.port,
      user: req.auth.user,
      password: req.auth.pass,
      reconnectMs: 50,
      reconnectAttempts: 20,
      maxRetriesPerRequest: 3,
    });
    let header = Buffer.alloc(0);
    let streaming = false;
    let demoted = false;
    let replayed = 0;
    let failed = 0;
    let chain: Promise<unknown> = Promise.resolve();
    let db = '0';
    let finished = false;

    let allowed = true;
    const demoteOnce = (): boolean => {
      if (demoted) return allowed;
      demoted = true;
      allowed = req.demote();
      return allowed;
    };
    const finish = (outcome: SalvageResult['outcome'], detail: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      demoteOnce();
      void chain.then(() => {
        target.disconnect();
        resolve({ outcome, replayed, failed, detail });
      });
    };
    const timer = setTimeout(() => finish('unreachable', 'no answer to PSYNC in time'), req.waitMs ?? 60_000);

    const replay = (argv: Buffer[]) => {
      const name = argv[0]?.toString().toLowerCase() ?? '';
      if (name === 'select') {
        db = argv[1]?.toString() ?? '0';
        const sel = db;
        chain = chain.then(() => target.select(Number(sel)).catch(() => undefined));
        return;
      }
      if (NOT_DATA.has(name)) return;
      const [cmd, ...args] = argv;
      if (!cmd) return;
      chain = chain.then(() =>
        target.callBuffer(cmd.toString(), ...args).then(
          () => replayed++,
          () => failed++,
        ),
      );
    };

    sock.on('connect', () => {
      const auth =
        req.auth.pass === undefined
          ? ''
          : req.auth.user === undefined
            ? command(['AUTH', req.auth.pass])
            : command(['AUTH', req.auth.user, req.auth.pass]);
      sock.write(auth + command(['PSYNC', req.replId, String(req.offset)]));
    });
    sock.on('data', (chunk: Buffer) => {
      if (!streaming) {
        header = Buffer.concat([header, chunk]);
        // Skip the AUTH reply, then read the PSYNC answer line.
        for (;;) {
          const eol = header.indexOf('\r\n');
          if (eol < 0) return;
          const line = header.subarray(0, eol).toString();
          header = header.subarray(eol + 2);
          if (line === '+OK' || line === '') continue;
          if (line.startsWith('+CONTINUE')) {
            streaming = true;
            // The old primary now streams; demote it so it takes no write the stream would miss.
            if (!demoteOnce()) {
              finish('refused', 'a newer configuration replaced the one it was salvaged for');
              return;
            }
            if (header.length)
              for (const item of parser.feed(header)) if (item.kind === 'command') replay(item.argv);
            return;
          }
          finish('refused', line);
          return;
        }
      }
      for (const item of parser.feed(chunk)) {
        if (item.kind === 'command') replay(item.argv);
        else finish('continued', `stream error: ${item.message}`);
      }
    });
    sock.on('error', (e) => finish(streaming ? 'continued' : 'unreachable', e.message));
    // SLAVEOF on the old primary closes its replica links, this one included: the stream is complete.
    sock.on('close', () => finish(streaming ? 'continued' : 'unreachable', 'stream closed'));
  });
}

function command(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** Keys copied per round trip: SCAN's batch, then DUMP+PTTL and RESTORE pipelined. */
const COPY_BATCH = 500;

/**
 * Copies every key of a node that restarted empty (so every key it holds is newer than anything
 * the new primary has) onto the new primary with DUMP and RESTORE ... REPLACE, then demotes it.
 * Its writes are paused by the monitor at the promotion; the copy is quick (it restarted moments
 * ago).
 */
export async function copyKeys(req: SalvageRequest): Promise<SalvageResult> {
  const opts = (a: Addr) => ({
    host: a.host,
    port: a.port,
    user: req.auth.user,
    password: req.auth.pass,
    reconnectMs: 50,
    reconnectAttempts: 20,
    maxRetriesPerRequest: 3,
  });
  const source = createNodeClient(opts(req.from));
  const target = createNodeClient(opts(req.to));
  let replayed = 0;
  let failed = 0;
  try {
    // Already demoted by someone else, it holds the new primary's data, not its own: copying that
    // back would undo newer writes.
    const role = String(await source.info('replication'));
    if (!/^role:master/m.test(role)) {
      req.demote();
      return {
        outcome: 'refused',
        replayed,
        failed,
        detail: 'it was already a replica: its own writes are gone',
      };
    }
    const keyspace = String(await source.info('keyspace'));
    const dbs = [...keyspace.matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => Number(m[1]));
    for (const db of dbs) {
      await source.select(db);
      await target.select(db);
      let cursor = '0';
      do {
        const [next, keys] = await source.scan(cursor, 'COUNT', COPY_BATCH);
        cursor = next;
        if (keys.length === 0) continue;
        const read = source.pipeline();
        for (const k of keys) read.dumpBuffer(k).pttl(k);
        const got = (await read.exec()) ?? [];
        const write = target.pipeline();
        let queued = 0;
        keys.forEach((k, i) => {
          const dump = got[2 * i]?.[1];
          const ttl = Number(got[2 * i + 1]?.[1] ?? -1);
          // Gone since SCAN, or expiring this instant: nothing to carry over.
          if (!Buffer.isBuffer(dump) || ttl === -2) return;
          write.restore(k, ttl > 0 ? ttl : 0, dump, 'REPLACE');
          queued++;
        });
        if (queued === 0) continue;
        for (const [err] of (await write.exec()) ?? []) {
          if (err) failed++;
          else replayed++;
        }
      } while (cursor !== '0');
    }
    if (!req.demote())
      return {
        outcome: 'refused',
        replayed,
        failed,
        detail: 'a newer configuration replaced the one it was salvaged for',
      };
    return { outcome: 'continued', replayed, failed, detail: `copied ${replayed} keys` };
  } catch (e) {
    req.demote();
    return {
      outcome: replayed > 0 ? 'continued' : 'refused',
      replayed,
      failed,
      detail: e instanceof Error ? e.message : String(e),
    };
  } finally {
    source.disconnect();
    target.disconnect();
  }
}
