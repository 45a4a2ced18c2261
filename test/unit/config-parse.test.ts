import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitArgs } from '../../src/sentinel/config/args.js';
import {
  checkConfigFileWritable,
  ConfigError,
  loadConfigFile,
  parseConfig,
  type ParseOptions,
} from '../../src/sentinel/config/parse.js';
import {
  defaultSentinelConfig,
  lookupRenamedCommand,
  type SentinelConfig,
} from '../../src/sentinel/config/model.js';
import { SERVER_DIRECTIVES, type ServerDirective } from '../../src/sentinel/config/server-directives.js';

const ID_A = 'a'.repeat(40);
const ID_B = 'b'.repeat(40);

const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-parse-')));
after(() => rmSync(work, { recursive: true, force: true }));
const okScript = join(work, 'ok.sh');
writeFileSync(okScript, '#!/bin/sh\nexit 0\n');
chmodSync(okScript, 0o755);
const noExecScript = join(work, 'noexec.sh');
writeFileSync(noExecScript, '#!/bin/sh\nexit 0\n');
chmodSync(noExecScript, 0o644);

function parse(text: string, options: ParseOptions = {}): SentinelConfig {
  return parseConfig(text, 'sentinel.conf', { cwd: work, ...options });
}

/** The ConfigError message parsing `text` throws. */
function errorOf(text: string, options: ParseOptions = {}): string {
  try {
    parse(text, options);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e.message;
  }
  assert.fail(`accepted:\n${text}`);
}

const M = 'sentinel monitor m 127.0.0.1 6379 2\n';

describe('splitArgs (sdssplitargs)', () => {
  const cases: [string, string[] | null][] = [
    ['', []],
    ['   \t ', []],
    ['a b\tc', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    [`'a b' c`, ['a b', 'c']],
    ['"\\n\\r\\t\\b\\a\\\\\\"x"', ['\n\r\t\b\x07\\"x']],
    ['"\\x41\\x42" "\\xc3\\xa9"', ['AB', 'é']],
    ['"\\xZZ"', ['xZZ']],
    [`'it\\'s' 'a\\b'`, [`it's`, 'a\\b']],
    ['a"b c"d', null],
    ['ab"c d"', ['abc d']],
    ['""', ['']],
    ['"abc', null],
    [`'abc`, null],
    ['"abc"def', null],
    ['back\\slash', ['back\\slash']],
    ['é ü', ['é', 'ü']],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(splitArgs(input), expected));
  }
});

describe('parseConfig: values', () => {
  it('applies Sentinel defaults to an empty file', () => {
    assert.deepEqual(parse(''), defaultSentinelConfig());
    const cfg = parse('# only a comment\n\n');
    assert.equal(cfg.port, 26379);
    assert.deepEqual(cfg.bind, ['*', '-::*']);
    assert.equal(cfg.protectedMode, false);
    assert.equal(cfg.denyScriptsReconfig, true);
    assert.equal(cfg.masters.size, 0);
  });

  it('reads every sentinel directive', () => {
    const cfg = parse(
      [
        `sentinel myid ${ID_A}`,
        'sentinel current-epoch 12',
        'sentinel resolve-hostnames yes',
        'sentinel announce-hostnames YES',
        'sentinel announce-ip 192.0.2.1',
        'sentinel announce-port 26400',
        'sentinel deny-scripts-reconfig no',
        'sentinel sentinel-user sen',
        'sentinel sentinel-pass "s p"',
        'sentinel monitor mymaster db1.example 6380 3',
        'sentinel down-after-milliseconds mymaster 5000',
        'sentinel failover-timeout mymaster 60000',
        'sentinel parallel-syncs mymaster 2',
        `sentinel notification-script mymaster ${okScript}`,
        `sentinel client-reconfig-script mymaster ok.sh`,
        'sentinel auth-pass mymaster secret',
        'sentinel auth-user mymaster app',
        'sentinel config-epoch mymaster 9',
        'sentinel leader-epoch mymaster 10',
        'sentinel known-replica mymaster 10.0.0.2 6380',
        'sentinel known-slave mymaster 10.0.0.3 6380',
        `sentinel known-sentinel mymaster 10.0.0.4 26379 ${ID_B}`,
        'sentinel known-sentinel mymaster 10.0.0.5 26379',
        'sentinel rename-command mymaster CONFIG XCONFIG',
        'sentinel rename-command mymaster FLUSHALL ""',
        'sentinel master-reboot-down-after-period mymaster 1000',
        'sentinel failover-policy mymaster available',
        'sentinel manual-failover mymaster forced',
        'sentinel max-lag-on-failover mymaster 1mb',
        'sentinel monitor other 10.0.0.9 6379 1',
      ].join('\n'),
    );
    assert.equal(cfg.myid, ID_A);
    assert.equal(cfg.currentEpoch, 12);
    assert.equal(cfg.resolveHostnames, true);
    assert.equal(cfg.announceHostnames, true);
    assert.equal(cfg.announceIp, '192.0.2.1');
    assert.equal(cfg.announcePort, 26400);
    assert.equal(cfg.denyScriptsReconfig, false);
    assert.equal(cfg.sentinelUser, 'sen');
    assert.equal(cfg.sentinelPass, 's p');
    assert.deepEqual([...cfg.masters.keys()], ['mymaster', 'other']);
    assert.deepEqual(cfg.masters.get('mymaster'), {
      name: 'mymaster',
      host: 'db1.example',
      port: 6380,
      quorum: 3,
      downAfterMs: 5000,
      failoverTimeoutMs: 60000,
      parallelSyncs: 2,
      notificationScript: okScript,
      clientReconfigScript: 'ok.sh',
      authPass: 'secret',
      authUser: 'app',
      configEpoch: 9,
      leaderEpoch: 10,
      masterRebootDownAfterMs: 1000,
      knownReplicas: [
        { host: '10.0.0.2', port: 6380 },
        { host: '10.0.0.3', port: 6380 },
      ],
      knownSentinels: [{ host: '10.0.0.4', port: 26379, runid: ID_B }],
      renamedCommands: new Map([
        ['CONFIG', 'XCONFIG'],
        ['FLUSHALL', ''],
      ]),
      failoverPolicy: 'available',
      manualFailover: 'forced',
      maxLagOnFailoverBytes: 1048576,
      replicaHistory: new Map(),
    });
    const other = cfg.masters.get('other')!;
    assert.equal(other.downAfterMs, 30000);
    assert.equal(other.failoverTimeoutMs, 180000);
    assert.equal(other.parallelSyncs, 1);
    assert.equal(other.masterRebootDownAfterMs, 0);
    assert.equal(other.failoverPolicy, 'safe');
    assert.equal(other.manualFailover, 'coordinated');
    assert.equal(other.maxLagOnFailoverBytes, undefined);
    assert.equal(lookupRenamedCommand(cfg.masters.get('mymaster')!, 'config'), 'XCONFIG');
    assert.equal(lookupRenamedCommand(other, 'config'), 'config');
  });

  it('reads the server directives Vigil uses', () => {
    const sub = join(work, 'data');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(work, 'users.acl'), '');
    const cfg = parse(
      [
        'port 26380',
        'bind 127.0.0.1 ::1',
        'protected-mode yes',
        'daemonize no',
        'pidfile /run/vigil.pid',
        'logfile ""',
        'loglevel warning',
        'dir data',
        'requirepass "p w"',
        'aclfile ../users.acl',
        'user alice on >pw ~* &* +@all',
        'user bob off resetpass',
        'rename-command ping ""',
        'rename-command info ping',
      ].join('\n'),
    );
    assert.equal(cfg.port, 26380);
    assert.deepEqual(cfg.bind, ['127.0.0.1', '::1']);
    assert.equal(cfg.protectedMode, true);
    assert.equal(cfg.daemonize, false);
    assert.equal(cfg.pidfile, '/run/vigil.pid');
    assert.equal(cfg.logfile, '');
    assert.equal(cfg.loglevel, 'warning');
    assert.equal(cfg.dir, sub);
    assert.equal(cfg.requirepass, 'p w');
    assert.equal(cfg.aclfile, '../users.acl');
    assert.deepEqual(cfg.users, [
      ['alice', 'on', '>pw', '~*', '&*', '+@all'],
      ['bob', 'off', 'resetpass'],
    ]);
    assert.deepEqual(
      cfg.renameCommand,
      new Map([
        ['ping', ''],
        ['info', 'ping'],
      ]),
    );
    assert.deepEqual(cfg.ignoredDirectives, []);
  });

  it('splits a multi-value directive given as one quoted value, and reads bind "" as no address', () => {
    assert.deepEqual(parse('bind "127.0.0.1 ::1"').bind, ['127.0.0.1', '::1']);
    assert.deepEqual(parse('bind ""').bind, []);
    assert.equal(parse('save ""').ignoredDirectives[0]!.name, 'save');
    assert.deepEqual(parse('save "900 1 300 10"').ignoredDirectives[0]!.args, ['900', '1', '300', '10']);
  });

  it('accepts and records every other redis-server directive, aliases included', () => {
    const lines = allServerDirectiveLines();
    const cfg = parse(lines.join('\n'));
    const modelled = ['port', 'bind', 'protected-mode', 'daemonize', 'pidfile', 'logfile', 'loglevel', 'dir'];
    modelled.push('requirepass', 'aclfile');
    assert.equal(cfg.ignoredDirectives.length, lines.length - modelled.length);
    const aliases = SERVER_DIRECTIVES.filter((d) => d.alias !== undefined).map(
      (d) => `${d.alias!} ${valueFor(d)}`,
    );
    assert.ok(aliases.length > 10);
    assert.equal(parse(aliases.join('\n')).ignoredDirectives.length, aliases.length);
    const extra = parse(
      [
        'list-max-ziplist-entries 512',
        'lua-replicate-commands yes',
        'loadmodule /opt/mod.so a b',
        'mymodule.setting 5 6',
        'replicaof no one',
        'slaveof 10.0.0.1 6379',
      ].join('\n'),
    ).ignoredDirectives;
    assert.deepEqual(
      extra.map((d) => [d.name, d.args, d.line]),
      [
        ['list-max-ziplist-entries', ['512'], 1],
        ['lua-replicate-commands', ['yes'], 2],
        ['loadmodule', ['/opt/mod.so', 'a', 'b'], 3],
        ['mymodule.setting', ['5', '6'], 4],
        ['replicaof', ['no', 'one'], 5],
        ['slaveof', ['10.0.0.1', '6379'], 6],
      ],
    );
  });

  it('is case-insensitive for directive names, keeps master names case-sensitive', () => {
    const cfg = parse(
      'SENTINEL MONITOR Master 127.0.0.1 6379 2\nPort 26390\nSentinel Down-After-Milliseconds Master 10',
    );
    assert.equal(cfg.port, 26390);
    assert.equal(cfg.masters.get('Master')!.downAfterMs, 10);
    assert.match(errorOf(M + 'sentinel auth-pass M x'), /no such master with specified name 'M'/);
  });

  it('applies sentinel lines in three groups like Redis: globals, monitors, then per-master options', () => {
    const cfg = parse(
      [
        'sentinel known-replica m db2.example 6379',
        'sentinel config-epoch m 20',
        'sentinel monitor m db1.example 6379 2',
        'sentinel resolve-hostnames yes',
        'sentinel current-epoch 5',
        'sentinel current-epoch 3',
      ].join('\n'),
    );
    assert.deepEqual(cfg.masters.get('m')!.knownReplicas, [{ host: 'db2.example', port: 6379 }]);
    // current-epoch keeps the largest value, and a larger config-epoch raises it.
    assert.equal(cfg.currentEpoch, 20);
    assert.equal(parse('sentinel current-epoch 5\nsentinel current-epoch 3').currentEpoch, 5);
    // Server lines are applied first, so a sentinel error is reported after a later server error.
    assert.equal(errorOf('sentinel foo\nport x').split(':')[1], '2');
  });

  it('reads the durable replication history (Vigil-only primary-history / replica-history)', () => {
    const R1 = '1'.repeat(40);
    const R2 = 'AbCdEf0123'.repeat(4);
    const cfg = parse(
      [
        // Per-master lines may come before the monitor line, like every per-master option.
        `sentinel replica-history m 10.0.0.2 6379 ${R1} 1000 ${ID_A} yes`,
        M.trimEnd(),
        'sentinel known-replica m 10.0.0.2 6379',
        'sentinel known-replica m 10.0.0.3 6379',
        `sentinel primary-history m ${R2} 123456789012`,
        // No known-replica line for this one: the history line makes it known.
        'sentinel replica-history m 10.0.0.4 6380 - 0 - no',
        `sentinel replica-history m ::1 6381 ${R1} 7 - YES`,
      ].join('\n'),
    );
    const m = cfg.masters.get('m')!;
    // Hex ids are kept in lower case, as Redis reports them.
    assert.deepEqual(m.primaryHistory, { replId: R2.toLowerCase(), offset: 123456789012 });
    assert.deepEqual(m.knownReplicas, [
      { host: '10.0.0.2', port: 6379 },
      { host: '10.0.0.3', port: 6379 },
    ]);
    assert.deepEqual(
      m.replicaHistory,
      new Map([
        [
          '10.0.0.2:6379',
          { host: '10.0.0.2', port: 6379, replId: R1, offset: 1000, runId: ID_A, synced: true },
        ],
        ['10.0.0.4:6380', { host: '10.0.0.4', port: 6380, offset: 0, synced: false }],
        ['[::1]:6381', { host: '::1', port: 6381, replId: R1, offset: 7, synced: true }],
      ]),
    );
    // Single-valued like config-epoch: the last line wins (an included file may hold an older one).
    const twice = parse(M + `sentinel primary-history m ${R1} 5\nsentinel primary-history m ${R2} 6`);
    assert.deepEqual(twice.masters.get('m')!.primaryHistory, { replId: R2.toLowerCase(), offset: 6 });
    // Host names need resolve-hostnames, as in known-replica.
    const named = parse(
      'sentinel resolve-hostnames yes\n' + M + `sentinel replica-history m DB2.example 6379 ${R1} 1 - no`,
    );
    assert.deepEqual([...named.masters.get('m')!.replicaHistory.keys()], ['db2.example:6379']);
    assert.equal(parse(M).masters.get('m')!.primaryHistory, undefined);
    assert.equal(parse(M).masters.get('m')!.replicaHistory.size, 0);
  });

  it('ignores a bare "sentinel" line and an empty announce-ip / sentinel-user / sentinel-pass', () => {
    const cfg = parse(
      'sentinel\nsentinel announce-ip ""\nsentinel sentinel-user ""\nsentinel sentinel-pass ""',
    );
    assert.equal(cfg.announceIp, undefined);
    assert.equal(cfg.sentinelUser, undefined);
    assert.equal(cfg.sentinelPass, undefined);
  });

  it('reads included files (plain and wildcard), naming them in errors', () => {
    const inc = join(work, 'inc');
    mkdirSync(inc, { recursive: true });
    writeFileSync(join(inc, 'a.conf'), 'sentinel monitor ma 10.0.0.1 6379 2\n');
    writeFileSync(join(inc, 'b.conf'), '# b\nsentinel monitor mb 10.0.0.2 6379 2\nport 26399\n');
    writeFileSync(join(inc, 'c.txt'), 'not a config\n');
    const cfg = parse('include inc/*.conf\nport 26398\n');
    assert.deepEqual([...cfg.masters.keys()], ['ma', 'mb']);
    assert.equal(cfg.masters.get('ma')!.definedIn, join(inc, 'a.conf'));
    assert.equal(cfg.port, 26398);
    assert.deepEqual(cfg.includes, ['inc/*.conf']);
    assert.equal(parse('port 26398\ninclude inc/b.conf').port, 26399);
    assert.equal(parse('include inc/none*.conf').masters.size, 0);
    writeFileSync(join(inc, 'bad.cnf'), 'port 1\n\nsentinel monitor x 10.0.0.1 6379 0\n');
    assert.equal(
      errorOf('include inc/bad.cnf'),
      `${join(inc, 'bad.cnf')}:3: quorum must be >= 1, got 0; set it to how many Sentinels must agree the master is down`,
    );
    writeFileSync(join(inc, 'self.cnf'), 'include inc/self.cnf\n');
    assert.match(errorOf('include inc/self.cnf'), /include nesting is deeper than 16 files/);
  });

  it('can skip the file-system checks', () => {
    const text = [
      'dir /nonexistent-dir',
      'logfile /nonexistent-dir/x.log',
      'aclfile /nonexistent.acl',
      M + 'sentinel notification-script m /nonexistent.sh',
    ].join('\n');
    const cfg = parse(text, { checkFilesystem: false });
    assert.equal(cfg.dir, '/nonexistent-dir');
    assert.equal(cfg.masters.get('m')!.notificationScript, '/nonexistent.sh');
  });
});

/**
 * [config text, expected error message or null when accepted]. Every case is also run through
 * the real redis-sentinel below, which must accept or refuse it the same way.
 */
const CORPUS: [string, string | null][] = [
  [
    'port 26379 # comment',
    "sentinel.conf:1: wrong number of arguments: 'port' takes exactly one value, got 3 ('#' starts a comment only at the beginning of a line: move the comment to its own line)",
  ],
  [
    'port 70000',
    "sentinel.conf:1: invalid value for 'port': argument must be between 0 and 65535 inclusive; fix the value or remove the line",
  ],
  [
    'port abc',
    "sentinel.conf:1: invalid value for 'port': argument couldn't be parsed into an integer; fix the value or remove the line",
  ],
  [
    'port',
    "sentinel.conf:1: wrong number of arguments: 'port' takes exactly one value, got 0 (quote a value that contains spaces)",
  ],
  [
    'daemonize maybe',
    "sentinel.conf:1: invalid value for 'daemonize': argument must be 'yes' or 'no'; fix the value or remove the line",
  ],
  [
    'maxmemory 1x',
    "sentinel.conf:1: invalid value for 'maxmemory': argument must be a memory value; fix the value or remove the line",
  ],
  ['maxmemory 2gb', null],
  [
    'maxmemory-policy lru',
    "sentinel.conf:1: invalid value for 'maxmemory-policy': argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction; fix the value or remove the line",
  ],
  [
    'bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17',
    "sentinel.conf:1: invalid value for 'bind': Too many bind addresses specified; fix the value or remove the line",
  ],
  [
    'save 900',
    "sentinel.conf:1: invalid value for 'save': Invalid save parameters; fix the value or remove the line",
  ],
  ['save ""', null],
  ['save "900 1 300 10"', null],
  [
    'client-output-buffer-limit normal 0 0',
    "sentinel.conf:1: invalid value for 'client-output-buffer-limit': Wrong number of arguments in buffer limit configuration; fix the value or remove the line",
  ],
  [
    'client-output-buffer-limit master 0 0 0',
    "sentinel.conf:1: invalid value for 'client-output-buffer-limit': Invalid client class specified in buffer limit configuration; fix the value or remove the line",
  ],
  [
    'oom-score-adj-values 0 200',
    "sentinel.conf:1: invalid value for 'oom-score-adj-values': wrong number of arguments; fix the value or remove the line",
  ],
  [
    'notify-keyspace-events Q',
    "sentinel.conf:1: invalid value for 'notify-keyspace-events': Invalid event class character. Use 'Ag$lshzxeKEtmdn'; fix the value or remove the line",
  ],
  [
    'replicaof 10.0.0.1 99999',
    "sentinel.conf:1: invalid value for 'replicaof': Invalid master port; fix the value or remove the line",
  ],
  [
    'latency-tracking-info-percentiles 50 101',
    "sentinel.conf:1: invalid value for 'latency-tracking-info-percentiles': latency-tracking-info-percentiles parameters should sit between [0.0,100.0]; fix the value or remove the line",
  ],
  [
    'shutdown-on-sigterm save nosave',
    "sentinel.conf:1: invalid value for 'shutdown-on-sigterm': shutdown options SAVE and NOSAVE can't be used simultaneously; fix the value or remove the line",
  ],
  [
    'dbfilename /tmp/dump.rdb',
    "sentinel.conf:1: invalid value for 'dbfilename': dbfilename can't be a path, just a filename; fix the value or remove the line",
  ],
  [
    'activedefrag yes',
    "sentinel.conf:1: invalid value for 'activedefrag': Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution; fix the value or remove the line",
  ],
  [
    'unixsocketperm 999',
    "sentinel.conf:1: invalid value for 'unixsocketperm': argument couldn't be parsed as an octal number; fix the value or remove the line",
  ],
  [
    'maxmemory-clients 200%',
    "sentinel.conf:1: invalid value for 'maxmemory-clients': percentage argument must be less or equal to 100; fix the value or remove the line",
  ],
  [
    'foo 1',
    "sentinel.conf:1: bad directive or wrong number of arguments: 'foo' is not a redis-sentinel configuration directive; fix the spelling or remove the line",
  ],
  ['include', "sentinel.conf:1: wrong number of arguments: use 'include <path>'"],
  [
    'rename-command CONFIG x',
    "sentinel.conf:1: no such command in rename-command: 'CONFIG' is not a command in Sentinel mode (they are: auth, client, hello, ping, psubscribe, publish, punsubscribe, subscribe, unsubscribe, sentinel, acl, command, info, role, shutdown); remove the line or fix the command name",
  ],
  ['rename-command ping ""\nrename-command info ping', null],
  [
    'rename-command ping x\nrename-command info x',
    "sentinel.conf:2: target command name 'x' already exists; pick another name",
  ],
  ['user alice on >pw ~* +@all', null],
  [
    'user alice bogus',
    "sentinel.conf:1: error in user declaration 'bogus': syntax error; use ACL rules such as on, off, nopass, >password, ~pattern, &pattern, +command, -command, +@category",
  ],
  ['loadmodule /nonexistent/mod.so', null],
  ['mod.opt', "sentinel.conf:1: module config 'mod.opt' specified without value; add the value"],
  ['mod.opt 1', null],
  [
    'list-max-ziplist-entries 5 6',
    "sentinel.conf:1: bad directive or wrong number of arguments: 'list-max-ziplist-entries' is not a redis-sentinel configuration directive; fix the spelling or remove the line",
  ],
  [
    'sentinel foo bar',
    "sentinel.conf:1: unrecognized sentinel configuration statement 'sentinel foo'; check the spelling (known: monitor, down-after-milliseconds, failover-timeout, parallel-syncs, notification-script, client-reconfig-script, auth-pass, auth-user, current-epoch, myid, config-epoch, leader-epoch, known-replica, known-slave, known-sentinel, rename-command, announce-ip, announce-port, deny-scripts-reconfig, sentinel-user, sentinel-pass, resolve-hostnames, announce-hostnames, master-reboot-down-after-period, failover-policy, manual-failover, pause, max-lag-on-failover, primary-history, replica-history)",
  ],
  [
    'sentinel monitor m 127.0.0.1 6379',
    `sentinel.conf:1: wrong number of arguments for 'sentinel monitor' (Redis: "Unrecognized sentinel configuration statement"); use 'sentinel monitor <master-name> <ip> <port> <quorum>' and quote a value that contains spaces`,
  ],
  [
    'sentinel monitor m 127.0.0.1 6379 0',
    'sentinel.conf:1: quorum must be >= 1, got 0; set it to how many Sentinels must agree the master is down',
  ],
  [
    'sentinel monitor m 127.0.0.1 6379 -1',
    'sentinel.conf:1: quorum must be >= 1, got -1; set it to how many Sentinels must agree the master is down',
  ],
  [
    'sentinel monitor m 127.0.0.1 65536 2',
    "sentinel.conf:1: invalid port number '65536'; use a port between 0 and 65535",
  ],
  [
    'sentinel monitor m db.example 6379 2',
    "sentinel.conf:1: can't resolve instance hostname 'db.example': without 'sentinel resolve-hostnames yes' the address must be an IPv4 or IPv6 address; use an IP address or add that line",
  ],
  ['sentinel monitor m db.example 6379 2\nsentinel resolve-hostnames yes', null],
  [
    M + M,
    "sentinel.conf:2: duplicate master name 'm'; each 'sentinel monitor' needs its own name, remove one of them",
  ],
  [
    'sentinel down-after-milliseconds m 100',
    "sentinel.conf:1: no such master with specified name 'm'; add 'sentinel monitor m <ip> <port> <quorum>' or fix the name (names are case-sensitive)",
  ],
  [
    M + 'sentinel down-after-milliseconds m 0',
    'sentinel.conf:2: down-after-milliseconds must be > 0, got 0 (negative or zero time parameter); give a time in milliseconds',
  ],
  [
    M + 'sentinel failover-timeout m -5',
    'sentinel.conf:2: failover-timeout must be > 0, got -5 (negative or zero time parameter); give a time in milliseconds',
  ],
  [
    M + 'sentinel master-reboot-down-after-period m -1',
    'sentinel.conf:2: master-reboot-down-after-period must be >= 0, got -1 (negative time parameter); use 0 to disable it',
  ],
  [
    M + `sentinel notification-script m ${noExecScript}`,
    `sentinel.conf:2: notification script '${noExecScript}' seems non existing or non executable (Permission denied); fix the path or chmod +x it`,
  ],
  [
    M + 'sentinel client-reconfig-script m /nonexistent.sh',
    "sentinel.conf:2: client reconfiguration script '/nonexistent.sh' seems non existing or non executable (No such file or directory); fix the path or chmod +x it",
  ],
  [M + `sentinel notification-script m ${okScript}`, null],
  [
    'sentinel myid abc',
    'sentinel.conf:1: malformed Sentinel id in myid option: it must be 40 characters long, got 3; fix it, or delete the line and a new id is chosen at start-up',
  ],
  [
    'sentinel deny-scripts-reconfig maybe',
    "sentinel.conf:1: please specify yes or no for the deny-scripts-reconfig option, got 'maybe'",
  ],
  [
    'sentinel resolve-hostnames 1',
    "sentinel.conf:1: please specify yes or no for the resolve-hostnames option, got '1'",
  ],
  ['sentinel announce-hostnames yes', null],
  [
    M + 'sentinel known-replica m 127.0.0.1 6380\nsentinel known-replica m 127.0.0.1 6380',
    "sentinel.conf:3: duplicate hostname and port for replica 127.0.0.1:6380 of 'm'; remove one of the lines",
  ],
  ['sentinel known-replica m 127.0.0.1 6380\n' + M, null],
  [
    M +
      `sentinel known-sentinel m 127.0.0.1 26380 ${ID_A}\nsentinel known-sentinel m 127.0.0.2 26380 ${ID_A}`,
    `sentinel.conf:3: duplicate runid for sentinel '${ID_A}' of 'm'; remove one of the lines`,
  ],
  [M + 'sentinel known-sentinel m 127.0.0.1 26380', null],
  [
    M + 'sentinel rename-command m CONFIG a\nsentinel rename-command m config b',
    "sentinel.conf:3: same command 'config' renamed multiple times with rename-command for 'm'; keep one line",
  ],
  [
    'sentinel config-epoch nosuch 1',
    "sentinel.conf:1: no such master with specified name 'nosuch'; add 'sentinel monitor nosuch <ip> <port> <quorum>' or fix the name (names are case-sensitive)",
  ],
  [
    'port "26379',
    'sentinel.conf:1: unbalanced quotes in configuration line; close the quote, and put a space or the end of the line right after each closing quote',
  ],
  [
    'port "26379"x',
    'sentinel.conf:1: unbalanced quotes in configuration line; close the quote, and put a space or the end of the line right after each closing quote',
  ],
  [
    'dir /nonexistent-dir',
    "sentinel.conf:1: cannot change to dir '/nonexistent-dir': No such file or directory; create the directory or fix the path",
  ],
  [
    'logfile /nonexistent-dir/x.log',
    `sentinel.conf:1: can't open the log file '/nonexistent-dir/x.log': No such file or directory; fix the path or its permissions, or use logfile "" to log to standard output`,
  ],
  [
    'aclfile /nonexistent.acl',
    "sentinel.conf:1: can't open the ACL file '/nonexistent.acl': No such file or directory; create it or fix the path",
  ],
  [
    'include /nonexistent.conf',
    "sentinel.conf:1: can't open config file '/nonexistent.conf': No such file or directory; fix the include path or create the file",
  ],
  ['include /nonexistent*.conf', null],
  ['sentinel', null],
  ['SENTINEL MONITOR m 127.0.0.1 6379 2\nPORT 26379', null],
  ['slaveof no one', null],
  ['tls-port 0', null],
];

/** Accepted by redis-sentinel, refused by Vigil on purpose. */
const VIGIL_STRICTER: [string, string][] = [
  // redis-sentinel writes the name back unquoted and gossips it in comma-separated hellos.
  [
    'sentinel monitor "a b" 127.0.0.1 6379 2',
    "sentinel.conf:1: invalid master name 'a b': a master name cannot contain spaces, quotes, commas or control characters; rename the master",
  ],
  [
    'sentinel monitor a,b 127.0.0.1 6379 2',
    "sentinel.conf:1: invalid master name 'a,b': a master name cannot contain spaces, quotes, commas or control characters; rename the master",
  ],
  [
    'sentinel monitor "" 127.0.0.1 6379 2',
    "sentinel.conf:1: invalid master name '': a master name cannot be empty; rename the master",
  ],
  // redis-sentinel reads these with atoi() and takes any junk; SENTINEL SET refuses them.
  [
    M + 'sentinel parallel-syncs m 0',
    "sentinel.conf:2: parallel-syncs must be an integer >= 1, got '0'; it is how many replicas resync at once",
  ],
  [
    'sentinel announce-port 99999',
    "sentinel.conf:1: invalid port number '99999'; use a port between 0 and 65535",
  ],
  ['sentinel monitor m 127.0.0.1 6379 2x', "sentinel.conf:1: quorum must be an integer >= 1, got '2x'"],
  ['sentinel current-epoch x', "sentinel.conf:1: current-epoch must be a non-negative integer, got 'x'"],
  [
    M + 'sentinel failover-policy m fast',
    "sentinel.conf:2: failover-policy must be 'safe' or 'available', got 'fast'",
  ],
  [
    M + 'sentinel manual-failover m now',
    "sentinel.conf:2: manual-failover must be 'coordinated' or 'forced', got 'now'",
  ],
  [
    M + 'sentinel max-lag-on-failover m lots',
    "sentinel.conf:2: max-lag-on-failover must be a number of bytes (units b, kb, mb, gb allowed), got 'lots'",
  ],
];

const RID = '0123456789abcdef0123456789abcdef01234567';

/** Vigil-only directives (redis-sentinel refuses them all as unrecognized statements). */
const VIGIL_ONLY: [string, string | null][] = [
  [M + `sentinel primary-history m ${RID} 0`, null],
  [M + `sentinel replica-history m 127.0.0.1 6380 ${RID} 0 ${RID} yes`, null],
  [M + 'sentinel replica-history m 127.0.0.1 6380 - 0 - no', null],
  [
    M + `sentinel primary-history m ${RID}`,
    `sentinel.conf:2: wrong number of arguments for 'sentinel primary-history' (Redis: "Unrecognized sentinel configuration statement"); use 'sentinel primary-history <master-name> <replid> <offset>' and quote a value that contains spaces`,
  ],
  [
    M + `sentinel primary-history m abc 0`,
    "sentinel.conf:2: primary-history replication id must be 40 hex characters, got 'abc'; copy master_replid from the primary's INFO replication, or remove the line",
  ],
  [
    M + `sentinel primary-history m - 0`,
    "sentinel.conf:2: primary-history replication id must be 40 hex characters, got '-'; copy master_replid from the primary's INFO replication, or remove the line",
  ],
  [
    M + `sentinel primary-history m ${RID} -1`,
    "sentinel.conf:2: primary-history offset must be an integer >= 0 (bytes), got '-1'; copy master_repl_offset from the primary's INFO replication, or use 0",
  ],
  [
    `sentinel primary-history nosuch ${RID} 0`,
    "sentinel.conf:1: no such master with specified name 'nosuch'; add 'sentinel monitor nosuch <ip> <port> <quorum>' or fix the name (names are case-sensitive)",
  ],
  [
    M + `sentinel replica-history m 127.0.0.1 6380 ${RID} 0 ${RID}`,
    `sentinel.conf:2: wrong number of arguments for 'sentinel replica-history' (Redis: "Unrecognized sentinel configuration statement"); use 'sentinel replica-history <master-name> <ip> <port> <replid|-> <offset> <runid|-> yes|no' and quote a value that contains spaces`,
  ],
  [
    M + `sentinel replica-history m 127.0.0.1 6380 ${RID}x 0 - no`,
    `sentinel.conf:2: replica-history replication id must be 40 hex characters or '-' when unknown, got '${RID}x'; copy master_replid from the replica's INFO replication, or write '-'`,
  ],
  [
    M + `sentinel replica-history m 127.0.0.1 6380 - 1.5 - no`,
    "sentinel.conf:2: replica-history offset must be an integer >= 0 (bytes), got '1.5'; copy slave_repl_offset from the replica's INFO replication, or use 0",
  ],
  [
    M + `sentinel replica-history m 127.0.0.1 6380 - 0 ${'g'.repeat(40)} no`,
    `sentinel.conf:2: replica-history run id must be 40 hex characters or '-' when unknown, got '${'g'.repeat(40)}'; copy run_id from the replica's INFO server, or write '-'`,
  ],
  [
    M + 'sentinel replica-history m 127.0.0.1 6380 - 0 - maybe',
    "sentinel.conf:2: please specify yes or no for the replica-history option, got 'maybe'",
  ],
  [
    M + 'sentinel replica-history m 127.0.0.1 70000 - 0 - no',
    "sentinel.conf:2: invalid port number '70000'; use a port between 0 and 65535",
  ],
  [
    M + 'sentinel replica-history m db2.example 6380 - 0 - no',
    "sentinel.conf:2: can't resolve instance hostname 'db2.example': without 'sentinel resolve-hostnames yes' the address must be an IPv4 or IPv6 address; use an IP address or add that line",
  ],
  [
    M +
      'sentinel replica-history m 127.0.0.1 6380 - 0 - no\nsentinel replica-history m 127.0.0.1 6380 - 5 - no',
    "sentinel.conf:3: duplicate replica-history for replica 127.0.0.1:6380 of 'm'; remove one of the lines",
  ],
];

describe('parseConfig: errors name file:line, the problem and the fix', () => {
  for (const [text, expected] of [...CORPUS, ...VIGIL_STRICTER, ...VIGIL_ONLY]) {
    it(JSON.stringify(text).slice(0, 80), () => {
      if (expected === null) parse(text);
      else assert.equal(errorOf(text), expected);
    });
  }
});

describe('loadConfigFile / checkConfigFileWritable', () => {
  it('loads a file and names it in errors', () => {
    const p = join(work, 'load.conf');
    writeFileSync(p, 'port 26555\n');
    assert.equal(loadConfigFile(p, { cwd: work }).port, 26555);
    writeFileSync(p, '\n\nsentinel monitor m 127.0.0.1 6379 0\n');
    assert.throws(() => loadConfigFile(p), {
      name: 'ConfigError',
      message: new RegExp(`^${p}:3: quorum must be >= 1`),
    });
    assert.throws(() => loadConfigFile(join(work, 'missing.conf')), {
      name: 'ConfigError',
      message: `${join(work, 'missing.conf')}: can't open config file: No such file or directory; check the path`,
    });
  });

  it('refuses a config file Sentinel cannot write', () => {
    const p = join(work, 'w.conf');
    writeFileSync(p, '');
    checkConfigFileWritable(p);
    const missing = join(work, 'nope', 'sentinel.conf');
    assert.throws(() => checkConfigFileWritable(missing), {
      name: 'ConfigError',
      message:
        `${missing}: Sentinel config file ${missing} is not writable: No such file or directory. Sentinel saves ` +
        'its state in this file: make it writable by the user running Vigil',
    });
  });
});

// ------------------------------------------------------------------------------------------------

function valueFor(d: ServerDirective): string {
  const special: Record<string, string> = {
    dir: '.',
    save: '900 1',
    'client-output-buffer-limit': 'normal 0 0 0',
    'oom-score-adj-values': '0 200 800',
    'notify-keyspace-events': 'Ex',
    bind: '127.0.0.1',
    replicaof: '10.0.0.1 6379',
    'latency-tracking-info-percentiles': '50 99',
  };
  const strings: Record<string, string> = {
    appendfilename: 'a.aof',
    appenddirname: 'aofdir',
    dbfilename: 'd.rdb',
    'proc-title-template': '"{title} {port}"',
  };
  switch (d.kind) {
    case 'bool':
      return 'no';
    case 'string':
      return strings[d.name] ?? '""';
    case 'enum':
      return d.name === 'supervised' ? 'no' : d.values[0]!;
    case 'number':
      return d.min >= 0n ? String(d.min) : d.memory ? '0' : String(d.min);
    case 'special':
      return special[d.name]!;
  }
}

/** One line for each standard server directive, with a value redis-sentinel accepts. */
function allServerDirectiveLines(): string[] {
  return SERVER_DIRECTIVES.map((d) => `${d.name} ${valueFor(d)}`);
}

const REDIS_SENTINEL = '/usr/bin/redis-sentinel';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe(
  'agrees with redis-sentinel 7.0 on what to accept',
  { skip: !existsSync(REDIS_SENTINEL) && 'no redis-sentinel' },
  () => {
    const running = new Set<ChildProcess>();
    after(() => {
      for (const p of running) p.kill('SIGKILL');
    });

    /** Start redis-sentinel on `text`: true once it runs, false if it exits first (config refused). */
    async function realAccepts(text: string): Promise<boolean> {
      const dir = mkdtempSync(join(work, 'real-'));
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(conf, text + '\n');
      const port = await freePort();
      const p = spawn(REDIS_SENTINEL, [conf, '--port', String(port), '--bind', '127.0.0.1'], {
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(p);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 10_000;
      try {
        for (;;) {
          if (out.includes('Sentinel ID is')) return true;
          if (p.exitCode !== null) return false;
          if (Date.now() > deadline) throw new Error(`redis-sentinel neither started nor exited:\n${out}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        if (p.exitCode === null && p.signalCode === null) {
          const exited = new Promise((r) => p.once('exit', r));
          p.kill('SIGKILL');
          await exited;
        }
        running.delete(p);
      }
    }

    it('on every case of the corpus', { timeout: 120_000 }, async () => {
      const results: string[] = [];
      const queue = CORPUS.map(([text, expected], i) => ({ text, expected, i }));
      const worker = async (): Promise<void> => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          const real = await realAccepts(job.text);
          if (real !== (job.expected === null)) {
            results.push(
              `#${job.i} ${JSON.stringify(job.text)}: redis-sentinel ${real ? 'accepts' : 'refuses'} it`,
            );
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      assert.deepEqual(results, []);
    });

    it('on one file with every redis-server directive', { timeout: 30_000 }, async () => {
      const text = allServerDirectiveLines().join('\n');
      parse(text);
      assert.equal(await realAccepts(text), true);
    });

    it(
      'on the cases where Vigil is stricter (redis-sentinel accepts them)',
      { timeout: 60_000 },
      async () => {
        for (const [text] of VIGIL_STRICTER.filter(
          ([t]) => !t.includes('failover-policy') && !t.includes('manual-failover') && !t.includes('max-lag'),
        )) {
          assert.equal(await realAccepts(text), true, text);
        }
      },
    );
  },
);
