/**
 * `vigil candidates <name>`: what a failover would do right now. Asks a Vigil monitor for
 * SENTINEL CANDIDATES and shows every replica (history, offset, lag, priority) with the one that
 * would be promoted, or why each is refused.
 */
import { formatAddr } from '../node/address.js';
import { connect, type Conn, type Credentials } from '../node/connect.js';
import { errorMessage } from '../node/errors.js';
import { pairs, pairsList } from '../node/replies.js';
import { DEFAULT_MONITOR, monitorError, parseEndpoint, table, UsageError } from './common.js';

export interface CandidatesOptions extends Credentials {
  sentinel?: string | undefined;
  json?: boolean | undefined;
}

export interface CandidateRow {
  addr: string;
  ip: string;
  port: number;
  runid: string;
  linkUp: boolean;
  linkDownMs: number;
  replid: string;
  replid2: string;
  secondOffset: number;
  offset: number;
  primaryReplid: string;
  primaryOffset: number;
  /** -1 when the primary's offset is unknown. */
  lagBytes: number;
  priority: number;
  syncedSinceRestart: boolean;
  failoverPolicy: string;
  eligible: boolean;
  /** 1 for the replica a failover would promote now; 0 when refused. */
  rank: number;
  reason: string;
  /** 'same', 'continued' (the primary's id is its replid2), 'different' or 'unknown'. */
  history: 'same' | 'continued' | 'different' | 'unknown';
}

export interface CandidatesReport {
  name: string;
  monitor: string;
  primary: { addr: string; flags: string; replid: string; offset: number };
  failoverPolicy: string | undefined;
  candidates: CandidateRow[];
  /** The replica a failover now would promote, or null. */
  promote: string | null;
  /** Why a failover now would be refused, or null. */
  refused: string | null;
}

function num(v: string | undefined, fallback = -1): number {
  const n = Number(v);
  return v === undefined || v === '' || !Number.isFinite(n) ? fallback : n;
}

function historyOf(c: Record<string, string>): CandidateRow['history'] {
  const primary = c['primary-replid'] ?? '';
  if (primary === '') return 'unknown';
  if (c['master-replid'] === primary) return 'same';
  if (c['master-replid2'] === primary && num(c['second-repl-offset'], 0) > 0) return 'continued';
  return 'different';
}

/** One SENTINEL CANDIDATES entry (a flat map) as a typed row. */
export function candidateRow(c: Record<string, string>): CandidateRow {
  const ip = c['ip'] ?? '?';
  const port = num(c['port'], 0);
  return {
    addr: formatAddr({ host: ip, port }),
    ip,
    port,
    runid: c['runid'] ?? '',
    linkUp: c['master-link-status'] === 'ok',
    linkDownMs: num(c['master-link-down-time'], 0),
    replid: c['master-replid'] ?? '',
    replid2: c['master-replid2'] ?? '',
    secondOffset: num(c['second-repl-offset']),
    offset: num(c['slave-repl-offset'], 0),
    primaryReplid: c['primary-replid'] ?? '',
    primaryOffset: num(c['primary-repl-offset'], 0),
    lagBytes: num(c['lag-bytes']),
    priority: num(c['slave-priority'], 0),
    syncedSinceRestart: c['synced-since-restart'] === 'yes',
    failoverPolicy: c['failover-policy'] ?? '',
    eligible: c['eligible'] === 'yes',
    rank: num(c['rank'], 0),
    reason: c['reason'] ?? '',
    history: historyOf(c),
  };
}

/** Eligible replicas by rank, then the refused ones in the monitor's order. */
export function orderRows(rows: readonly CandidateRow[]): CandidateRow[] {
  const ok = rows.filter((r) => r.eligible && r.rank > 0).sort((a, b) => a.rank - b.rank);
  return [...ok, ...rows.filter((r) => !ok.includes(r))];
}

/** What to do about a refusal reason, or undefined when there is nothing specific. */
export function adviceFor(reason: string, name: string): string | undefined {
  if (reason === 'replica-priority is 0')
    return 'excluded on purpose (replica-priority 0); to allow a promotion: CONFIG SET replica-priority 100 on the replica, and replica-priority 100 in its redis.conf';
  if (/subjectively down|disconnected|no valid PING reply/.test(reason))
    return 'the monitor cannot reach it: check that it runs and that the monitor can connect to the address shown';
  if (/^INFO is/.test(reason)) return 'the monitor has no fresh INFO from it: check the link between them';
  if (/^replication link down/.test(reason))
    return 'its link to the primary has been down too long: check master_link_status in its INFO and its log';
  if (/has not completed a sync/.test(reason))
    return 'wait until it has synced with the primary (master_link_status:up)';
  if (/different history/.test(reason))
    return `it replicated another primary's data: re-attach it with REPLICAOF, or accept losing writes with SENTINEL SET ${name} failover-policy available`;
  if (/^lags /.test(reason))
    return `let it catch up, or raise the limit with SENTINEL SET ${name} max-lag-on-failover <bytes>`;
  return undefined;
}

/** The one-line verdict and, for the JSON output, its parts. */
export function verdict(
  name: string,
  rows: readonly CandidateRow[],
): { promote: string | undefined; refused: string | undefined; line: string } {
  const first = rows.find((r) => r.eligible && r.rank === 1) ?? rows.find((r) => r.eligible);
  if (first !== undefined) {
    const n = rows.filter((r) => r.eligible).length;
    return {
      promote: first.addr,
      refused: undefined,
      line: `a failover now would promote ${first.addr} (${n} of ${rows.length} replica${rows.length === 1 ? '' : 's'} eligible)`,
    };
  }
  const refused =
    rows.length === 0
      ? `the monitor knows no replica of ${name}`
      : `no replica is eligible (${rows.map((r) => `${r.addr}: ${r.reason}`).join('; ')})`;
  return { promote: undefined, refused, line: `a failover now would be refused: ${refused}` };
}

function bytes(n: number): string {
  if (n < 0) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The readable report, line by line. */
export function renderCandidates(r: CandidatesReport): string[] {
  const out: string[] = [];
  const flags = r.primary.flags.split(',').filter((f) => f !== 'master' && f !== '');
  out.push(
    `${r.name}: primary ${r.primary.addr}` +
      (flags.length > 0 ? ` [${flags.join(',')}]` : '') +
      (r.primary.replid !== ''
        ? `, replication offset ${r.primary.offset} (id ${r.primary.replid.slice(0, 8)})`
        : ', replication offset unknown') +
      (r.failoverPolicy !== undefined ? `, failover-policy ${r.failoverPolicy}` : '') +
      ` (monitor ${r.monitor})`,
  );
  out.push('');
  if (r.candidates.length > 0) {
    const rows = [['RANK', 'REPLICA', 'LINK', 'OFFSET', 'LAG', 'PRIORITY', 'HISTORY', 'SYNCED', 'VERDICT']];
    for (const c of orderRows(r.candidates)) {
      rows.push([
        c.eligible ? String(c.rank) : '-',
        c.addr,
        c.linkUp ? 'up' : `down ${Math.round(c.linkDownMs / 1000)}s`,
        String(c.offset),
        bytes(c.lagBytes),
        String(c.priority),
        c.history === 'different' ? `different (${c.replid.slice(0, 8)})` : c.history,
        c.syncedSinceRestart ? 'yes' : 'no',
        c.eligible ? 'eligible' : `refused: ${c.reason}`,
      ]);
    }
    out.push(...table(rows).map((l) => `  ${l}`));
    out.push('');
  }
  out.push(verdict(r.name, r.candidates).line);
  if (r.promote === null) {
    const seen = new Set<string>();
    for (const c of r.candidates) {
      const a = adviceFor(c.reason, r.name);
      if (a === undefined || seen.has(a)) continue;
      seen.add(a);
      const who = r.candidates.filter((x) => adviceFor(x.reason, r.name) === a).map((x) => x.addr);
      out.push(`  ${who.join(', ')}: ${a}`);
    }
    if (r.candidates.length === 0)
      out.push(
        `  the monitor learns replicas from the primary's INFO: check that replicas are attached (INFO replication on ${r.primary.addr})`,
      );
  }
  return out;
}

async function gather(conn: Conn, name: string): Promise<CandidatesReport> {
  const at = formatAddr(conn.endpoint);
  let master: Record<string, string>;
  try {
    master = pairs(await conn.call('SENTINEL', 'MASTER', name));
  } catch (e) {
    throw monitorError(conn.endpoint, e, name);
  }
  let list: Record<string, string>[];
  try {
    list = pairsList(await conn.call('SENTINEL', 'CANDIDATES', name));
  } catch (e) {
    if (/unknown subcommand/i.test(errorMessage(e)))
      throw new UsageError(
        `the monitor at ${at} does not answer SENTINEL CANDIDATES: it is not a Vigil monitor (redis-sentinel?); point --sentinel at a vigil-sentinel`,
      );
    throw monitorError(conn.endpoint, e, name);
  }
  const rows = list.map(candidateRow);
  const v = verdict(name, rows);
  const first = list[0];
  return {
    name,
    monitor: at,
    primary: {
      addr: formatAddr({ host: master['ip'] ?? '?', port: num(master['port'], 0) }),
      flags: master['flags'] ?? '',
      replid: first?.['primary-replid'] ?? '',
      offset: num(first?.['primary-repl-offset'], 0),
    },
    failoverPolicy: first?.['failover-policy'],
    candidates: rows,
    promote: v.promote ?? null,
    refused: v.refused ?? null,
  };
}

/** Runs the command; returns the exit code (0: a replica would be promoted, 2: none would). */
export async function runCandidates(name: string, opts: CandidatesOptions): Promise<number> {
  const endpoint = parseEndpoint(opts.sentinel ?? DEFAULT_MONITOR);
  let conn: Conn;
  try {
    conn = await connect(endpoint, { user: opts.user, password: opts.password });
  } catch (e) {
    throw monitorError(endpoint, e, name);
  }
  try {
    const report = await gather(conn, name);
    if (opts.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${renderCandidates(report).join('\n')}\n`);
    return report.promote !== null ? 0 : 2;
  } finally {
    conn.close();
  }
}
