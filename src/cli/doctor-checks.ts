/**
 * The checks of `vigil doctor`: pure functions over facts gathered from a live group (see
 * doctor.ts), each returning findings with what is wrong, why it matters and the exact fix.
 * They follow the "don't do" list of Sentinel's documentation.
 */

export type Severity = 'error' | 'warning' | 'info' | 'ok';

export interface Finding {
  /** Stable identifier of the check (for --json consumers and tests). */
  check: string;
  severity: Severity;
  /** What the finding is about: a node address, a monitor, or the group name. */
  subject: string;
  what: string;
  /** One line: why it matters. Absent for `ok`. */
  why?: string;
  /** The exact fix: a config line or a command. Absent for `ok`. */
  fix?: string;
}

/** A data node (the primary or a replica) as the monitor reports it and as it reports itself. */
export interface NodeFacts {
  /** host:port as the monitor reports it. */
  addr: string;
  host: string;
  port: number;
  role: 'primary' | 'replica';
  /** Connected and answered from here. */
  reachable: boolean;
  error?: string | undefined;
  /** CONFIG GET results (only the parameters that were readable). */
  config: Record<string, string>;
  /** Why CONFIG GET failed (renamed command, ACL), if it did. */
  configError?: string | undefined;
  /** INFO server, replication and persistence. */
  info: Record<string, string>;
  /** The monitor's view (SENTINEL MASTER for the primary, the SENTINEL REPLICAS entry for a replica). */
  monitorView: Record<string, string>;
  /** Worst of a few PING round trips from here, in ms. */
  worstPingMs?: number | undefined;
}

export interface MonitorFacts {
  /** host:port as given on the command line or as a peer reports it. */
  addr: string;
  source: 'given' | 'discovered';
  reachable: boolean;
  error?: string | undefined;
  /** SENTINEL MYID answer. */
  runid?: string | undefined;
  /** The run id a peer reports for this address (discovered monitors). */
  reportedRunid?: string | undefined;
  /** Its SENTINEL MASTER <name>, when it answered. */
  master?: Record<string, string> | undefined;
  worstPingMs?: number | undefined;
}

export interface DoctorFacts {
  name: string;
  /** SENTINEL MASTER <name> from the first monitor that answered. */
  master: Record<string, string>;
  primary: NodeFacts;
  replicas: NodeFacts[];
  monitors: MonitorFacts[];
  /** From SENTINEL CANDIDATES (Vigil monitors with at least one replica). */
  failoverPolicy?: string | undefined;
}

export type Check = (f: DoctorFacts) => Finding[];

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `redis-cli -h H -p P <command>` for a node address. */
export function cliFor(n: { host: string; port: number }, command: string): string {
  return `redis-cli -h ${n.host} -p ${n.port} ${command}`;
}

function downAfterMs(f: DoctorFacts): number | undefined {
  return num(f.master['down-after-milliseconds']);
}

/** Number of monitors that know the group: this one plus the peers it has heard from. */
export function knownMonitors(f: DoctorFacts): number {
  let most = (num(f.master['num-other-sentinels']) ?? 0) + 1;
  for (const m of f.monitors) {
    const n = num(m.master?.['num-other-sentinels']);
    if (n !== undefined) most = Math.max(most, n + 1);
  }
  return most;
}

function nodes(f: DoctorFacts): NodeFacts[] {
  return [f.primary, ...f.replicas];
}

/** A node's persistence is off when it neither snapshots nor keeps an AOF. */
export function persistenceOff(n: NodeFacts): boolean | undefined {
  const save = n.config['save'];
  const aof = n.config['appendonly'];
  if (save === undefined || aof === undefined) return undefined;
  return save.trim() === '' && aof === 'no';
}

/** Reachability of the primary and its role: without them nothing else can be trusted. */
export const checkPrimaryReachable: Check = (f) => {
  const p = f.primary;
  if (!p.reachable)
    return [
      {
        check: 'primary-reachable',
        severity: 'error',
        subject: p.addr,
        what: `the primary ${p.addr} the monitor reports cannot be reached from here (${p.error ?? 'no answer'})`,
        why: 'either it is down (a failover should follow) or the monitors know it by an address others cannot use',
        fix: `check it runs; if it does, make the address it is monitored by routable (sentinel monitor ${f.name} <reachable-ip> ${p.port} <quorum>)`,
      },
    ];
  const role = p.info['role'];
  if (role !== undefined && role !== 'master')
    return [
      {
        check: 'primary-reachable',
        severity: 'error',
        subject: p.addr,
        what: `the monitor calls ${p.addr} the primary but it reports role ${role} (of ${p.info['master_host'] ?? '?'}:${p.info['master_port'] ?? '?'})`,
        why: 'clients sent to it by the monitor cannot write; a failover or a manual REPLICAOF left the group inconsistent',
        fix: `wait a few seconds and retry; if it persists, check the monitors' logs and SENTINEL RESET ${f.name}`,
      },
    ];
  return [
    {
      check: 'primary-reachable',
      severity: 'ok',
      subject: p.addr,
      what: `primary ${p.addr} answers as master`,
    },
  ];
};

/** Persistence off on the primary (and on replicas, which become primaries). */
export const checkPersistence: Check = (f) => {
  const out: Finding[] = [];
  const p = f.primary;
  const off = p.reachable ? persistenceOff(p) : undefined;
  if (off === true)
    out.push({
      check: 'persistence',
      severity: 'error',
      subject: p.addr,
      what: `persistence is off on the primary ${p.addr} (save "" and appendonly no)`,
      why: 'if it restarts (crash, OOM kill, reboot) it comes back empty, and its replicas resync to the empty dataset: every key is lost',
      fix: `${cliFor(p, 'CONFIG SET appendonly yes')} && ${cliFor(p, 'CONFIG REWRITE')}   (redis.conf: appendonly yes)`,
    });
  else if (off === false)
    out.push({
      check: 'persistence',
      severity: 'ok',
      subject: p.addr,
      what: `the primary persists its data (save "${p.config['save'] ?? ''}", appendonly ${p.config['appendonly'] ?? '?'})`,
    });
  const bare = f.replicas.filter((r) => r.reachable && persistenceOff(r) === true);
  if (bare.length > 0)
    out.push({
      check: 'persistence-replicas',
      severity: 'warning',
      subject: bare.map((r) => r.addr).join(', '),
      what: `persistence is off on ${plural(bare.length, 'replica')} (${bare.map((r) => r.addr).join(', ')})`,
      why: 'a replica promoted by a failover becomes a primary without persistence, and the next restart wipes the group',
      fix:
        bare.map((r) => cliFor(r, 'CONFIG SET appendonly yes')).join('; ') +
        '   (redis.conf: appendonly yes)',
    });
  return out;
};

/** repl-diskless-sync-delay on a primary without persistence. */
export const checkDisklessDelay: Check = (f) => {
  const p = f.primary;
  if (!p.reachable || persistenceOff(p) !== true) return [];
  const delay = num(p.config['repl-diskless-sync-delay']);
  if (delay === undefined || delay <= 0 || p.config['repl-diskless-sync'] === 'no') return [];
  const da = downAfterMs(f);
  return [
    {
      check: 'diskless-sync-delay',
      severity: 'warning',
      subject: p.addr,
      what: `repl-diskless-sync-delay is ${delay} s on a primary without persistence${da !== undefined ? ` (down-after is ${da / 1000} s)` : ''}`,
      why: `after an empty restart it answers PINGs at once, so no monitor sees it down: ${delay} s after the replicas reconnect they are flushed; the delay only postpones the wipe`,
      fix: `turn persistence on (${cliFor(p, 'CONFIG SET appendonly yes')}); if it must stay off, add 'sentinel master-reboot-down-after-period ${f.name} <ms>' on every monitor so a reboot starts a failover`,
    },
  ];
};

function priorityOf(r: NodeFacts): number | undefined {
  return (
    num(r.config['replica-priority'] ?? r.config['slave-priority']) ?? num(r.monitorView['slave-priority'])
  );
}

/** Replica priorities: at least one replica must be promotable. */
export const checkReplicaPriority: Check = (f) => {
  if (f.replicas.length === 0)
    return [
      {
        check: 'replica-priority',
        severity: 'error',
        subject: f.name,
        what: `the monitors know no replica of ${f.name}`,
        why: 'with no replica there is nothing to promote: a primary failure is an outage and its data is gone if it does not come back',
        fix: `attach at least two replicas: on each, replicaof ${f.primary.host} ${f.primary.port} (redis.conf) or ${cliFor({ host: '<replica>', port: 6379 }, `REPLICAOF ${f.primary.host} ${f.primary.port}`)}`,
      },
    ];
  const promotable = f.replicas.filter((r) => (priorityOf(r) ?? 100) > 0);
  if (promotable.length === 0)
    return [
      {
        check: 'replica-priority',
        severity: 'error',
        subject: f.replicas.map((r) => r.addr).join(', '),
        what: `every replica has replica-priority 0 (${f.replicas.map((r) => r.addr).join(', ')})`,
        why: 'priority 0 means "never promote": if the primary fails no failover is possible',
        fix:
          f.replicas
            .slice(0, 2)
            .map((r) => cliFor(r, 'CONFIG SET replica-priority 100'))
            .join('; ') + '   (redis.conf: replica-priority 100 on the replicas that may become primary)',
      },
    ];
  if (promotable.length === 1 && f.replicas.length > 1)
    return [
      {
        check: 'replica-priority',
        severity: 'info',
        subject: promotable[0]!.addr,
        what: `only ${promotable[0]!.addr} can be promoted (the other replicas have replica-priority 0)`,
        why: 'if that replica is down or lagging when the primary fails, no failover is possible',
        fix: 'give a second replica a non-zero priority: CONFIG SET replica-priority 100 (redis.conf: replica-priority 100)',
      },
    ];
  return [
    {
      check: 'replica-priority',
      severity: 'ok',
      subject: f.name,
      what: `${promotable.length} of ${plural(f.replicas.length, 'replica')} can be promoted`,
    },
  ];
};

/** The min-replicas-max-lag that stays below down-after (in whole seconds), at least 1. */
export function suggestedMaxLag(downAfter: number | undefined): number {
  if (downAfter === undefined) return 10;
  return Math.max(1, Math.ceil(downAfter / 1000) - 1);
}

/** min-replicas-to-write / min-replicas-max-lag on every node (replicas become primaries). */
export const checkMinReplicas: Check = (f) => {
  const out: Finding[] = [];
  const da = downAfterMs(f);
  const lag = suggestedMaxLag(da);
  const known = nodes(f).filter((n) => n.reachable && num(n.config['min-replicas-to-write']) !== undefined);
  const unset = known.filter((n) => num(n.config['min-replicas-to-write']) === 0);
  const label = (n: NodeFacts): string => `${n.addr}${n === f.primary ? ' (primary)' : ''}`;
  if (unset.length > 0)
    out.push({
      check: 'min-replicas-to-write',
      severity: 'warning',
      subject: unset.map((n) => n.addr).join(', '),
      what: `min-replicas-to-write is 0 on ${unset.map(label).join(', ')}`,
      why: 'a frozen or partitioned primary keeps acknowledging writes that the failover then discards',
      fix:
        `on every node: CONFIG SET min-replicas-to-write 1 and CONFIG SET min-replicas-max-lag ${lag}` +
        ` (redis.conf: min-replicas-to-write 1 / min-replicas-max-lag ${lag}, below down-after${da !== undefined ? ` ${da / 1000} s` : ''})`,
    });
  else if (known.includes(f.primary))
    out.push({
      check: 'min-replicas-to-write',
      severity: 'ok',
      subject: f.primary.addr,
      what: `min-replicas-to-write is ${f.primary.config['min-replicas-to-write']} on the primary`,
    });
  const p = f.primary;
  const need = num(p.config['min-replicas-to-write']);
  if (p.reachable && need !== undefined && need > 0) {
    // Replicas that count for min-replicas-to-write (acknowledged within max-lag), else attached ones.
    const good =
      num(p.info['min_slaves_good_slaves']) ?? num(p.info['connected_slaves']) ?? f.replicas.length;
    if (need > good)
      out.push({
        check: 'min-replicas-to-write',
        severity: 'error',
        subject: p.addr,
        what: `the primary needs ${plural(need, 'replica')} to accept writes but ${good} ${good === 1 ? 'is' : 'are'} attached and up to date`,
        why: 'the primary refuses every write now (NOREPLICAS)',
        fix:
          good > 0
            ? `${cliFor(p, `CONFIG SET min-replicas-to-write ${good}`)}, or attach more replicas`
            : 'bring the replicas back (check their master_link_status); only as a last resort: CONFIG SET min-replicas-to-write 0',
      });
    else if (need >= f.replicas.length)
      out.push({
        check: 'min-replicas-to-write',
        severity: 'warning',
        subject: p.addr,
        what: `min-replicas-to-write ${need} equals the number of replicas (${f.replicas.length})`,
        why: 'losing any one replica stops all writes on the primary',
        fix:
          need > 1
            ? `${cliFor(p, `CONFIG SET min-replicas-to-write ${need - 1}`)} (redis.conf: min-replicas-to-write ${need - 1})`
            : `attach another replica (replicaof ${p.host} ${p.port}) so one replica failure does not stop writes`,
      });
  }
  // max-lag only matters where min-replicas-to-write is on.
  if (da !== undefined) {
    const slow = nodes(f).filter((n) => {
      const w = num(n.config['min-replicas-to-write']);
      const l = num(n.config['min-replicas-max-lag']);
      return n.reachable && w !== undefined && w > 0 && l !== undefined && l * 1000 >= da;
    });
    if (slow.length > 0)
      out.push({
        check: 'min-replicas-max-lag',
        severity: 'warning',
        subject: slow.map((n) => n.addr).join(', '),
        what: `min-replicas-max-lag (${[...new Set(slow.map((n) => n.config['min-replicas-max-lag']))].join('/')} s) is not below down-after (${da / 1000} s) on ${slow.map((n) => n.addr).join(', ')}`,
        why: 'a partitioned primary keeps accepting writes until after the monitors start a failover, and those writes are lost',
        fix:
          da > 1000
            ? `on every node: CONFIG SET min-replicas-max-lag ${lag} (redis.conf: min-replicas-max-lag ${lag})`
            : `raise down-after (SENTINEL SET ${f.name} down-after-milliseconds 5000 on every monitor) and set min-replicas-max-lag 4`,
      });
  }
  return out;
};

/** Enough monitors for the quorum, for the majority, and to survive one failure. */
export const checkMonitorCount: Check = (f) => {
  const out: Finding[] = [];
  const known = knownMonitors(f);
  const quorum = num(f.master['quorum']);
  const majority = Math.floor(known / 2) + 1;
  if (quorum !== undefined && known < quorum) {
    out.push({
      check: 'monitor-quorum',
      severity: 'error',
      subject: f.name,
      what: `quorum is ${quorum} but only ${plural(known, 'monitor')} ${known === 1 ? 'knows' : 'know'} ${f.name}`,
      why: 'the primary can never be agreed down: no failover is possible',
      fix: `run ${quorum - known} more monitor${quorum - known === 1 ? '' : 's'} (sentinel monitor ${f.name} ${f.primary.host} ${f.primary.port} ${quorum}), or SENTINEL SET ${f.name} quorum ${Math.max(1, Math.min(known, majority))} on every monitor`,
    });
    return out;
  }
  if (known < 3)
    out.push({
      check: 'monitor-count',
      severity: 'warning',
      subject: f.name,
      what: `only ${plural(known, 'monitor')} ${known === 1 ? 'watches' : 'watch'} ${f.name}`,
      why:
        known === 1
          ? 'a single monitor is a single point of failure: if it or its machine is down, nobody fails the primary over'
          : 'Sentinel needs at least three monitors, on machines that fail independently, for a robust deployment',
      fix: `run ${3 - known} more monitor${3 - known === 1 ? ' on a separate machine' : 's on separate machines'} with: sentinel monitor ${f.name} ${f.primary.host} ${f.primary.port} 2 (and SENTINEL SET ${f.name} quorum 2 on the existing one${known === 1 ? '' : 's'})`,
    });
  else
    out.push({
      check: 'monitor-count',
      severity: 'ok',
      subject: f.name,
      what: `${known} monitors watch ${f.name}`,
    });
  // With one monitor down, can the rest still agree (quorum) and elect a leader (majority)?
  const left = known - 1;
  if (known > 1 && (left < majority || (quorum !== undefined && left < quorum))) {
    const byMajority = left < majority;
    out.push({
      check: 'monitor-failure-tolerance',
      severity: 'warning',
      subject: f.name,
      what: byMajority
        ? `with ${known} monitors, one monitor down leaves ${left}: no majority (${majority}) to elect a failover leader`
        : `quorum ${quorum ?? '?'} equals the number of monitors: one monitor down and the primary can never be agreed down`,
      why: 'a single monitor failure (or the machine it shares with the primary) blocks every failover',
      fix: byMajority
        ? `run an odd number of monitors, at least 3 (sentinel monitor ${f.name} ${f.primary.host} ${f.primary.port} ${Math.floor(Math.max(3, known + 1) / 2) + 1})`
        : `SENTINEL SET ${f.name} quorum ${majority} on every monitor`,
    });
  }
  return out;
};

/** Addresses the monitor uses that do not lead to the node they stand for (announce-ip, NAT, Docker). */
export const checkAnnounce: Check = (f) => {
  const out: Finding[] = [];
  for (const r of f.replicas) {
    if (!r.reachable) {
      out.push({
        check: 'announce',
        severity: 'warning',
        subject: r.addr,
        what: `the monitor reports a replica at ${r.addr} that cannot be reached from here (${r.error ?? 'no answer'})`,
        why: 'if the address is a NAT or container address, monitors and clients cannot promote or use this replica',
        fix: `on the replica: replica-announce-ip <address everyone can reach> and replica-announce-port <port> (redis.conf), or check that it runs`,
      });
      continue;
    }
    const announceIp = r.config['replica-announce-ip'] ?? '';
    const announcePort = num(r.config['replica-announce-port']) ?? 0;
    const wantHost = announceIp !== '' ? announceIp : undefined;
    const wantPort = announcePort > 0 ? announcePort : r.port;
    const runid = r.monitorView['runid'];
    if (runid !== undefined && runid !== '' && r.info['run_id'] !== undefined && r.info['run_id'] !== runid) {
      out.push({
        check: 'announce',
        severity: 'warning',
        subject: r.addr,
        what: `${r.addr} answers with run id ${r.info['run_id'].slice(0, 8)}, not the replica the monitor knows there (${runid.slice(0, 8)})`,
        why: 'the address the monitors use leads to another node (NAT, port mapping): a failover may promote the wrong one',
        fix: 'set replica-announce-ip and replica-announce-port on every replica to its own externally reachable address',
      });
    } else if ((wantHost !== undefined && wantHost !== r.host) || wantPort !== r.port) {
      out.push({
        check: 'announce',
        severity: 'warning',
        subject: r.addr,
        what: `the replica announces itself as ${wantHost ?? r.host}:${wantPort} but the monitor knows it as ${r.addr}`,
        why: 'monitors and clients use the announced address: after a restart or failover they may not find this replica',
        fix: `if ${r.addr} is the right address: ${[
          ...(wantHost !== undefined && wantHost !== r.host
            ? [cliFor(r, `CONFIG SET replica-announce-ip ${r.host}`)]
            : []),
          ...(wantPort !== r.port ? [cliFor(r, `CONFIG SET replica-announce-port ${r.port}`)] : []),
        ].join('; ')} (and the same in its redis.conf)`,
      });
    }
  }
  for (const m of f.monitors) {
    if (!m.reachable) {
      out.push({
        check: 'announce',
        severity: m.source === 'given' ? 'error' : 'warning',
        subject: m.addr,
        what: `${m.source === 'given' ? 'the monitor' : 'a peer monitor announces itself at'} ${m.addr} ${m.source === 'given' ? 'cannot be reached' : 'but cannot be reached from here'} (${m.error ?? 'no answer'})`,
        why: 'clients that discover the primary through it get no answer; if it is a NAT address, its votes cannot be asked for either',
        fix: 'on that monitor: sentinel announce-ip <reachable address> and sentinel announce-port <port>, or check that it runs',
      });
    } else if (m.reportedRunid !== undefined && m.runid !== undefined && m.reportedRunid !== m.runid) {
      out.push({
        check: 'announce',
        severity: 'warning',
        subject: m.addr,
        what: `${m.addr} answers as monitor ${m.runid.slice(0, 8)}, but its peers know that address as ${m.reportedRunid.slice(0, 8)}`,
        why: 'monitors behind NAT announce addresses that reach another monitor: votes and hellos go astray',
        fix: 'set sentinel announce-ip and sentinel announce-port on each monitor to its own reachable address',
      });
    }
  }
  // The primary lists its replicas by the address they announce; the monitor should know them all.
  const p = f.primary;
  if (p.reachable) {
    const listed = new Set<string>();
    for (const [k, v] of Object.entries(p.info)) {
      if (!/^slave\d+$/.test(k)) continue;
      const ip = /(?:^|,)ip=([^,]+)/.exec(v)?.[1];
      const port = /(?:^|,)port=(\d+)/.exec(v)?.[1];
      if (ip !== undefined && port !== undefined) listed.add(`${ip}:${port}`);
    }
    const known = new Set(f.replicas.map((r) => `${r.host}:${r.port}`));
    const unknown = [...listed].filter((a) => !known.has(a));
    if (unknown.length > 0)
      out.push({
        check: 'announce',
        severity: 'warning',
        subject: unknown.join(', '),
        what: `the primary lists ${unknown.join(', ')} as replica${unknown.length === 1 ? '' : 's'} but the monitor does not know ${unknown.length === 1 ? 'it' : 'them'}`,
        why: 'a replica the monitors do not know is never promoted and never reconfigured after a failover',
        fix: `wait 10 s (monitors read the primary's INFO every 10 s); if it persists check replica-announced and replica-announce-ip on ${unknown.join(', ')}`,
      });
  }
  if (out.length === 0)
    out.push({
      check: 'announce',
      severity: 'ok',
      subject: f.name,
      what: `every address the monitors use reaches the node it stands for (${plural(f.replicas.length, 'replica')}, ${plural(f.monitors.length, 'monitor')})`,
    });
  return out;
};

/** down-after against the latency measured from here. */
export const checkDownAfterLatency: Check = (f) => {
  const da = downAfterMs(f);
  const samples = [
    ...nodes(f).map((n) => ({ addr: n.addr, ms: n.worstPingMs })),
    ...f.monitors.map((m) => ({ addr: m.addr, ms: m.worstPingMs })),
  ].filter((s): s is { addr: string; ms: number } => s.ms !== undefined);
  if (da === undefined || samples.length === 0) return [];
  const worst = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
  if (da < worst.ms * 10)
    return [
      {
        check: 'down-after-latency',
        severity: 'warning',
        subject: worst.addr,
        what: `down-after-milliseconds ${da} is less than 10x the worst PING measured (${worst.ms.toFixed(1)} ms to ${worst.addr})`,
        why: 'ordinary latency spikes will be taken for failures: needless failovers, each losing the writes in flight',
        fix: `SENTINEL SET ${f.name} down-after-milliseconds ${Math.max(5000, Math.ceil((worst.ms * 20) / 1000) * 1000)} on every monitor`,
      },
    ];
  return [
    {
      check: 'down-after-latency',
      severity: 'ok',
      subject: f.name,
      what: `down-after-milliseconds ${da} is well above the worst PING measured (${worst.ms.toFixed(1)} ms)`,
    },
  ];
};

/** Vigil's failover-policy: `available` allows promotions that lose acknowledged writes. */
export const checkFailoverPolicy: Check = (f) => {
  if (f.failoverPolicy === undefined) return [];
  if (f.failoverPolicy === 'available')
    return [
      {
        check: 'failover-policy',
        severity: 'warning',
        subject: f.name,
        what: `failover-policy is 'available': a replica with another history or a stale copy can be promoted`,
        why: 'Sentinel behaviour: a failover at any cost, which can silently discard acknowledged writes',
        fix: `SENTINEL SET ${f.name} failover-policy safe on every monitor (sentinel.conf: sentinel failover-policy ${f.name} safe)`,
      },
    ];
  return [
    {
      check: 'failover-policy',
      severity: 'ok',
      subject: f.name,
      what: `failover-policy is '${f.failoverPolicy}'`,
    },
  ];
};

/** Monitors that disagree about where the primary is. */
export const checkMonitorsAgree: Check = (f) => {
  const out: Finding[] = f.monitors
    .filter((m) => m.reachable && m.master === undefined)
    .map((m) => ({
      check: 'monitors-agree',
      severity: 'error' as const,
      subject: m.addr,
      what: `the monitor ${m.addr} does not watch ${f.name}${m.error !== undefined ? ` (${m.error})` : ''}`,
      why: 'clients and peers that rely on it get no answer for this group, and its vote is missing',
      fix: `on ${m.addr}: SENTINEL MONITOR ${f.name} ${f.primary.host} ${f.primary.port} ${f.master['quorum'] ?? 2} (and the group's other settings)`,
    }));
  const views = f.monitors.filter((m) => m.master !== undefined);
  if (views.length < 2) return out;
  const addrs = new Set(views.map((m) => `${m.master?.['ip'] ?? '?'}:${m.master?.['port'] ?? '?'}`));
  if (addrs.size > 1)
    out.push({
      check: 'monitors-agree',
      severity: 'error',
      subject: f.name,
      what: `the monitors disagree about the primary: ${views.map((m) => `${m.addr} says ${m.master?.['ip'] ?? '?'}:${m.master?.['port'] ?? '?'}`).join(', ')}`,
      why: 'clients asking different monitors write to different primaries (split brain)',
      fix: `find the real primary, then on the monitors that are wrong: SENTINEL RESET ${f.name} (or SENTINEL REMOVE and MONITOR again)`,
    });
  return out;
};

/** Replicas whose link to the primary is down. */
export const checkReplicaLinks: Check = (f) => {
  const down = f.replicas.filter((r) => r.reachable && r.info['master_link_status'] === 'down');
  if (down.length === 0) return [];
  return [
    {
      check: 'replica-link',
      severity: 'warning',
      subject: down.map((r) => r.addr).join(', '),
      what: `replication link down on ${down.map((r) => r.addr).join(', ')}`,
      why: 'a replica that is not replicating falls behind and may not be promotable when it is needed',
      fix: 'check the replica log and masterauth; INFO replication on the replica shows master_link_down_since_seconds',
    },
  ];
};

/** Every check, in report order. */
export const CHECKS: readonly Check[] = [
  checkPrimaryReachable,
  checkPersistence,
  checkDisklessDelay,
  checkReplicaPriority,
  checkMinReplicas,
  checkMonitorCount,
  checkMonitorsAgree,
  checkAnnounce,
  checkDownAfterLatency,
  checkFailoverPolicy,
  checkReplicaLinks,
];

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, ok: 3 };

/** Runs every check; findings sorted by severity (errors first), stable within one severity. */
export function runChecks(f: DoctorFacts, checks: readonly Check[] = CHECKS): Finding[] {
  return checks
    .flatMap((c) => c(f))
    .map((x, i) => ({ x, i }))
    .sort((a, b) => ORDER[a.x.severity] - ORDER[b.x.severity] || a.i - b.i)
    .map(({ x }) => x);
}

/** 2 when any finding is an error, else 0. */
export function exitCodeFor(findings: readonly Finding[]): number {
  return findings.some((x) => x.severity === 'error') ? 2 : 0;
}
