/** The SENTINEL command, subcommand by subcommand, with redis-sentinel 7.0's replies and errors. */
import { accessSync, constants as fsc } from 'node:fs';
import { isIP } from 'node:net';
import { TIMING_DEBUG_NAMES } from '../../core/constants.js';
import type { MasterChange } from '../../core/core.js';
import { clientPrimaryAddr } from '../../core/instance.js';
import { quorumCheck } from '../../core/quorum.js';
import { SWITCHOVER_MARKER } from '../../core/votes.js';
import { candidates } from '../../core/select-replica.js';
import type { MasterView } from '../../core/view.js';
import { R, type Reply } from '../../resp/reply.js';
import { globMatch } from '../glob.js';
import { instanceReply, instancesReply } from '../replies.js';
import { NO_SUCH_MASTER, parseInteger, unknownSubcommand, wrongArity } from './errors.js';
import type { CommandContext, CommandSpec, Monitor } from './types.js';

const HELP = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CKQUORUM <master-name>',
  '    Check if the current Sentinel configuration is able to reach the quorum',
  '    needed to failover a master and the majority needed to authorize the',
  '    failover.',
  'CONFIG SET <param> <value>',
  '    Set a global Sentinel configuration parameter.',
  'CONFIG GET <param>',
  '    Get global Sentinel configuration parameter.',
  'DEBUG [<param> <value> ...]',
  '    Show a list of configurable time parameters and their values (milliseconds).',
  '    Or update current configurable parameters values (one or more).',
  'GET-MASTER-ADDR-BY-NAME <master-name>',
  '    Return the ip and port number of the master with that name.',
  'FAILOVER <master-name>',
  '    Manually failover a master node without asking for agreement from other',
  '    Sentinels',
  'FLUSHCONFIG',
  '    Force Sentinel to rewrite its configuration on disk, including the current',
  '    Sentinel state.',
  'INFO-CACHE <master-name>',
  '    Return last cached INFO output from masters and all its replicas.',
  'IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>',
  "    Check if the master specified by ip:port is down from current Sentinel's",
  '    point of view.',
  'MASTER <master-name>',
  '    Show the state and info of the specified master.',
  'MASTERS',
  '    Show a list of monitored masters and their state.',
  'MONITOR <name> <ip> <port> <quorum>',
  '    Start monitoring a new master with the specified name, ip, port and quorum.',
  'MYID',
  '    Return the ID of the Sentinel instance.',
  'PENDING-SCRIPTS',
  '    Get pending scripts information.',
  'REMOVE <master-name>',
  "    Remove master from Sentinel's monitor list.",
  'REPLICAS <master-name>',
  '    Show a list of replicas for this master and their state.',
  'RESET <pattern>',
  '    Reset masters for specific master name matching this pattern.',
  'SENTINELS <master-name>',
  '    Show a list of Sentinel instances for this master and their state.',
  'SET <master-name> <option> <value> [<option> <value> ...]',
  '    Set configuration parameters for certain masters.',
  'SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]',
  '    Simulate a Sentinel crash.',
  'HELP',
  '    Prints this help.',
];

/** Valkey's names for the same subcommands. */
const ALIASES: Record<string, string> = {
  primaries: 'masters',
  primary: 'master',
  'get-primary-addr-by-name': 'get-master-addr-by-name',
  'is-primary-down-by-addr': 'is-master-down-by-addr',
};

type Sub = (ctx: CommandContext, d: Monitor) => Reply | undefined;

function master(d: Monitor, name: string | undefined): MasterView | undefined {
  return name === undefined ? undefined : d.core.masters.get(name);
}

function withMaster(
  ctx: CommandContext,
  d: Monitor,
  fn: (m: MasterView) => Reply | undefined,
): Reply | undefined {
  const m = master(d, ctx.argv[2]);
  if (!m) return NO_SUCH_MASTER;
  return fn(m);
}

/** Subcommands with their exact arity (Sentinel checks argc per subcommand). */
const SUBS: Record<string, { arity: number; run: Sub }> = {
  masters: { arity: 2, run: (ctx, d) => instancesReply(d.core.masters.values(), ctx.now) },
  master: { arity: 3, run: (ctx, d) => withMaster(ctx, d, (m) => instanceReply(m, ctx.now)) },
  replicas: {
    arity: 3,
    run: (ctx, d) => withMaster(ctx, d, (m) => instancesReply(m.replicas.values(), ctx.now)),
  },
  slaves: {
    arity: 3,
    run: (ctx, d) => withMaster(ctx, d, (m) => instancesReply(m.replicas.values(), ctx.now)),
  },
  sentinels: {
    arity: 3,
    run: (ctx, d) => withMaster(ctx, d, (m) => instancesReply(m.sentinels.values(), ctx.now)),
  },
  myid: { arity: 2, run: (_ctx, d) => R.bulk(d.core.myid) },
  'is-master-down-by-addr': { arity: -6, run: isMasterDownByAddr },
  reset: {
    arity: 3,
    run: (ctx, d) => {
      const pattern = ctx.argv[2] ?? '';
      const n = d.core.resetByPattern(ctx.now, (name) => globMatch(pattern, name));
      d.runtime.flushEffects();
      return R.int(n);
    },
  },
  'get-master-addr-by-name': {
    arity: 3,
    run: (ctx, d) => {
      const m = master(d, ctx.argv[2]);
      if (!m) return R.nullArray;
      const a = clientPrimaryAddr(m);
      return R.array([R.bulk(a.host), R.bulk(String(a.port))]);
    },
  },
  failover: { arity: -3, run: failover },
  'pending-scripts': { arity: 2, run: pendingScripts },
  monitor: { arity: 6, run: monitor },
  flushconfig: { arity: 2, run: (_ctx, d) => d.flushConfigReply() },
  remove: {
    arity: 3,
    run: (ctx, d) =>
      withMaster(ctx, d, (m) => {
        d.core.removeMaster(m.name, ctx.now);
        d.runtime.flushEffects();
        return d.flushConfigReply();
      }),
  },
  ckquorum: { arity: 3, run: (ctx, d) => withMaster(ctx, d, (m) => ckquorum(m)) },
  set: { arity: -3, run: sentinelSet },
  config: { arity: -3, run: sentinelConfig },
  'info-cache': { arity: -2, run: infoCache },
  'simulate-failure': { arity: -2, run: simulateFailure },
  debug: { arity: -2, run: debug },
  candidates: { arity: 3, run: (ctx, d) => withMaster(ctx, d, (m) => candidatesReply(m, d, ctx.now)) },
  pause: { arity: -4, run: pause },
  resume: {
    arity: 3,
    run: (ctx, d) =>
      withMaster(ctx, d, (m) => {
        d.core.resume(ctx.now, m.name);
        d.runtime.flushEffects();
        return d.flushConfigReply();
      }),
  },
  paused: { arity: 3, run: (ctx, d) => withMaster(ctx, d, (m) => pausedReply(m, ctx.now)) },
  history: { arity: -2, run: history },
};

/**
 * Vigil's SENTINEL CANDIDATES <name>: every replica, its replication history, lag and whether it
 * would be promoted now, with the reason when not. Lets an operator see before a failure what
 * a failover would do.
 */
function candidatesReply(m: MasterView, d: Monitor, now: number): Reply {
  return R.array(
    candidates(m, d.core.timing, now).map((c) => {
      const r = c.replica;
      const lag = m.replId !== undefined ? Math.max(0, m.replOffset - r.replOffset) : -1;
      return R.strMap([
        ['name', R.bulk(r.name)],
        ['ip', R.bulk(r.addr.host)],
        ['port', R.bulk(String(r.addr.port))],
        ['runid', R.bulk(r.runId ?? '')],
        ['master-link-status', R.bulk(r.slaveMasterLinkUp ? 'ok' : 'err')],
        ['master-link-down-time', R.bulk(String(r.masterLinkDownTime))],
        ['master-replid', R.bulk(r.masterReplId ?? '')],
        ['master-replid2', R.bulk(r.masterReplId2 ?? '')],
        ['second-repl-offset', R.bulk(String(r.secondReplOffset ?? -1))],
        ['slave-repl-offset', R.bulk(String(r.replOffset))],
        ['primary-replid', R.bulk(m.replId ?? '')],
        ['primary-repl-offset', R.bulk(String(m.replOffset))],
        ['lag-bytes', R.bulk(String(lag))],
        ['slave-priority', R.bulk(String(r.priority))],
        ['synced-since-restart', R.bulk(r.syncedSinceRestart ? 'yes' : 'no')],
        ['failover-policy', R.bulk(m.failoverPolicy)],
        ['eligible', R.bulk(c.eligible ? 'yes' : 'no')],
        ['rank', R.bulk(String(c.rank))],
        ['reason', R.bulk(c.reason)],
      ]);
    }),
  );
}

/**
 * SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid> [SWITCHOVER]: Vigil peers add
 * SWITCHOVER when they ask for a planned switchover's vote (redis-sentinel takes exactly six words).
 */
/**
 * Vigil's SENTINEL PAUSE <name> <milliseconds> [reason ...]: maintenance mode, no automatic
 * failover of the group until then (see core/pause.ts). SENTINEL RESUME <name> ends it.
 */
function pause(ctx: CommandContext, d: Monitor): Reply {
  const m = master(d, ctx.argv[2]);
  if (!m) return NO_SUCH_MASTER;
  const ms = parseInteger(ctx.argv[3] ?? '');
  if (ms === undefined || ms <= 0)
    return R.error(
      'ERR the pause must be a positive number of milliseconds, e.g. SENTINEL PAUSE mymaster 600000',
    );
  d.core.pause(ctx.now, m.name, ms, ctx.argv.slice(4).join(' '));
  d.runtime.flushEffects();
  return d.flushConfigReply();
}

/** Vigil's SENTINEL PAUSED <name>: whether the group is paused, until when, why, by which monitor. */
function pausedReply(m: MasterView, now: number): Reply {
  const p = m.pause;
  const active = p !== undefined && p.active && now < p.until;
  return R.strMap([
    ['paused', R.bulk(active ? 'yes' : 'no')],
    ['until-ms', R.bulk(String(active ? p.until : 0))],
    ['remaining-ms', R.bulk(String(active ? p.until - now : 0))],
    ['reason', R.bulk(active ? p.reason : '')],
    ['set-by', R.bulk(p?.by ?? '')],
    ['set-at-ms', R.bulk(String(p?.setAt ?? 0))],
  ]);
}

/**
 * Vigil's SENTINEL HISTORY [<name>] [<count>]: this monitor's newest history entries (failovers,
 * switchovers, refusals, fences, salvages, pauses), oldest first, one JSON document each.
 */
function history(ctx: CommandContext, d: Monitor): Reply {
  const [, , a, b] = ctx.argv;
  let name: string | undefined;
  let count = 20;
  for (const arg of [a, b]) {
    if (arg === undefined) continue;
    const n = parseInteger(arg);
    if (n !== undefined && n > 0) count = n;
    else if (d.core.masters.has(arg)) name = arg;
    else return NO_SUCH_MASTER;
  }
  return R.bulks(d.history.recent(count, name).map((e) => JSON.stringify(e)));
}

function isMasterDownByAddr(ctx: CommandContext, d: Monitor): Reply {
  const extra = ctx.argv[6];
  if (ctx.argv.length > 7 || (extra !== undefined && extra.toLowerCase() !== SWITCHOVER_MARKER.toLowerCase()))
    return wrongArity('sentinel|is-master-down-by-addr');
  const port = parseInteger(ctx.argv[3] ?? '');
  const epoch = parseInteger(ctx.argv[4] ?? '');
  if (port === undefined || epoch === undefined)
    return R.error('ERR value is not an integer or out of range');
  const res = d.core.isMasterDownByAddr(
    ctx.now,
    ctx.argv[2] ?? '',
    port,
    epoch,
    ctx.argv[5] ?? '*',
    extra !== undefined,
  );
  // Any vote is persisted by the effects below before this reply is written.
  d.runtime.flushEffects();
  return R.array([R.int(res.down ? 1 : 0), R.bulk(res.leader), R.int(res.epoch)]);
}

/**
 * SENTINEL FAILOVER <name> [COORDINATED [TO <host> <port>] [TIMEOUT <ms>]]. With COORDINATED
 * (Valkey 9's syntax): the planned switchover that pauses writes and hands over with FAILOVER,
 * losing no acknowledged write. Without it: the same while the primary answers, unless the group
 * says `manual-failover forced`; Sentinel's forced failover for a primary that does not answer.
 */
function failover(ctx: CommandContext, d: Monitor): Reply {
  const argv = ctx.argv;
  if (argv.length > 3 && (argv[3] ?? '').toLowerCase() !== 'coordinated')
    return wrongArity('sentinel|failover');
  const m = master(d, argv[2]);
  if (!m) return NO_SUCH_MASTER;
  if (argv.length > 3) {
    let to: { host: string; port: number } | undefined;
    let timeoutMs: number | undefined;
    for (let j = 4; j < argv.length; j++) {
      const opt = (argv[j] ?? '').toLowerCase();
      if (opt === 'to' && j + 2 < argv.length) {
        const port = parseInteger(argv[j + 2] ?? '');
        if (port === undefined) return R.error('ERR Invalid port');
        to = { host: argv[j + 1] ?? '', port };
        j += 2;
      } else if (opt === 'timeout' && j + 1 < argv.length) {
        const t = parseInteger(argv[++j] ?? '');
        if (t === undefined || t <= 0)
          return R.error('ERR TIMEOUT must be a positive number of milliseconds');
        timeoutMs = t;
      } else {
        return R.error(
          `ERR syntax error, expected COORDINATED [TO <host> <port>] [TIMEOUT <ms>], got '${argv[j] ?? ''}'`,
        );
      }
    }
    const res = d.core.startCoordinated(ctx.now, m.name, { to, timeoutMs });
    d.runtime.flushEffects();
    return res.ok ? R.ok : R.error(res.error);
  }
  const res = d.core.manualFailover(ctx.now, m.name);
  d.runtime.flushEffects();
  if (res === 'nomaster') return NO_SUCH_MASTER;
  if (res.mode === 'coordinated') return res.result.ok ? R.ok : R.error(res.result.error);
  if (res.result === 'inprog') return R.error('INPROG Failover already in progress');
  if (res.result === 'nogoodslave') return R.error('NOGOODSLAVE No suitable replica to promote');
  return R.ok;
}

function pendingScripts(_ctx: CommandContext, d: Monitor): Reply {
  const now = Date.now();
  return R.array(
    d.runtime.scripts.queue.map((j) => {
      const timing = j.running
        ? (['run-time', R.bulk(String(now - j.startTime))] as const)
        : (['run-delay', R.bulk(String(j.startTime ? Math.max(0, j.startTime - now) : 0))] as const);
      return R.strMap([
        ['argv', R.bulks(j.argv)],
        ['flags', R.bulk(j.running ? 'running' : 'scheduled')],
        ['pid', R.bulk(String(j.pid))],
        timing,
        ['retry-num', R.bulk(String(j.retryNum))],
      ]);
    }),
  );
}

function monitor(ctx: CommandContext, d: Monitor): Reply {
  const [, , name = '', host = '', portS = '', quorumS = ''] = ctx.argv;
  const quorum = parseInteger(quorumS);
  if (quorum === undefined) return R.error('ERR Invalid quorum');
  const port = parseInteger(portS);
  if (port === undefined) return R.error('ERR Invalid port');
  if (quorum <= 0) return R.error('ERR Quorum must be 1 or greater.');
  if (!d.settings.resolveHostnames && isIP(host) === 0) {
    return R.error('ERR Invalid IP address or hostname specified');
  }
  if (port < 0 || port > 65535) return R.error('ERR Invalid port number');
  const m = d.core.monitor(ctx.now, name, { host, port }, quorum);
  if (!m) return R.error('ERR Duplicate master name.');
  const reply = d.flushConfigReply();
  d.runtime.flushEffects();
  return reply;
}

function ckquorum(m: MasterView): Reply {
  let usable = 1;
  for (const s of m.sentinels.values()) if (!s.sDown) usable++;
  const reach = quorumCheck(usable, m.sentinels.size + 1, m.quorum);
  const noQuorum = !reach.quorum;
  const noAuth = !reach.majority;
  if (!noQuorum && !noAuth) {
    return R.simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
  }
  let e = `NOQUORUM ${usable} usable Sentinels. `;
  if (noQuorum) e += 'Not enough available Sentinels to reach the specified quorum for this master';
  if (noAuth) {
    if (noQuorum) e += '. ';
    e += 'Not enough available Sentinels to reach the majority and authorize a failover';
  }
  return R.error(e);
}

function executable(path: string): boolean {
  try {
    accessSync(path, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * SENTINEL SET <name> <option> <value> [<option> <value> ...]: each option is parsed here and
 * handed to the core as one typed change; options before a bad one stay applied, as in Sentinel.
 */
function sentinelSet(ctx: CommandContext, d: Monitor): Reply | undefined {
  const m = master(d, ctx.argv[2]);
  if (!m) return NO_SUCH_MASTER;
  const argv = ctx.argv;
  let changes = 0;
  let failure: Reply | undefined;
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j] ?? '';
    const parsed = parseSetOption(argv, j, d);
    if ('error' in parsed) {
      failure = parsed.error;
      break;
    }
    const used = parsed.used;
    const echo =
      used === 2
        ? ` ${option} ${parsed.redacted ? '******' : argv[j + 1]}`
        : used === 3
          ? ` ${option} ${argv[j + 1]} ${argv[j + 2]}`
          : ` ${option}`;
    d.core.setOption(ctx.now, m.name, parsed.change, echo);
    changes++;
    j += used - 1;
  }
  d.runtime.flushEffects();
  if (failure) {
    if (changes) d.persistQuietly();
    return failure;
  }
  if (changes) return d.flushConfigReply();
  // Sentinel sends no reply at all for a SET without options; clients would hang, so say OK.
  return R.ok;
}

type ParsedOption = { change: MasterChange; used: number; redacted: boolean } | { error: Reply };

/** The option at argv[j] and its value(s), or the error Sentinel gives for them. */
function parseSetOption(argv: readonly string[], j: number, d: Monitor): ParsedOption {
  const option = argv[j] ?? '';
  const opt = option.toLowerCase();
  const moreArgs = argv.length - 1 - j;
  const badfmt = (idx: number): { error: Reply } => ({
    error: R.error(`ERR Invalid argument '${argv[idx] ?? ''}' for SENTINEL SET '${option}'`),
  });
  const value = argv[j + 1] ?? '';
  const num = parseInteger(value);
  const ok = (change: MasterChange, used = 2, redacted = false): ParsedOption => ({ change, used, redacted });
  if (moreArgs > 0) {
    switch (opt) {
      case 'down-after-milliseconds':
      case 'failover-timeout':
      case 'parallel-syncs':
      case 'quorum':
        if (num === undefined || num <= 0) return badfmt(j + 1);
        return ok({ option: opt, value: num });
      case 'notification-script':
      case 'client-reconfig-script':
        if (d.settings.denyScriptsReconfig) {
          return {
            error: R.error(
              'ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
            ),
          };
        }
        if (value.length && !executable(value)) {
          return {
            error: R.error(
              opt === 'notification-script'
                ? 'ERR Notification script seems non existing or non executable'
                : 'ERR Client reconfiguration script seems non existing or non executable',
            ),
          };
        }
        return ok({ option: opt, value: value || undefined });
      case 'auth-pass':
        return ok({ option: opt, value: value || undefined }, 2, true);
      case 'auth-user':
        return ok({ option: opt, value: value || undefined });
      case 'master-reboot-down-after-period':
        if (num === undefined || num < 0) return badfmt(j + 1);
        return ok({ option: opt, value: num });
      case 'failover-policy': {
        const v = value.toLowerCase();
        if (v !== 'safe' && v !== 'available') return badfmt(j + 1);
        return ok({ option: opt, value: v });
      }
      case 'manual-failover': {
        const v = value.toLowerCase();
        if (v !== 'coordinated' && v !== 'forced') return badfmt(j + 1);
        return ok({ option: opt, value: v });
      }
      case 'max-lag-on-failover':
        if (num === undefined || num < 0) return badfmt(j + 1);
        return ok({ option: opt, value: num === 0 ? undefined : num });
    }
  }
  if (opt === 'rename-command' && moreArgs > 1) {
    const command = argv[j + 1] ?? '';
    const renamed = argv[j + 2] ?? '';
    if (!command.length || !renamed.length) return badfmt(renamed.length ? j + 1 : j + 2);
    return ok({ option: opt, command, renamed }, 3);
  }
  return { error: R.error(`ERR Unknown option or number of arguments for SENTINEL SET '${option}'`) };
}

function sentinelConfig(ctx: CommandContext, d: Monitor): Reply {
  const sub = (ctx.argv[2] ?? '').toLowerCase();
  if (sub === 'set' && ctx.argv.length === 5) return d.configSet(ctx.argv[3] ?? '', ctx.argv[4] ?? '');
  if (sub === 'get' && ctx.argv.length === 4) return d.configGet(ctx.argv[3] ?? '');
  return R.error('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
}

function infoCache(ctx: CommandContext, d: Monitor): Reply {
  let masters = [...d.core.masters.values()];
  if (ctx.argv.length > 2) {
    const names = new Set(ctx.argv.slice(2));
    masters = masters.filter((m) => names.has(m.name));
  }
  const out: Reply[] = [];
  for (const m of masters) {
    out.push(R.bulk(m.name));
    const rows: Reply[] = [
      R.array([
        R.int(m.infoRefresh ? ctx.now - m.infoRefresh : 0),
        m.info === undefined ? R.null : R.bulk(m.info),
      ]),
    ];
    for (const r of m.replicas.values()) {
      // Sentinel tests the master's info_refresh here; the age shown is the replica's.
      rows.push(
        R.array([
          R.int(m.infoRefresh ? ctx.now - r.infoRefresh : 0),
          r.info === undefined ? R.null : R.bulk(r.info),
        ]),
      );
    }
    out.push(R.array(rows));
  }
  return R.array(out);
}

function simulateFailure(ctx: CommandContext, d: Monitor): Reply {
  const flags = { crashAfterElection: false, crashAfterPromotion: false };
  d.core.simulateFailure(flags);
  for (const a of ctx.argv.slice(2)) {
    const f = a.toLowerCase();
    if (f === 'crash-after-election') {
      flags.crashAfterElection = true;
      d.logger.warning(
        'Failure simulation: this Sentinel will crash after being successfully elected as failover leader',
      );
    } else if (f === 'crash-after-promotion') {
      flags.crashAfterPromotion = true;
      d.logger.warning(
        'Failure simulation: this Sentinel will crash after promoting the selected replica to master',
      );
    } else if (f === 'help') {
      return R.bulks(['crash-after-election', 'crash-after-promotion']);
    } else {
      return R.error('ERR Unknown failure simulation specified');
    }
    d.core.simulateFailure(flags);
  }
  return R.ok;
}

function debug(ctx: CommandContext, d: Monitor): Reply {
  const t = d.core.timing;
  if (ctx.argv.length === 2) {
    return R.strMap(TIMING_DEBUG_NAMES.map(([name, key]) => [name, R.bulk(String(t[key]))] as const));
  }
  const argv = ctx.argv;
  for (let j = 2; j < argv.length; j++) {
    const option = argv[j] ?? '';
    const entry = TIMING_DEBUG_NAMES.find(([name]) => name.toLowerCase() === option.toLowerCase());
    if (!entry || argv.length - 1 - j <= 0) {
      return R.error(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${option}'`);
    }
    const v = parseInteger(argv[++j] ?? '');
    if (v === undefined || v <= 0) {
      return R.error(`ERR Invalid argument '${argv[j] ?? ''}' for SENTINEL DEBUG '${option}'`);
    }
    d.core.setTiming(entry[1], v);
  }
  return R.ok;
}

export const sentinelCommand: CommandSpec = {
  name: 'sentinel',
  arity: -2,
  flags: ['admin', 'sentinel', 'only-sentinel'],
  categories: ['@admin', '@slow', '@dangerous'],
  subcommands: Object.entries(SUBS).map(([name, s]) => ({ name, arity: s.arity })),
  handler: (ctx) => {
    const raw = ctx.argv[1] ?? '';
    let sub = raw.toLowerCase();
    sub = ALIASES[sub] ?? sub;
    if (sub === 'help' && ctx.argv.length === 2) return R.array(HELP.map((l) => R.simple(l)));
    const spec = SUBS[sub];
    if (!spec) return unknownSubcommand(raw, 'sentinel');
    const n = ctx.argv.length;
    if ((spec.arity > 0 && n !== spec.arity) || (spec.arity < 0 && n < -spec.arity)) {
      return wrongArity(`sentinel|${sub}`);
    }
    return spec.run(ctx, ctx.daemon);
  },
};
