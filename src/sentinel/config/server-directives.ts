/**
 * The redis-server directives that redis-sentinel 7.0 accepts in its config file. Sentinel mode
 * loads the file through the ordinary server loader, so every server directive is valid there
 * (most have no effect on a Sentinel) and anything else is an error. The table mirrors
 * `static_configs[]` in Redis 7.0.15's config.c (Debian build: TLS compiled in, system jemalloc,
 * so `activedefrag yes` is refused), and each value is checked the way that loader checks it.
 */

export type ServerDirective =
  | { name: string; alias?: string; kind: 'bool' }
  | { name: string; alias?: string; kind: 'string'; check?: StringCheck }
  | { name: string; alias?: string; kind: 'enum'; values: readonly string[]; multi?: true }
  | { name: string; alias?: string; kind: 'special'; multi?: true }
  | {
      name: string;
      alias?: string;
      kind: 'number';
      min: bigint;
      max: bigint;
      unsigned?: true;
      memory?: true;
      percent?: true;
      octal?: true;
    };

type StringCheck = 'hostname' | 'dbfilename' | 'appendfilename' | 'appenddirname' | 'proc-title-template';

const E = {
  maxmemory_policy: [
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
    'allkeys-lru',
    'allkeys-lfu',
    'allkeys-random',
    'noeviction',
  ],
  syslog_facility: ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
  loglevel: ['debug', 'verbose', 'notice', 'warning'],
  supervised_mode: ['upstart', 'systemd', 'auto', 'no'],
  aof_fsync: ['everysec', 'always', 'no'],
  shutdown_on_sig: ['default', 'save', 'nosave', 'now', 'force'],
  repl_diskless_load: ['disabled', 'on-empty-db', 'swapdb'],
  tls_auth_clients: ['no', 'yes', 'optional'],
  oom_score_adj: ['no', 'yes', 'relative', 'absolute'],
  acl_pubsub_default: ['allchannels', 'resetchannels'],
  sanitize_dump_payload: ['no', 'yes', 'clients'],
  protected_action: ['no', 'yes', 'local'],
  cluster_preferred_endpoint_type: ['ip', 'hostname', 'unknown-endpoint'],
  propagation_error_behavior: ['ignore', 'panic', 'panic-on-replicas'],
} as const;

/** Every standard server directive, by primary name. */
export const SERVER_DIRECTIVES: readonly ServerDirective[] = [
  { name: 'rdbchecksum', kind: 'bool' },
  { name: 'daemonize', kind: 'bool' },
  { name: 'io-threads-do-reads', kind: 'bool' },
  { name: 'always-show-logo', kind: 'bool' },
  { name: 'protected-mode', kind: 'bool' },
  { name: 'rdbcompression', kind: 'bool' },
  { name: 'rdb-del-sync-files', kind: 'bool' },
  { name: 'activerehashing', kind: 'bool' },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool' },
  { name: 'set-proc-title', kind: 'bool' },
  { name: 'dynamic-hz', kind: 'bool' },
  { name: 'lazyfree-lazy-eviction', kind: 'bool' },
  { name: 'lazyfree-lazy-expire', kind: 'bool' },
  { name: 'lazyfree-lazy-server-del', kind: 'bool' },
  { name: 'lazyfree-lazy-user-del', kind: 'bool' },
  { name: 'lazyfree-lazy-user-flush', kind: 'bool' },
  { name: 'repl-disable-tcp-nodelay', kind: 'bool' },
  { name: 'repl-diskless-sync', kind: 'bool' },
  { name: 'aof-rewrite-incremental-fsync', kind: 'bool' },
  { name: 'no-appendfsync-on-rewrite', kind: 'bool' },
  { name: 'cluster-require-full-coverage', kind: 'bool' },
  { name: 'rdb-save-incremental-fsync', kind: 'bool' },
  { name: 'aof-load-truncated', kind: 'bool' },
  { name: 'aof-use-rdb-preamble', kind: 'bool' },
  { name: 'aof-timestamp-enabled', kind: 'bool' },
  { name: 'cluster-replica-no-failover', alias: 'cluster-slave-no-failover', kind: 'bool' },
  { name: 'replica-lazy-flush', alias: 'slave-lazy-flush', kind: 'bool' },
  { name: 'replica-serve-stale-data', alias: 'slave-serve-stale-data', kind: 'bool' },
  { name: 'replica-read-only', alias: 'slave-read-only', kind: 'bool' },
  { name: 'replica-ignore-maxmemory', alias: 'slave-ignore-maxmemory', kind: 'bool' },
  { name: 'jemalloc-bg-thread', kind: 'bool' },
  { name: 'activedefrag', kind: 'bool' },
  { name: 'syslog-enabled', kind: 'bool' },
  { name: 'cluster-enabled', kind: 'bool' },
  { name: 'appendonly', kind: 'bool' },
  { name: 'cluster-allow-reads-when-down', kind: 'bool' },
  { name: 'cluster-allow-pubsubshard-when-down', kind: 'bool' },
  { name: 'crash-log-enabled', kind: 'bool' },
  { name: 'crash-memcheck-enabled', kind: 'bool' },
  { name: 'use-exit-on-panic', kind: 'bool' },
  { name: 'disable-thp', kind: 'bool' },
  { name: 'cluster-allow-replica-migration', kind: 'bool' },
  { name: 'replica-announced', kind: 'bool' },
  { name: 'latency-tracking', kind: 'bool' },
  { name: 'aof-disable-auto-gc', kind: 'bool' },
  { name: 'replica-ignore-disk-write-errors', kind: 'bool' },
  { name: 'aclfile', kind: 'string' },
  { name: 'unixsocket', kind: 'string' },
  { name: 'pidfile', kind: 'string' },
  { name: 'replica-announce-ip', alias: 'slave-announce-ip', kind: 'string' },
  { name: 'masteruser', kind: 'string' },
  { name: 'cluster-announce-ip', kind: 'string' },
  { name: 'cluster-config-file', kind: 'string' },
  { name: 'cluster-announce-hostname', kind: 'string', check: 'hostname' },
  { name: 'syslog-ident', kind: 'string' },
  { name: 'dbfilename', kind: 'string', check: 'dbfilename' },
  { name: 'appendfilename', kind: 'string', check: 'appendfilename' },
  { name: 'appenddirname', kind: 'string', check: 'appenddirname' },
  { name: 'server_cpulist', kind: 'string' },
  { name: 'bio_cpulist', kind: 'string' },
  { name: 'aof_rewrite_cpulist', kind: 'string' },
  { name: 'bgsave_cpulist', kind: 'string' },
  { name: 'ignore-warnings', kind: 'string' },
  { name: 'proc-title-template', kind: 'string', check: 'proc-title-template' },
  { name: 'bind-source-addr', kind: 'string' },
  { name: 'logfile', kind: 'string' },
  { name: 'masterauth', kind: 'string' },
  { name: 'requirepass', kind: 'string' },
  { name: 'supervised', kind: 'enum', values: E.supervised_mode },
  { name: 'syslog-facility', kind: 'enum', values: E.syslog_facility },
  { name: 'repl-diskless-load', kind: 'enum', values: E.repl_diskless_load },
  { name: 'loglevel', kind: 'enum', values: E.loglevel },
  { name: 'maxmemory-policy', kind: 'enum', values: E.maxmemory_policy },
  { name: 'appendfsync', kind: 'enum', values: E.aof_fsync },
  { name: 'oom-score-adj', kind: 'enum', values: E.oom_score_adj },
  { name: 'acl-pubsub-default', kind: 'enum', values: E.acl_pubsub_default },
  { name: 'sanitize-dump-payload', kind: 'enum', values: E.sanitize_dump_payload },
  { name: 'enable-protected-configs', kind: 'enum', values: E.protected_action },
  { name: 'enable-debug-command', kind: 'enum', values: E.protected_action },
  { name: 'enable-module-command', kind: 'enum', values: E.protected_action },
  { name: 'cluster-preferred-endpoint-type', kind: 'enum', values: E.cluster_preferred_endpoint_type },
  { name: 'propagation-error-behavior', kind: 'enum', values: E.propagation_error_behavior },
  { name: 'shutdown-on-sigint', kind: 'enum', values: E.shutdown_on_sig, multi: true },
  { name: 'shutdown-on-sigterm', kind: 'enum', values: E.shutdown_on_sig, multi: true },
  { name: 'databases', kind: 'number', min: 1n, max: 2147483647n },
  { name: 'port', kind: 'number', min: 0n, max: 65535n },
  { name: 'io-threads', kind: 'number', min: 1n, max: 128n },
  { name: 'auto-aof-rewrite-percentage', kind: 'number', min: 0n, max: 2147483647n },
  {
    name: 'cluster-replica-validity-factor',
    alias: 'cluster-slave-validity-factor',
    kind: 'number',
    min: 0n,
    max: 2147483647n,
  },
  {
    name: 'list-max-listpack-size',
    alias: 'list-max-ziplist-size',
    kind: 'number',
    min: -2147483648n,
    max: 2147483647n,
  },
  { name: 'tcp-keepalive', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'cluster-migration-barrier', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'active-defrag-cycle-min', kind: 'number', min: 1n, max: 99n },
  { name: 'active-defrag-cycle-max', kind: 'number', min: 1n, max: 99n },
  { name: 'active-defrag-threshold-lower', kind: 'number', min: 0n, max: 1000n },
  { name: 'active-defrag-threshold-upper', kind: 'number', min: 0n, max: 1000n },
  { name: 'lfu-log-factor', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'lfu-decay-time', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'replica-priority', alias: 'slave-priority', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'repl-diskless-sync-delay', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'maxmemory-samples', kind: 'number', min: 1n, max: 2147483647n },
  { name: 'maxmemory-eviction-tenacity', kind: 'number', min: 0n, max: 100n },
  { name: 'timeout', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'replica-announce-port', alias: 'slave-announce-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'tcp-backlog', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'cluster-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'cluster-announce-bus-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'cluster-announce-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'cluster-announce-tls-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'repl-timeout', kind: 'number', min: 1n, max: 2147483647n },
  {
    name: 'repl-ping-replica-period',
    alias: 'repl-ping-slave-period',
    kind: 'number',
    min: 1n,
    max: 2147483647n,
  },
  { name: 'list-compress-depth', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'rdb-key-save-delay', kind: 'number', min: -2147483648n, max: 2147483647n },
  { name: 'key-load-delay', kind: 'number', min: -2147483648n, max: 2147483647n },
  { name: 'active-expire-effort', kind: 'number', min: 1n, max: 10n },
  { name: 'hz', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'min-replicas-to-write', alias: 'min-slaves-to-write', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'min-replicas-max-lag', alias: 'min-slaves-max-lag', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'watchdog-period', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'shutdown-timeout', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'repl-diskless-sync-max-replicas', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'maxclients', kind: 'number', min: 1n, max: 4294967295n, unsigned: true },
  { name: 'unixsocketperm', kind: 'number', min: 0n, max: 511n, unsigned: true, octal: true },
  { name: 'socket-mark-id', kind: 'number', min: 0n, max: 4294967295n, unsigned: true },
  { name: 'active-defrag-max-scan-fields', kind: 'number', min: 1n, max: 9223372036854775807n },
  { name: 'slowlog-max-len', kind: 'number', min: 0n, max: 9223372036854775807n },
  { name: 'acllog-max-len', kind: 'number', min: 0n, max: 9223372036854775807n },
  {
    name: 'busy-reply-threshold',
    alias: 'lua-time-limit',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
  },
  { name: 'cluster-node-timeout', kind: 'number', min: 0n, max: 9223372036854775807n },
  { name: 'slowlog-log-slower-than', kind: 'number', min: -1n, max: 9223372036854775807n },
  { name: 'latency-monitor-threshold', kind: 'number', min: 0n, max: 9223372036854775807n },
  { name: 'proto-max-bulk-len', kind: 'number', min: 1048576n, max: 9223372036854775807n, memory: true },
  { name: 'stream-node-max-entries', kind: 'number', min: 0n, max: 9223372036854775807n },
  { name: 'repl-backlog-size', kind: 'number', min: 1n, max: 9223372036854775807n, memory: true },
  { name: 'maxmemory', kind: 'number', min: 0n, max: 18446744073709551615n, unsigned: true, memory: true },
  {
    name: 'cluster-link-sendbuf-limit',
    kind: 'number',
    min: 0n,
    max: 18446744073709551615n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'hash-max-listpack-entries',
    alias: 'hash-max-ziplist-entries',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
  },
  { name: 'set-max-intset-entries', kind: 'number', min: 0n, max: 9223372036854775807n, unsigned: true },
  {
    name: 'zset-max-listpack-entries',
    alias: 'zset-max-ziplist-entries',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
  },
  {
    name: 'active-defrag-ignore-bytes',
    kind: 'number',
    min: 1n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'hash-max-listpack-value',
    alias: 'hash-max-ziplist-value',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'stream-node-max-bytes',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'zset-max-listpack-value',
    alias: 'zset-max-ziplist-value',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'hll-sparse-max-bytes',
    kind: 'number',
    min: 0n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  { name: 'tracking-table-max-keys', kind: 'number', min: 0n, max: 9223372036854775807n, unsigned: true },
  {
    name: 'client-query-buffer-limit',
    kind: 'number',
    min: 1048576n,
    max: 9223372036854775807n,
    unsigned: true,
    memory: true,
  },
  {
    name: 'maxmemory-clients',
    kind: 'number',
    min: -100n,
    max: 9223372036854775807n,
    memory: true,
    percent: true,
  },
  { name: 'repl-backlog-ttl', kind: 'number', min: 0n, max: 9223372036854775807n },
  { name: 'auto-aof-rewrite-min-size', kind: 'number', min: 0n, max: 9223372036854775807n, memory: true },
  { name: 'loading-process-events-interval-bytes', kind: 'number', min: 1024n, max: 2147483647n },
  { name: 'tls-port', kind: 'number', min: 0n, max: 65535n },
  { name: 'tls-session-cache-size', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'tls-session-cache-timeout', kind: 'number', min: 0n, max: 2147483647n },
  { name: 'tls-cluster', kind: 'bool' },
  { name: 'tls-replication', kind: 'bool' },
  { name: 'tls-auth-clients', kind: 'enum', values: E.tls_auth_clients },
  { name: 'tls-prefer-server-ciphers', kind: 'bool' },
  { name: 'tls-session-caching', kind: 'bool' },
  { name: 'tls-cert-file', kind: 'string' },
  { name: 'tls-key-file', kind: 'string' },
  { name: 'tls-key-file-pass', kind: 'string' },
  { name: 'tls-client-cert-file', kind: 'string' },
  { name: 'tls-client-key-file', kind: 'string' },
  { name: 'tls-client-key-file-pass', kind: 'string' },
  { name: 'tls-dh-params-file', kind: 'string' },
  { name: 'tls-ca-cert-file', kind: 'string' },
  { name: 'tls-ca-cert-dir', kind: 'string' },
  { name: 'tls-protocols', kind: 'string' },
  { name: 'tls-ciphers', kind: 'string' },
  { name: 'tls-ciphersuites', kind: 'string' },
  { name: 'dir', kind: 'special' },
  { name: 'save', kind: 'special', multi: true },
  { name: 'client-output-buffer-limit', kind: 'special', multi: true },
  { name: 'oom-score-adj-values', kind: 'special', multi: true },
  { name: 'notify-keyspace-events', kind: 'special' },
  { name: 'bind', kind: 'special', multi: true },
  { name: 'replicaof', alias: 'slaveof', kind: 'special', multi: true },
  { name: 'latency-tracking-info-percentiles', kind: 'special', multi: true },
  { name: 'lua-enable-deprecated-api', kind: 'bool' },
];

const BY_NAME: ReadonlyMap<string, ServerDirective> = (() => {
  const m = new Map<string, ServerDirective>();
  for (const d of SERVER_DIRECTIVES) {
    m.set(d.name, d);
    if (d.alias !== undefined) m.set(d.alias, d);
  }
  return m;
})();

/** The standard directive named `name` (primary name or alias, any case), if there is one. */
export function lookupServerDirective(name: string): ServerDirective | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * Directives the 7.0 loader accepts (with exactly one value) and then ignores because they were
 * removed; a CONFIG REWRITE comments them out.
 */
export const DEPRECATED_DIRECTIVES: ReadonlySet<string> = new Set([
  'list-max-ziplist-entries',
  'list-max-ziplist-value',
  'lua-replicate-commands',
]);

/**
 * Top-level commands that exist in Sentinel mode (flag CMD_SENTINEL in 7.0's command table):
 * the only ones a top-level `rename-command` can name there.
 */
export const SENTINEL_MODE_COMMANDS: readonly string[] = [
  'auth',
  'client',
  'hello',
  'ping',
  'psubscribe',
  'publish',
  'punsubscribe',
  'subscribe',
  'unsubscribe',
  'sentinel',
  'acl',
  'command',
  'info',
  'role',
  'shutdown',
];

const UINT64 = 1n << 64n;
const INT64_MAX = (1n << 63n) - 1n;
const LONG_STR_SIZE = 21;

/** Redis's strict `string2ll`: no blanks, no '+', no leading zeros, 64-bit range. */
export function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length >= LONG_STR_SIZE) return null;
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  if (v > INT64_MAX || v < -INT64_MAX - 1n) return null;
  return v;
}

/** Redis's `memtoull`: digits with an optional b/k/kb/m/mb/g/gb unit (k = 1000, kb = 1024). */
export function memtoull(s: string): bigint | null {
  const m = /^([0-9]*)(.*)$/.exec(s)!;
  const digits = m[1]!;
  const unit = m[2]!.toLowerCase();
  const muls: Record<string, bigint> = {
    '': 1n,
    b: 1n,
    k: 1000n,
    kb: 1024n,
    m: 1000n ** 2n,
    mb: 1024n ** 2n,
    g: 1000n ** 3n,
    gb: 1024n ** 3n,
  };
  const mul = muls[unit];
  if (mul === undefined || digits.length >= 128) return null;
  // strtoull saturates on overflow and reads "" as 0; the product wraps like C's.
  let val = digits === '' ? 0n : BigInt(digits);
  if (val >= UINT64) val = UINT64 - 1n;
  return (val * mul) % UINT64;
}

/** C `strtoll`/`strtol` with base 10 and a check that the whole string was consumed. */
function strtollWhole(s: string): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)$/.exec(s);
  if (!m) return null;
  return BigInt(m[1]!);
}

/** C `strtod` accepting the whole string (no leading blank), finite, like Redis's `string2d`. */
function string2d(s: string): number | null {
  if (s.length === 0 || /^\s/.test(s)) return null;
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|0[xX][0-9a-fA-F]+|inf(inity)?)$/i.test(s))
    return null;
  const v = /^[+-]?0x/i.test(s)
    ? Number.parseInt(s, 16)
    : Number(s.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  return Number.isNaN(v) ? null : v;
}

function toSigned64(u: bigint): bigint {
  return u > INT64_MAX ? u - UINT64 : u;
}

function checkNumber(d: Extract<ServerDirective, { kind: 'number' }>, value: string): string | null {
  let ll: bigint | null = null;
  if (d.memory) {
    const v = memtoull(value);
    if (v !== null) ll = toSigned64(v);
  }
  if (ll === null && d.percent && value.length > 1 && value.endsWith('%')) {
    const v = string2ll(value.slice(0, -1));
    if (v !== null && v >= 0n) ll = -v;
  }
  if (ll === null && d.octal) {
    const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]+)$/.exec(value);
    if (m) ll = BigInt((m[1] === '-' ? '-' : '') + '0o' + m[2]!);
  }
  if (ll === null && !d.memory && !d.percent && !d.octal) ll = string2ll(value);
  if (ll === null) {
    if (d.memory && d.percent) return 'argument must be a memory or percent value';
    if (d.memory) return 'argument must be a memory value';
    if (d.octal) return "argument couldn't be parsed as an octal number";
    return "argument couldn't be parsed into an integer";
  }
  if (d.unsigned) {
    const ull = ((ll % UINT64) + UINT64) % UINT64;
    if (ull > d.max || ull < d.min) {
      const f = (x: bigint): string => (d.octal ? x.toString(8) : x.toString());
      return `argument must be between ${f(d.min)} and ${f(d.max)} inclusive`;
    }
  } else if (d.percent && ll < 0n) {
    if (ll < d.min) return `percentage argument must be less or equal to ${-d.min}`;
  } else if (ll > d.max || ll < d.min) {
    return `argument must be between ${d.min} and ${d.max} inclusive`;
  }
  return null;
}

function checkString(check: StringCheck | undefined, v: string): string | null {
  const isBaseName = !v.includes('/') && !v.includes('\\');
  switch (check) {
    case undefined:
      return null;
    case 'dbfilename':
      return isBaseName ? null : "dbfilename can't be a path, just a filename";
    case 'appendfilename':
      if (v === '') return "appendfilename can't be empty";
      return isBaseName ? null : "appendfilename can't be a path, just a filename";
    case 'appenddirname':
      if (v === '') return "appenddirname can't be empty";
      return isBaseName ? null : "appenddirname can't be a path, just a dirname";
    case 'hostname':
      if (Buffer.byteLength(v) >= 256) return 'Hostnames must be less than 256 characters';
      return /^[A-Za-z0-9.-]*$/.test(v)
        ? null
        : 'Hostnames may only contain alphanumeric characters, hyphens or dots';
    case 'proc-title-template': {
      const known = new Set([
        'title',
        'listen-addr',
        'server-mode',
        'config-file',
        'port',
        'tls-port',
        'unixsocket',
      ]);
      const expanded = v.replace(/\{([^{}]*)\}/g, (_m, name: string) => (known.has(name) ? 'x' : '\u0000'));
      if (expanded.includes('\u0000') || /[{}]/.test(expanded) || expanded.trim() === '') {
        return 'template format is invalid or contains unknown variables';
      }
      return null;
    }
  }
}

function checkSpecial(name: string, args: readonly string[]): string | null {
  switch (name) {
    case 'dir':
      return args.length === 1 ? null : 'wrong number of arguments';
    case 'save': {
      const a = args.length === 1 && args[0] === '' ? [] : args;
      if (a.length % 2 === 1) return 'Invalid save parameters';
      for (let j = 0; j < a.length; j++) {
        const v = strtollWhole(a[j]!);
        if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n))
          return 'Invalid save parameters';
      }
      return null;
    }
    case 'client-output-buffer-limit': {
      if (args.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
      for (let j = 0; j < args.length; j += 4) {
        const cls = args[j]!.toLowerCase();
        if (!['normal', 'slave', 'replica', 'pubsub'].includes(cls)) {
          return 'Invalid client class specified in buffer limit configuration.';
        }
        const secs = strtollWhole(args[j + 3]!);
        if (
          memtoull(args[j + 1]!) === null ||
          memtoull(args[j + 2]!) === null ||
          secs === null ||
          secs < 0n
        ) {
          return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
        }
      }
      return null;
    }
    case 'oom-score-adj-values': {
      if (args.length !== 3) return 'wrong number of arguments';
      for (const a of args) {
        const v = strtollWhole(a);
        if (v === null || v < -2000n || v > 2000n) {
          return 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.';
        }
      }
      return null;
    }
    case 'notify-keyspace-events':
      if (args.length !== 1) return 'wrong number of arguments';
      return /^[Ag$lshzxeKEtmdn]*$/.test(args[0]!)
        ? null
        : "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    case 'bind':
      return args.length > 16 ? 'Too many bind addresses specified.' : null;
    case 'replicaof': {
      if (args.length !== 2) return 'wrong number of arguments';
      if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return null;
      const p = strtollWhole(args[1]!);
      return p === null || p < 0n || p > 65535n ? 'Invalid master port' : null;
    }
    case 'latency-tracking-info-percentiles': {
      if (args.length === 1 && args[0] === '') return null;
      for (const a of args) {
        const v = string2d(a);
        if (v === null) return 'Invalid latency-tracking-info-percentiles parameters';
        if (v > 100 || v < 0)
          return 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]';
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * Check the values of a standard directive the way redis-sentinel's loader does. `args` are the
 * values after the directive name, already re-split for a multi-value directive given as one
 * quoted string. Returns Redis's reason text, or null when the values are accepted.
 */
export function checkServerDirectiveValues(d: ServerDirective, args: readonly string[]): string | null {
  switch (d.kind) {
    case 'bool': {
      const v = args[0]!.toLowerCase();
      if (v !== 'yes' && v !== 'no') return "argument must be 'yes' or 'no'";
      if (d.name === 'activedefrag' && v === 'yes') {
        return (
          'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified ' +
          'Jemalloc like the one shipped by default with the Redis source distribution'
        );
      }
      return null;
    }
    case 'string':
      return checkString(d.check, args[0]!);
    case 'enum': {
      const ok =
        args.length > 0 &&
        (d.multi === true || args.length === 1) &&
        args.every((a) => d.values.includes(a.toLowerCase()));
      if (!ok) return `argument(s) must be one of the following: ${d.values.join(', ')}`;
      if (d.multi) {
        const set = new Set(args.map((a) => a.toLowerCase()));
        if (set.has('save') && set.has('nosave')) {
          return "shutdown options SAVE and NOSAVE can't be used simultaneously";
        }
      }
      return null;
    }
    case 'number':
      return checkNumber(d, args[0]!);
    case 'special':
      return checkSpecial(d.name, args);
  }
}
