/**
 * Reads a `sentinel.conf` the way redis-sentinel 7.0 does.
 *
 * Like Redis, loading runs in two passes: server directives (and `include`d files) are applied
 * line by line, while `sentinel ...` lines are queued and applied afterwards in three groups:
 * global options first, then `sentinel monitor` lines, then the per-master options. So the order
 * of sentinel lines in the file does not matter (a `known-replica` may come before its
 * `monitor`), but the first error reported may not be the first one in the file.
 */
import { accessSync, constants as fsConstants, readdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { needsQuoting, splitArgs } from './args.js';
import {
  defaultSentinelConfig,
  FAILOVER_POLICIES,
  MANUAL_FAILOVER_MODES,
  type ManualFailover,
  newMasterConfig,
  REPL_ID_LENGTH,
  replicaKey,
  RUN_ID_LENGTH,
  type FailoverPolicy,
  type LogLevel,
  type MasterConfig,
  type ReplicaHistoryConfig,
  type SentinelConfig,
} from './model.js';
import {
  checkServerDirectiveValues,
  DEPRECATED_DIRECTIVES,
  lookupServerDirective,
  memtoull,
  SENTINEL_MODE_COMMANDS,
} from './server-directives.js';

/** A configuration problem; `message` is `<file>:<line>: <reason>` (`<file>: <reason>` without a line). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

export interface ParseOptions {
  /**
   * Directory that relative paths (`dir`, `include`, scripts, `logfile`, `aclfile`) start from,
   * as the process working directory does for redis-sentinel. Default: `process.cwd()`.
   */
  cwd?: string;
  /**
   * Check the file system like redis-sentinel does at start-up: `dir` exists, scripts are
   * executable, the log file can be opened for appending, the ACL file is readable. Default true.
   * (`include` always reads the file it names.)
   */
  checkFilesystem?: boolean;
}

interface QueuedLine {
  args: string[]; // the words after `sentinel`
  file: string;
  line: number;
}

/** Global sentinel options, applied before any `sentinel monitor` (Redis's preMonitorCfgName). */
const PRE_MONITOR = new Set([
  'announce-ip',
  'announce-port',
  'deny-scripts-reconfig',
  'sentinel-user',
  'sentinel-pass',
  'current-epoch',
  'myid',
  'resolve-hostnames',
  'announce-hostnames',
]);

/** Each sentinel option with its accepted word counts (after `sentinel`) and its usage. */
const SENTINEL_USAGE: Record<string, { argc: readonly number[]; usage: string }> = {
  monitor: { argc: [5], usage: 'sentinel monitor <master-name> <ip> <port> <quorum>' },
  'down-after-milliseconds': {
    argc: [3],
    usage: 'sentinel down-after-milliseconds <master-name> <milliseconds>',
  },
  'failover-timeout': { argc: [3], usage: 'sentinel failover-timeout <master-name> <milliseconds>' },
  'parallel-syncs': { argc: [3], usage: 'sentinel parallel-syncs <master-name> <numreplicas>' },
  'notification-script': { argc: [3], usage: 'sentinel notification-script <master-name> <script-path>' },
  'client-reconfig-script': {
    argc: [3],
    usage: 'sentinel client-reconfig-script <master-name> <script-path>',
  },
  'auth-pass': { argc: [3], usage: 'sentinel auth-pass <master-name> <password>' },
  'auth-user': { argc: [3], usage: 'sentinel auth-user <master-name> <username>' },
  'current-epoch': { argc: [2], usage: 'sentinel current-epoch <epoch>' },
  myid: { argc: [2], usage: 'sentinel myid <40-character-id>' },
  'config-epoch': { argc: [3], usage: 'sentinel config-epoch <master-name> <epoch>' },
  'leader-epoch': { argc: [3], usage: 'sentinel leader-epoch <master-name> <epoch>' },
  'known-replica': { argc: [4], usage: 'sentinel known-replica <master-name> <ip> <port>' },
  'known-slave': { argc: [4], usage: 'sentinel known-slave <master-name> <ip> <port>' },
  'known-sentinel': { argc: [4, 5], usage: 'sentinel known-sentinel <master-name> <ip> <port> <runid>' },
  'rename-command': { argc: [4], usage: 'sentinel rename-command <master-name> <command> <renamed-command>' },
  'announce-ip': { argc: [2], usage: 'sentinel announce-ip <ip>' },
  'announce-port': { argc: [2], usage: 'sentinel announce-port <port>' },
  'deny-scripts-reconfig': { argc: [2], usage: 'sentinel deny-scripts-reconfig yes|no' },
  'sentinel-user': { argc: [2], usage: 'sentinel sentinel-user <username>' },
  'sentinel-pass': { argc: [2], usage: 'sentinel sentinel-pass <password>' },
  'resolve-hostnames': { argc: [2], usage: 'sentinel resolve-hostnames yes|no' },
  'announce-hostnames': { argc: [2], usage: 'sentinel announce-hostnames yes|no' },
  'master-reboot-down-after-period': {
    argc: [3],
    usage: 'sentinel master-reboot-down-after-period <master-name> <milliseconds>',
  },
  'failover-policy': { argc: [3], usage: 'sentinel failover-policy <master-name> safe|available' },
  'manual-failover': { argc: [3], usage: 'sentinel manual-failover <master-name> coordinated|forced' },
  pause: { argc: [7], usage: 'sentinel pause <master-name> <until-ms> <set-at-ms> yes|no <set-by> <reason>' },
  'max-lag-on-failover': { argc: [3], usage: 'sentinel max-lag-on-failover <master-name> <bytes>' },
  'primary-history': { argc: [4], usage: 'sentinel primary-history <master-name> <replid> <offset>' },
  'replica-history': {
    argc: [8],
    usage: 'sentinel replica-history <master-name> <ip> <port> <replid|-> <offset> <runid|-> yes|no',
  },
};

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** The C `strerror` text for a Node file-system error. */
export function errnoText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return ERRNO_TEXT[code] ?? code;
  return e instanceof Error ? e.message : String(e);
}

/** Trim like Redis's `sdstrim(line, " \t\r\n")`. */
export function trimConfigLine(line: string): string {
  return line.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+$/, '');
}

/** Split a config text into lines like Redis (`\n` only; a trailing newline yields a last empty line). */
export function splitConfigLines(text: string): string[] {
  return text.split('\n');
}

/**
 * Why a master name is refused, or null. redis-sentinel accepts any name, but writes names back
 * unquoted (so one with a space or quote corrupts the file on the next rewrite) and sends them in
 * comma-separated hello messages (so one with a comma is never gossiped): Vigil refuses those.
 */
export function masterNameProblem(name: string): string | null {
  if (name === '') return 'a master name cannot be empty';
  if (needsQuoting(name) || name.includes(',')) {
    return 'a master name cannot contain spaces, quotes, commas or control characters';
  }
  return null;
}

class Parser {
  readonly cfg = defaultSentinelConfig();
  private cwd: string;
  private readonly checkFs: boolean;
  private readonly queues: { pre: QueuedLine[]; monitor: QueuedLine[]; post: QueuedLine[] } = {
    pre: [],
    monitor: [],
    post: [],
  };
  /** Commands that a top-level rename-command can still name (lower case). */
  private readonly commands = new Set(SENTINEL_MODE_COMMANDS);
  private logfileAt: { file: string; line: number } | undefined;
  private aclfileAt: { file: string; line: number } | undefined;
  private includeDepth = 0;

  constructor(
    private readonly mainFile: string,
    options: ParseOptions,
  ) {
    this.cwd = resolve(options.cwd ?? process.cwd());
    this.checkFs = options.checkFilesystem ?? true;
  }

  run(text: string): SentinelConfig {
    this.loadText(text, this.mainFile);
    this.finishServerPass();
    for (const q of [this.queues.pre, this.queues.monitor, this.queues.post]) {
      for (const entry of q) this.sentinelLine(entry);
    }
    return this.cfg;
  }

  private fail(file: string, line: number, reason: string): never {
    throw new ConfigError(file, line, reason);
  }

  private loadText(text: string, file: string): void {
    const lines = splitConfigLines(text);
    for (let i = 0; i < lines.length; i++) {
      const line = trimConfigLine(lines[i]!);
      if (line === '' || line.startsWith('#')) continue;
      const argv = splitArgs(line);
      if (argv === null) {
        this.fail(
          file,
          i + 1,
          'unbalanced quotes in configuration line; close the quote, and put a space or the end of the ' +
            'line right after each closing quote',
        );
      }
      if (argv.length === 0) continue;
      this.serverLine(argv, file, i + 1);
    }
  }

  private serverLine(argv: string[], file: string, line: number): void {
    const name = argv[0]!.toLowerCase();
    const argc = argv.length;
    const def = lookupServerDirective(name);
    if (def !== undefined) {
      const multi = def.kind === 'special' || def.kind === 'enum' ? def.multi === true : false;
      if (!multi && argc !== 2) {
        const hint = argv.slice(1).some((a) => a.startsWith('#'))
          ? " ('#' starts a comment only at the beginning of a line: move the comment to its own line)"
          : ' (quote a value that contains spaces)';
        this.fail(
          file,
          line,
          `wrong number of arguments: '${name}' takes exactly one value, got ${argc - 1}${hint}`,
        );
      }
      let values = argv.slice(1);
      if (multi && argc === 2 && argv[1] !== '') {
        const split = splitArgs(argv[1]!);
        if (split === null)
          this.fail(file, line, `unbalanced quotes in the value of '${name}'; close the quote`);
        values = split;
      }
      const problem = checkServerDirectiveValues(def, values);
      if (problem !== null) {
        const reason = problem.replace(/\.$/, '');
        this.fail(file, line, `invalid value for '${name}': ${reason}; fix the value or remove the line`);
      }
      this.applyServer(def.name, name, values, file, line);
      return;
    }
    if (DEPRECATED_DIRECTIVES.has(name) && argc === 2) {
      this.ignore(name, argv, file, line);
      return;
    }
    switch (name) {
      case 'include':
        if (argc === 2) return this.include(argv[1]!, file, line);
        return this.fail(file, line, "wrong number of arguments: use 'include <path>'");
      case 'rename-command':
        if (argc === 3) return this.renameCommand(argv[1]!, argv[2]!, file, line);
        return this.fail(
          file,
          line,
          'wrong number of arguments: use \'rename-command <command> <new-name>\' ("" as the new name disables it)',
        );
      case 'user':
        if (argc >= 2) return this.user(argv.slice(1), file, line);
        return this.fail(file, line, "wrong number of arguments: use 'user <username> [rule ...]'");
      case 'loadmodule':
        // Sentinel mode never loads modules: redis-sentinel accepts and ignores the line.
        if (argc >= 2) return this.ignore(name, argv, file, line);
        return this.fail(file, line, "wrong number of arguments: use 'loadmodule <path> [args ...]'");
      case 'sentinel':
        // A bare `sentinel` line only selects Sentinel mode.
        if (argc === 1) return;
        return this.queueSentinel(argv.slice(1), file, line);
    }
    if (name.includes('.')) {
      // A module's config (`module.option value`): queued by Redis, never applied in Sentinel mode.
      if (argc < 2)
        return this.fail(file, line, `module config '${name}' specified without value; add the value`);
      return this.ignore(name, argv, file, line);
    }
    this.fail(
      file,
      line,
      `bad directive or wrong number of arguments: '${argv[0]!}' is not a redis-sentinel configuration ` +
        'directive; fix the spelling or remove the line',
    );
  }

  private ignore(name: string, argv: string[], file: string, line: number): void {
    this.cfg.ignoredDirectives.push({ name, args: argv.slice(1), file, line });
  }

  private applyServer(primary: string, written: string, values: string[], file: string, line: number): void {
    const cfg = this.cfg;
    const v = values[0] ?? '';
    switch (primary) {
      case 'port':
        cfg.port = Number(v);
        return;
      case 'bind':
        cfg.bind = values.length === 1 && v === '' ? [] : [...values];
        return;
      case 'protected-mode':
        cfg.protectedMode = v.toLowerCase() === 'yes';
        return;
      case 'daemonize':
        cfg.daemonize = v.toLowerCase() === 'yes';
        return;
      case 'pidfile':
        cfg.pidfile = v === '' ? undefined : v;
        return;
      case 'logfile':
        cfg.logfile = v;
        this.logfileAt = { file, line };
        return;
      case 'loglevel':
        cfg.loglevel = v.toLowerCase() as LogLevel;
        return;
      case 'dir': {
        const target = resolve(this.cwd, v);
        if (this.checkFs) {
          try {
            if (!statSync(target).isDirectory()) {
              this.fail(file, line, `cannot use '${v}' as dir: Not a directory; point dir at a directory`);
            }
            accessSync(target, fsConstants.X_OK);
          } catch (e) {
            if (e instanceof ConfigError) throw e;
            this.fail(
              file,
              line,
              `cannot change to dir '${v}': ${errnoText(e)}; create the directory or fix the path`,
            );
          }
        }
        this.cwd = target;
        cfg.dir = target;
        return;
      }
      case 'requirepass':
        cfg.requirepass = v === '' ? undefined : v;
        return;
      case 'aclfile':
        cfg.aclfile = v === '' ? undefined : v;
        this.aclfileAt = { file, line };
        return;
      default:
        this.ignore(written, [written, ...values], file, line);
    }
  }

  private include(pattern: string, file: string, line: number): void {
    if (this.includeDepth >= 16) {
      this.fail(
        file,
        line,
        `include nesting is deeper than 16 files; check that '${pattern}' does not include itself`,
      );
    }
    const target = resolve(this.cwd, pattern);
    let files: string[];
    if (/[*?[]/.test(target)) {
      files = globLastComponent(target);
    } else {
      files = [target];
    }
    this.cfg.includes.push(pattern);
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (e) {
        this.fail(
          file,
          line,
          `can't open config file '${f}': ${errnoText(e)}; fix the include path or create the file`,
        );
      }
      this.includeDepth++;
      try {
        this.loadText(text, f);
      } finally {
        this.includeDepth--;
      }
    }
  }

  private renameCommand(command: string, newName: string, file: string, line: number): void {
    const from = command.toLowerCase();
    if (!this.commands.has(from)) {
      this.fail(
        file,
        line,
        `no such command in rename-command: '${command}' is not a command in Sentinel mode (they are: ` +
          `${SENTINEL_MODE_COMMANDS.join(', ')}); remove the line or fix the command name`,
      );
    }
    this.commands.delete(from);
    if (newName !== '') {
      const to = newName.toLowerCase();
      if (this.commands.has(to)) {
        this.fail(file, line, `target command name '${newName}' already exists; pick another name`);
      }
      this.commands.add(to);
    }
    this.cfg.renameCommand.set(command, newName);
  }

  private user(args: string[], file: string, line: number): void {
    for (const op of args.slice(1)) {
      if (!isAclRule(op)) {
        this.fail(
          file,
          line,
          `error in user declaration '${op}': syntax error; use ACL rules such as on, off, nopass, >password, ` +
            '~pattern, &pattern, +command, -command, +@category',
        );
      }
    }
    this.cfg.users.push([...args]);
  }

  private queueSentinel(args: string[], file: string, line: number): void {
    const sub = args[0]!.toLowerCase();
    const entry = { args, file, line };
    if (sub === 'monitor') this.queues.monitor.push(entry);
    else if (PRE_MONITOR.has(sub)) this.queues.pre.push(entry);
    else this.queues.post.push(entry);
  }

  private finishServerPass(): void {
    if (!this.checkFs) return;
    const cfg = this.cfg;
    if (cfg.logfile !== '' && this.logfileAt !== undefined) {
      const target = resolve(this.cwd, cfg.logfile);
      try {
        accessSync(target, fsConstants.W_OK);
      } catch (e) {
        const missing = (e as { code?: unknown }).code === 'ENOENT';
        let problem: unknown = e;
        if (missing) {
          try {
            accessSync(dirname(target), fsConstants.W_OK | fsConstants.X_OK);
            problem = undefined;
          } catch (e2) {
            problem = e2;
          }
        }
        if (problem !== undefined) {
          this.fail(
            this.logfileAt.file,
            this.logfileAt.line,
            `can't open the log file '${cfg.logfile}': ${errnoText(problem)}; fix the path or its permissions, ` +
              'or use logfile "" to log to standard output',
          );
        }
      }
    }
    if (cfg.aclfile !== undefined && this.aclfileAt !== undefined) {
      try {
        accessSync(resolve(this.cwd, cfg.aclfile), fsConstants.R_OK);
      } catch (e) {
        this.fail(
          this.aclfileAt.file,
          this.aclfileAt.line,
          `can't open the ACL file '${cfg.aclfile}': ${errnoText(e)}; create it or fix the path`,
        );
      }
    }
  }

  // ---------------------------------------------------------------- sentinel options

  private sentinelLine(entry: QueuedLine): void {
    const { args, file, line } = entry;
    const sub = args[0]!.toLowerCase();
    const fail: (reason: string) => never = (reason) => this.fail(file, line, reason);
    const spec = SENTINEL_USAGE[sub];
    if (spec === undefined) {
      fail(
        `unrecognized sentinel configuration statement 'sentinel ${args[0]!}'; check the spelling ` +
          `(known: ${Object.keys(SENTINEL_USAGE).join(', ')})`,
      );
    }
    if (!spec.argc.includes(args.length)) {
      fail(
        `wrong number of arguments for 'sentinel ${sub}' (Redis: "Unrecognized sentinel configuration statement"); ` +
          `use '${spec.usage}' and quote a value that contains spaces`,
      );
    }
    const cfg = this.cfg;
    const master = (): MasterConfig => {
      const name = args[1]!;
      const m = cfg.masters.get(name);
      if (m === undefined) {
        fail(
          `no such master with specified name '${name}'; add 'sentinel monitor ${name} <ip> <port> <quorum>' ` +
            'or fix the name (names are case-sensitive)',
        );
      }
      return m;
    };
    const yesNo = (v: string): boolean => {
      const l = v.toLowerCase();
      if (l !== 'yes' && l !== 'no') fail(`please specify yes or no for the ${sub} option, got '${v}'`);
      return l === 'yes';
    };
    const epoch = (v: string): number => {
      if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
        fail(`${sub} must be a non-negative integer, got '${v}'`);
      }
      return Number(v);
    };
    const ms = (v: string, min: number): number => {
      const n = toInt(v);
      if (n === null) fail(`${sub} must be an integer number of milliseconds, got '${v}'`);
      if (n < min) {
        fail(
          min > 0
            ? `${sub} must be > 0, got ${n} (negative or zero time parameter); give a time in milliseconds`
            : `${sub} must be >= 0, got ${n} (negative time parameter); use 0 to disable it`,
        );
      }
      return n;
    };
    const port = (v: string): number => {
      const n = toInt(v);
      if (n === null || n < 0 || n > 65535)
        fail(`invalid port number '${v}'; use a port between 0 and 65535`);
      return n;
    };
    const host = (v: string): string => {
      if (!cfg.resolveHostnames && isIP(v) === 0) {
        fail(
          `can't resolve instance hostname '${v}': without 'sentinel resolve-hostnames yes' the address must be ` +
            'an IPv4 or IPv6 address; use an IP address or add that line',
        );
      }
      return v;
    };
    /** A replication id or run id: 40 hex characters, kept in lower case; `-` means unknown where allowed. */
    const hexId = (v: string, what: string, fix: string, dashOk: boolean): string | undefined => {
      if (dashOk && v === '-') return undefined;
      if (!new RegExp(`^[0-9a-fA-F]{${REPL_ID_LENGTH}}$`).test(v)) {
        fail(
          `${sub} ${what} must be ${REPL_ID_LENGTH} hex characters${dashOk ? " or '-' when unknown" : ''}, ` +
            `got '${v}'; ${fix}`,
        );
      }
      return v.toLowerCase();
    };
    const offset = (v: string, fix: string): number => {
      if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
        fail(`${sub} offset must be an integer >= 0 (bytes), got '${v}'; ${fix}`);
      }
      return Number(v);
    };
    const script = (v: string, what: string): string => {
      if (this.checkFs) {
        try {
          accessSync(resolve(this.cwd, v), fsConstants.X_OK);
        } catch (e) {
          fail(
            `${what} '${v}' seems non existing or non executable (${errnoText(e)}); fix the path or chmod +x it`,
          );
        }
      }
      return v;
    };

    switch (sub) {
      case 'monitor': {
        const [, name, h, p, q] = args as [string, string, string, string, string];
        const problem = masterNameProblem(name);
        if (problem !== null) fail(`invalid master name '${name}': ${problem}; rename the master`);
        const quorum = toInt(q);
        if (quorum === null) fail(`quorum must be an integer >= 1, got '${q}'`);
        if (quorum < 1) {
          fail(
            `quorum must be >= 1, got ${quorum}; set it to how many Sentinels must agree the master is down`,
          );
        }
        const addr = host(h);
        const prt = port(p);
        if (cfg.masters.has(name)) {
          fail(
            `duplicate master name '${name}'; each 'sentinel monitor' needs its own name, remove one of them`,
          );
        }
        const m = newMasterConfig(name, addr, prt, quorum);
        if (file !== this.mainFile) m.definedIn = file;
        cfg.masters.set(name, m);
        return;
      }
      case 'down-after-milliseconds': {
        const m = master();
        m.downAfterMs = ms(args[2]!, 1);
        return;
      }
      case 'failover-timeout': {
        const m = master();
        m.failoverTimeoutMs = ms(args[2]!, 1);
        return;
      }
      case 'parallel-syncs': {
        const m = master();
        const n = toInt(args[2]!);
        if (n === null || n < 1) {
          fail(
            `parallel-syncs must be an integer >= 1, got '${args[2]!}'; it is how many replicas resync at once`,
          );
        }
        m.parallelSyncs = n;
        return;
      }
      case 'notification-script': {
        const m = master();
        m.notificationScript = script(args[2]!, 'notification script');
        return;
      }
      case 'client-reconfig-script': {
        const m = master();
        m.clientReconfigScript = script(args[2]!, 'client reconfiguration script');
        return;
      }
      case 'auth-pass':
        master().authPass = args[2]!;
        return;
      case 'auth-user':
        master().authUser = args[2]!;
        return;
      case 'current-epoch': {
        const e = epoch(args[1]!);
        if (e > cfg.currentEpoch) cfg.currentEpoch = e;
        return;
      }
      case 'myid': {
        const id = args[1]!;
        if (Buffer.byteLength(id) !== RUN_ID_LENGTH) {
          fail(
            `malformed Sentinel id in myid option: it must be ${RUN_ID_LENGTH} characters long, got ` +
              `${Buffer.byteLength(id)}; fix it, or delete the line and a new id is chosen at start-up`,
          );
        }
        cfg.myid = id;
        return;
      }
      case 'config-epoch': {
        const m = master();
        m.configEpoch = epoch(args[2]!);
        if (m.configEpoch > cfg.currentEpoch) cfg.currentEpoch = m.configEpoch;
        return;
      }
      case 'leader-epoch': {
        const m = master();
        m.leaderEpoch = epoch(args[2]!);
        return;
      }
      case 'known-slave':
      case 'known-replica': {
        const m = master();
        const h = host(args[2]!);
        const p = port(args[3]!);
        if (m.knownReplicas.some((r) => r.port === p && r.host.toLowerCase() === h.toLowerCase())) {
          fail(`duplicate hostname and port for replica ${h}:${p} of '${m.name}'; remove one of the lines`);
        }
        m.knownReplicas.push({ host: h, port: p });
        return;
      }
      case 'known-sentinel': {
        // The old form without a run id is accepted and ignored, as redis-sentinel does.
        if (args.length === 4) return;
        const m = master();
        const h = host(args[2]!);
        const p = port(args[3]!);
        const runid = args[4]!;
        if (m.knownSentinels.some((s) => s.runid === runid)) {
          fail(`duplicate runid for sentinel '${runid}' of '${m.name}'; remove one of the lines`);
        }
        m.knownSentinels.push({ host: h, port: p, runid });
        return;
      }
      case 'rename-command': {
        const m = master();
        const from = args[2]!;
        for (const k of m.renamedCommands.keys()) {
          if (k.toLowerCase() === from.toLowerCase()) {
            fail(
              `same command '${from}' renamed multiple times with rename-command for '${m.name}'; keep one line`,
            );
          }
        }
        m.renamedCommands.set(from, args[3]!);
        return;
      }
      case 'announce-ip':
        if (args[1] !== '') cfg.announceIp = args[1]!;
        return;
      case 'announce-port':
        cfg.announcePort = port(args[1]!);
        return;
      case 'deny-scripts-reconfig':
        cfg.denyScriptsReconfig = yesNo(args[1]!);
        return;
      case 'sentinel-user':
        if (args[1] !== '') cfg.sentinelUser = args[1]!;
        return;
      case 'sentinel-pass':
        if (args[1] !== '') cfg.sentinelPass = args[1]!;
        return;
      case 'resolve-hostnames':
        cfg.resolveHostnames = yesNo(args[1]!);
        return;
      case 'announce-hostnames':
        cfg.announceHostnames = yesNo(args[1]!);
        return;
      case 'master-reboot-down-after-period': {
        const m = master();
        m.masterRebootDownAfterMs = ms(args[2]!, 0);
        return;
      }
      case 'failover-policy': {
        const m = master();
        const v = args[2]!.toLowerCase();
        if (!(FAILOVER_POLICIES as readonly string[]).includes(v)) {
          fail(`failover-policy must be 'safe' or 'available', got '${args[2]!}'`);
        }
        m.failoverPolicy = v as FailoverPolicy;
        return;
      }
      case 'pause': {
        const m = master();
        const until = Number(args[2]);
        const setAt = Number(args[3]);
        const active = args[4]!.toLowerCase();
        if (
          !Number.isSafeInteger(until) ||
          !Number.isSafeInteger(setAt) ||
          (active !== 'yes' && active !== 'no')
        ) {
          fail(
            `pause must be <until-ms> <set-at-ms> yes|no <set-by> <reason>, got '${args.slice(2).join(' ')}'; remove the line to end the pause`,
          );
        }
        m.pause = { until, setAt, active: active === 'yes', by: args[5]!, reason: args[6]! };
        return;
      }
      case 'manual-failover': {
        const m = master();
        const v = args[2]!.toLowerCase();
        if (!(MANUAL_FAILOVER_MODES as readonly string[]).includes(v)) {
          fail(`manual-failover must be 'coordinated' or 'forced', got '${args[2]!}'`);
        }
        m.manualFailover = v as ManualFailover;
        return;
      }
      case 'max-lag-on-failover': {
        const m = master();
        const n = memtoull(args[2]!);
        if (n === null || n > BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(
            `max-lag-on-failover must be a number of bytes (units b, kb, mb, gb allowed), got '${args[2]!}'`,
          );
        }
        m.maxLagOnFailoverBytes = Number(n);
        return;
      }
      case 'primary-history': {
        // Single-valued like config-epoch: the last line wins (an included file may hold an older one).
        const m = master();
        const replId = hexId(
          args[2]!,
          'replication id',
          "copy master_replid from the primary's INFO replication, or remove the line",
          false,
        )!;
        const off = offset(args[3]!, "copy master_repl_offset from the primary's INFO replication, or use 0");
        m.primaryHistory = { replId, offset: off };
        return;
      }
      case 'replica-history': {
        const m = master();
        const h = host(args[2]!);
        const p = port(args[3]!);
        const key = replicaKey(h, p);
        if (m.replicaHistory.has(key)) {
          fail(`duplicate replica-history for replica ${h}:${p} of '${m.name}'; remove one of the lines`);
        }
        const replId = hexId(
          args[4]!,
          'replication id',
          "copy master_replid from the replica's INFO replication, or write '-'",
          true,
        );
        const off = offset(args[5]!, "copy slave_repl_offset from the replica's INFO replication, or use 0");
        const runId = hexId(
          args[6]!,
          'run id',
          "copy run_id from the replica's INFO server, or write '-'",
          true,
        );
        const synced = yesNo(args[7]!);
        const entry: ReplicaHistoryConfig = { host: h, port: p, offset: off, synced };
        if (replId !== undefined) entry.replId = replId;
        if (runId !== undefined) entry.runId = runId;
        m.replicaHistory.set(key, entry);
        return;
      }
    }
  }
}

/** A strict decimal integer within the safe range, or null. */
function toInt(v: string): number | null {
  if (!/^-?[0-9]+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

const ACL_KEYWORDS = new Set([
  'on',
  'off',
  'skip-sanitize-payload',
  'sanitize-payload',
  'nopass',
  'resetpass',
  'reset',
  'clearselectors',
  'allkeys',
  'resetkeys',
  'allchannels',
  'resetchannels',
  'allcommands',
  'nocommands',
]);

/** The shape of one ACL SETUSER rule (command and category names are not looked up). */
function isAclRule(op: string): boolean {
  const l = op.toLowerCase();
  if (ACL_KEYWORDS.has(l)) return true;
  if (l.startsWith('(') && l.endsWith(')')) {
    const inner = splitArgs(op.slice(1, -1));
    return inner !== null && inner.every((r) => isAclRule(r) && !r.startsWith('(') && !r.startsWith('>'));
  }
  const first = op.charAt(0);
  switch (first) {
    case '>':
    case '<':
      return true;
    case '#':
    case '!':
      return /^[0-9a-fA-F]{64}$/.test(op.slice(1));
    case '~':
      return !/\s/.test(op);
    case '%':
      return /^%[RW]{1,2}~\S*$/i.test(op) && !/^%(RR|WW)/i.test(op);
    case '&':
      return !/\s/.test(op);
    case '+':
    case '-':
      return op.length > 1 && !/\s/.test(op);
    default:
      return false;
  }
}

/** The files matching a pattern whose wildcards are all in its last path component, sorted. */
function globLastComponent(pattern: string): string[] {
  const dir = dirname(pattern);
  const re = new RegExp(
    '^' +
      basename(pattern)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]') +
      '$',
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && re.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Parse the text of a sentinel config. `fileName` is used in error messages (and to tell the main
 * file from included ones). Throws `ConfigError`.
 */
export function parseConfig(text: string, fileName: string, options: ParseOptions = {}): SentinelConfig {
  return new Parser(fileName, options).run(text);
}

/** Read and parse the config file at `path`. Throws `ConfigError` (also when it cannot be read). */
export function loadConfigFile(path: string, options: ParseOptions = {}): SentinelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, 0, `can't open config file: ${errnoText(e)}; check the path`);
  }
  return parseConfig(text, path, options);
}

/**
 * Refuse a config file Sentinel could not persist its state to, as redis-sentinel does at
 * start-up ("Sentinel config file ... is not writable"). Throws `ConfigError`.
 */
export function checkConfigFileWritable(path: string): void {
  try {
    accessSync(path, fsConstants.W_OK);
  } catch (e) {
    throw new ConfigError(
      path,
      0,
      `Sentinel config file ${path} is not writable: ${errnoText(e)}. Sentinel saves its state in this file: ` +
        'make it writable by the user running Vigil',
    );
  }
}
