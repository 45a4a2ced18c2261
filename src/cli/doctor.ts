/**
 * `vigil doctor <name>`: reads a live group through its monitors (SENTINEL MASTER, REPLICAS,
 * SENTINELS), connects to the primary, the replicas and the peer monitors, measures latency, and
 * reports what Sentinel's documentation lists as "don't do", each finding with its fix. The
 * checks themselves are pure functions in doctor-checks.ts.
 */
import { parseInfo } from '../core/info.js';
import { formatAddr } from '../node/address.js';
import { connect, type Conn, type Credentials } from '../node/connect.js';
import { errorMessage } from '../node/errors.js';
import { pairs, pairsList } from '../node/replies.js';
import {
  DEFAULT_MONITOR,
  monitorError,
  parseEndpoint,
  pingTimes,
  UsageError,
  type Endpoint,
} from './common.js';
import {
  exitCodeFor,
  runChecks,
  type DoctorFacts,
  type Finding,
  type MonitorFacts,
  type NodeFacts,
  type Severity,
} from './doctor-checks.js';

export interface DoctorOptions extends Credentials {
  /** Monitors to ask (host:port, repeatable or comma-separated). Default 127.0.0.1:26379. */
  sentinel?: string[] | undefined;
  /** Password (and ACL user) of the data nodes: the monitors' `sentinel auth-pass`. */
  authPass?: string | undefined;
  authUser?: string | undefined;
  json?: boolean | undefined;
  /** PINGs per node and monitor for the latency measure. Default 5. */
  pings?: number | undefined;
}

/** The redis-server parameters the checks read. */
export const CONFIG_PARAMS = [
  'save',
  'appendonly',
  'replica-priority',
  'min-replicas-to-write',
  'min-replicas-max-lag',
  'repl-diskless-sync',
  'repl-diskless-sync-delay',
  'replica-announce-ip',
  'replica-announce-port',
] as const;

class NodeAuthError extends Error {}

function isAuthError(msg: string): boolean {
  return /^(NOAUTH|WRONGPASS)|invalid password|invalid username-password/i.test(msg);
}

/** Opens a connection and keeps it for closing at the end, whatever happens. */
export class Connections {
  private readonly open: Conn[] = [];

  async connect(e: Endpoint, creds: Credentials): Promise<Conn> {
    const c = await connect(e, { ...creds, connectTimeoutMs: 2000, commandTimeoutMs: 3000 });
    this.open.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}

interface MonitorView {
  facts: MonitorFacts;
  replicas: Record<string, string>[];
  sentinels: Record<string, string>[];
  candidates: Record<string, string>[] | undefined;
  /** Why SENTINEL MASTER failed (for the message when no monitor answers). */
  failure?: UsageError | undefined;
}

async function worstPing(c: Conn, count: number): Promise<number | undefined> {
  try {
    return Math.max(...(await pingTimes(c, count)));
  } catch {
    return undefined;
  }
}

async function askMonitor(
  pool: Connections,
  e: Endpoint,
  name: string,
  opts: DoctorOptions,
  source: MonitorFacts['source'],
  reportedRunid?: string,
): Promise<MonitorView> {
  const addr = formatAddr(e);
  const facts: MonitorFacts = { addr, source, reachable: false, reportedRunid };
  const view: MonitorView = { facts, replicas: [], sentinels: [], candidates: undefined };
  let c: Conn;
  try {
    c = await pool.connect(e, { user: opts.user, password: opts.password });
  } catch (err) {
    facts.error = errorMessage(err);
    view.failure = monitorError(e, err, name);
    return view;
  }
  facts.reachable = true;
  try {
    facts.runid = String(await c.call('SENTINEL', 'MYID'));
  } catch {
    // An older Sentinel without MYID, or a user without it: the id is only used for cross-checks.
  }
  try {
    facts.master = pairs(await c.call('SENTINEL', 'MASTER', name));
    view.replicas = pairsList(await c.call('SENTINEL', 'REPLICAS', name));
    view.sentinels = pairsList(await c.call('SENTINEL', 'SENTINELS', name));
  } catch (err) {
    facts.error = errorMessage(err);
    view.failure = monitorError(e, err, name);
    if (isAuthError(facts.error)) facts.reachable = false;
    return view;
  }
  try {
    view.candidates = pairsList(await c.call('SENTINEL', 'CANDIDATES', name));
  } catch {
    // redis-sentinel has no CANDIDATES: the failover-policy check is skipped.
  }
  facts.worstPingMs = await worstPing(c, opts.pings ?? 5);
  return view;
}

async function readNode(
  pool: Connections,
  view: Record<string, string>,
  role: NodeFacts['role'],
  opts: DoctorOptions,
): Promise<NodeFacts> {
  const host = view['ip'] ?? '?';
  const port = Number(view['port'] ?? 0);
  const n: NodeFacts = {
    addr: formatAddr({ host, port }),
    host,
    port,
    role,
    reachable: false,
    config: {},
    info: {},
    monitorView: view,
  };
  let c: Conn;
  try {
    c = await pool.connect({ host, port }, { user: opts.authUser, password: opts.authPass });
  } catch (err) {
    n.error = errorMessage(err);
    if (isAuthError(n.error)) throw new NodeAuthError(`${n.addr}: ${n.error}`);
    return n;
  }
  try {
    n.info = Object.fromEntries(parseInfo(String(await c.call('INFO'))).fields);
  } catch (err) {
    n.error = errorMessage(err);
    if (isAuthError(n.error)) throw new NodeAuthError(`${n.addr}: ${n.error}`);
    return n;
  }
  n.reachable = true;
  const errors: string[] = [];
  await Promise.all(
    CONFIG_PARAMS.map(async (p) => {
      try {
        Object.assign(n.config, pairs(await c.call('CONFIG', 'GET', p)));
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }),
  );
  if (errors.length > 0) n.configError = errors[0];
  n.worstPingMs = await worstPing(c, opts.pings ?? 5);
  return n;
}

/** Gathers the facts the checks read. Throws a UsageError when the group cannot be read at all. */
export async function gatherFacts(
  name: string,
  opts: DoctorOptions,
  pool: Connections,
): Promise<DoctorFacts> {
  const given = (opts.sentinel !== undefined && opts.sentinel.length > 0 ? opts.sentinel : [DEFAULT_MONITOR])
    .flatMap((s) => s.split(','))
    .filter((s) => s.trim() !== '')
    .map((s) => parseEndpoint(s));
  const views = await Promise.all(given.map((e) => askMonitor(pool, e, name, opts, 'given')));
  const answered = views.filter((v) => v.facts.master !== undefined);
  const first = answered[0];
  if (first === undefined) {
    throw (
      views[0]?.failure ??
      new UsageError(`no monitor answered: check --sentinel host:port and that the monitor is running`)
    );
  }
  const master = first.facts.master ?? {};

  // Peer monitors, as the asked ones report them (same address or same id: the same monitor).
  const seenAddrs = new Set(views.map((v) => v.facts.addr));
  const seenIds = new Set(views.map((v) => v.facts.runid).filter((x): x is string => x !== undefined));
  const peers: { e: Endpoint; runid: string | undefined }[] = [];
  for (const v of answered) {
    for (const s of v.sentinels) {
      const e = { host: s['ip'] ?? '?', port: Number(s['port'] ?? 0) };
      const addr = formatAddr(e);
      if (seenAddrs.has(addr) || (s['runid'] !== undefined && seenIds.has(s['runid']))) continue;
      seenAddrs.add(addr);
      if (s['runid'] !== undefined) seenIds.add(s['runid']);
      peers.push({ e, runid: s['runid'] });
    }
  }

  // Replicas: every one any asked monitor knows, with the first monitor's view of it.
  const replicaViews = new Map<string, Record<string, string>>();
  for (const v of answered)
    for (const r of v.replicas) {
      const key = `${r['ip'] ?? '?'}:${r['port'] ?? '0'}`;
      if (!replicaViews.has(key)) replicaViews.set(key, r);
    }

  const [peerViews, nodes] = await Promise.all([
    Promise.all(peers.map((p) => askMonitor(pool, p.e, name, opts, 'discovered', p.runid))),
    Promise.all([
      readNode(pool, master, 'primary', opts),
      ...[...replicaViews.values()].map((r) => readNode(pool, r, 'replica', opts)),
    ]),
  ]).catch((err: unknown) => {
    if (err instanceof NodeAuthError)
      throw new UsageError(
        `the data nodes require a password (${err.message}): pass --auth-pass (and --auth-user for an ACL user), the monitors' auth-pass`,
      );
    throw err;
  });
  const failoverPolicy = answered.flatMap((v) => v.candidates ?? [])[0]?.['failover-policy'];
  return {
    name,
    master,
    primary: nodes[0],
    replicas: nodes.slice(1),
    monitors: [...views, ...peerViews].map((v) => v.facts),
    failoverPolicy,
  };
}

const LABEL: Record<Severity, string> = {
  error: '[error]  ',
  warning: '[warning]',
  info: '[info]   ',
  ok: '[ok]     ',
};

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0, ok: 0 };
  for (const x of findings) c[x.severity]++;
  return c;
}

/** The readable report, line by line. */
export function renderDoctor(facts: DoctorFacts, findings: readonly Finding[]): string[] {
  const m = facts.master;
  const pings = (xs: (number | undefined)[]): string => {
    const ys = xs.filter((x): x is number => x !== undefined);
    return ys.length === 0 ? '?' : `${Math.max(...ys).toFixed(1)} ms`;
  };
  const out = [
    `${facts.name}: primary ${facts.primary.addr}, ${facts.replicas.length} replica${facts.replicas.length === 1 ? '' : 's'}, ` +
      `quorum ${m['quorum'] ?? '?'}, down-after ${m['down-after-milliseconds'] ?? '?'} ms`,
    `monitors: ${facts.monitors.map((x) => `${x.addr}${x.reachable ? '' : ' (unreachable)'}`).join(', ')}; ` +
      `worst PING from here: nodes ${pings([facts.primary, ...facts.replicas].map((n) => n.worstPingMs))}, ` +
      `monitors ${pings(facts.monitors.map((x) => x.worstPingMs))}`,
    '',
  ];
  const pad = ' '.repeat(LABEL.ok.length + 1);
  for (const x of findings) {
    out.push(`${LABEL[x.severity]} ${x.what}`);
    if (x.why !== undefined) out.push(`${pad}why: ${x.why}`);
    if (x.fix !== undefined) out.push(`${pad}fix: ${x.fix}`);
  }
  const c = countBySeverity(findings);
  out.push('');
  out.push(
    `${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ` +
      `${c.info} note${c.info === 1 ? '' : 's'}, ${c.ok} ok`,
  );
  const skipped = [facts.primary, ...facts.replicas].filter(
    (n) => n.reachable && n.configError !== undefined,
  );
  if (skipped.length > 0)
    out.push(
      `note: CONFIG GET failed on ${skipped.map((n) => n.addr).join(', ')} (${skipped[0]?.configError ?? ''}): checks that need it were skipped`,
    );
  return out;
}

/** Runs the command; returns the exit code (0: no errors, 2: errors found). */
export async function runDoctor(name: string, opts: DoctorOptions): Promise<number> {
  const pool = new Connections();
  try {
    const facts = await gatherFacts(name, opts, pool);
    const findings = runChecks(facts);
    const code = exitCodeFor(findings);
    if (opts.json === true) {
      const report = {
        name,
        primary: facts.primary.addr,
        replicas: facts.replicas.map((r) => r.addr),
        monitors: facts.monitors.map((x) => ({ addr: x.addr, source: x.source, reachable: x.reachable })),
        latencyMs: Object.fromEntries(
          [facts.primary, ...facts.replicas, ...facts.monitors]
            .filter((x) => x.worstPingMs !== undefined)
            .map((x) => [x.addr, Math.round((x.worstPingMs ?? 0) * 1000) / 1000]),
        ),
        findings,
        counts: countBySeverity(findings),
        exitCode: code,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderDoctor(facts, findings).join('\n')}\n`);
    }
    return code;
  } finally {
    pool.closeAll();
  }
}
