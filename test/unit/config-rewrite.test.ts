import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  symlinkSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../src/sentinel/config/parse.js';
import {
  REWRITE_SIGNATURE,
  renderConfig,
  rewriteConfigFile,
  writeFileAtomic,
} from '../../src/sentinel/config/rewrite.js';
import {
  defaultSentinelConfig,
  newMasterConfig,
  type SentinelConfig,
} from '../../src/sentinel/config/model.js';

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ID_C = 'cccccccccccccccccccccccccccccccccccccccc';
const CWD = '/var/lib/vigil';

function parse(text: string): SentinelConfig {
  return parseConfig(text, 'sentinel.conf', { checkFilesystem: false, cwd: CWD });
}

function render(text: string, cfg: SentinelConfig): string {
  return renderConfig(text, cfg, { cwd: CWD });
}

/** Parse `text`, let `change` edit the config, render. */
function rewrite(text: string, change: (cfg: SentinelConfig) => void = () => undefined): string {
  const cfg = parse(text);
  change(cfg);
  return render(text, cfg);
}

describe('renderConfig: golden outputs', () => {
  it('writes a fresh file from an empty one, omitting defaults', () => {
    const cfg = defaultSentinelConfig();
    cfg.myid = ID_A;
    cfg.masters.set('mymaster', newMasterConfig('mymaster', '10.0.0.1', 6379, 2));
    assert.equal(
      render('', cfg),
      [
        REWRITE_SIGNATURE,
        'port 26379',
        'protected-mode no',
        `dir "${CWD}"`,
        `sentinel myid ${ID_A}`,
        'sentinel monitor mymaster 10.0.0.1 6379 2',
        'sentinel config-epoch mymaster 0',
        'sentinel leader-epoch mymaster 0',
        'sentinel current-epoch 0',
        '',
      ].join('\n'),
    );
  });

  it('keeps comments and layout, rewrites lines in place, drops stale lines, appends new ones', () => {
    const original = [
      '# Example sentinel.conf',
      '   # indented comment',
      'port 26379',
      '',
      '',
      '# the master',
      '\tsentinel monitor mymaster 127.0.0.1 6379 2',
      'sentinel down-after-milliseconds mymaster 5000',
      'sentinel failover-timeout mymaster 180000',
      'sentinel announce-port 0',
      'maxclients 1000',
      'sentinel known-replica mymaster 10.0.0.2 6379',
      'sentinel known-replica mymaster 10.0.0.3 6379',
      '# end',
      '',
    ].join('\n');
    const out = rewrite(original, (cfg) => {
      cfg.myid = ID_A;
      const m = cfg.masters.get('mymaster')!;
      m.host = '10.0.0.2'; // after a failover
      m.knownReplicas = [{ host: '127.0.0.1', port: 6379 }];
      m.configEpoch = 1;
      m.leaderEpoch = 1;
      cfg.currentEpoch = 1;
      m.knownSentinels.push({ host: '10.0.0.9', port: 26379, runid: ID_B });
    });
    assert.equal(
      out,
      [
        '# Example sentinel.conf',
        '# indented comment',
        'port 26379',
        '',
        '# the master',
        'sentinel monitor mymaster 10.0.0.2 6379 2',
        'sentinel down-after-milliseconds mymaster 5000',
        '',
        'maxclients 1000',
        'sentinel known-replica mymaster 127.0.0.1 6379',
        '',
        '# end',
        '',
        REWRITE_SIGNATURE,
        'protected-mode no',
        `dir "${CWD}"`,
        `sentinel myid ${ID_A}`,
        'sentinel config-epoch mymaster 1',
        'sentinel leader-epoch mymaster 1',
        `sentinel known-sentinel mymaster 10.0.0.9 26379 ${ID_B}`,
        'sentinel current-epoch 1',
        '',
      ].join('\n'),
    );
  });

  it('writes every option in redis-sentinel order, Vigil-only ones last per master', () => {
    const cfg = defaultSentinelConfig();
    cfg.myid = ID_A;
    cfg.denyScriptsReconfig = false;
    cfg.resolveHostnames = true;
    cfg.announceHostnames = true;
    const m = newMasterConfig('m1', 'db1.example', 6380, 3);
    Object.assign(m, {
      downAfterMs: 1000,
      failoverTimeoutMs: 2000,
      parallelSyncs: 4,
      notificationScript: '/opt/notify.sh',
      clientReconfigScript: '/opt/reconfig.sh',
      authPass: 'pw',
      authUser: 'app',
      masterRebootDownAfterMs: 500,
      configEpoch: 7,
      leaderEpoch: 8,
      failoverPolicy: 'available',
      manualFailover: 'forced',
      maxLagOnFailoverBytes: 1048576,
    });
    m.knownReplicas.push({ host: 'db2.example', port: 6380 });
    m.knownSentinels.push({ host: 's2.example', port: 26379, runid: ID_B });
    m.renamedCommands.set('CONFIG', 'XCONFIG');
    m.primaryHistory = { replId: ID_C, offset: 4096 };
    m.replicaHistory.set('db2.example:6380', {
      host: 'db2.example',
      port: 6380,
      replId: ID_C,
      offset: 4000,
      runId: ID_A,
      synced: true,
    });
    m.replicaHistory.set('db3.example:6380', { host: 'db3.example', port: 6380, offset: 0, synced: false });
    cfg.masters.set('m1', m);
    cfg.masters.set('m2', newMasterConfig('m2', '10.0.0.5', 6379, 1));
    cfg.currentEpoch = 8;
    cfg.announceIp = '192.0.2.1';
    cfg.announcePort = 26400;
    cfg.sentinelUser = 'sentinel';
    cfg.sentinelPass = 'spw';
    const body = render('', cfg)
      .split('\n')
      .filter((l) => l.startsWith('sentinel '));
    assert.deepEqual(body, [
      `sentinel myid ${ID_A}`,
      'sentinel deny-scripts-reconfig no',
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      'sentinel monitor m1 db1.example 6380 3',
      'sentinel down-after-milliseconds m1 1000',
      'sentinel failover-timeout m1 2000',
      'sentinel parallel-syncs m1 4',
      'sentinel notification-script m1 /opt/notify.sh',
      'sentinel client-reconfig-script m1 /opt/reconfig.sh',
      'sentinel auth-pass m1 pw',
      'sentinel auth-user m1 app',
      'sentinel master-reboot-down-after-period m1 500',
      'sentinel config-epoch m1 7',
      'sentinel leader-epoch m1 8',
      'sentinel known-replica m1 db2.example 6380',
      `sentinel known-sentinel m1 s2.example 26379 ${ID_B}`,
      'sentinel rename-command m1 CONFIG XCONFIG',
      'sentinel failover-policy m1 available',
      'sentinel manual-failover m1 forced',
      'sentinel max-lag-on-failover m1 1048576',
      `sentinel primary-history m1 ${ID_C} 4096`,
      `sentinel replica-history m1 db2.example 6380 ${ID_C} 4000 ${ID_A} yes`,
      'sentinel replica-history m1 db3.example 6380 - 0 - no',
      'sentinel monitor m2 10.0.0.5 6379 1',
      'sentinel config-epoch m2 0',
      'sentinel leader-epoch m2 0',
      'sentinel current-epoch 8',
      'sentinel announce-ip "192.0.2.1"',
      'sentinel announce-port 26400',
      'sentinel sentinel-user sentinel',
      'sentinel sentinel-pass spw',
    ]);
  });

  it('rewrites options back at their default in place, and drops unset ones', () => {
    const original = [
      'sentinel monitor m 10.0.0.1 6379 2',
      'sentinel deny-scripts-reconfig no',
      'sentinel resolve-hostnames yes',
      'sentinel announce-ip 10.0.0.100',
      'sentinel parallel-syncs m 5',
      'sentinel failover-policy m available',
      'sentinel max-lag-on-failover m 1mb',
      'sentinel auth-pass m pw',
      'sentinel sentinel-pass pw',
      `sentinel myid ${ID_A}`,
      'sentinel current-epoch 0',
      'sentinel config-epoch m 0',
      'sentinel leader-epoch m 0',
      'loglevel verbose',
      'pidfile /run/sentinel.pid',
      'requirepass pw',
      'daemonize yes',
      '',
    ].join('\n');
    const out = rewrite(original, (cfg) => {
      const m = cfg.masters.get('m')!;
      cfg.denyScriptsReconfig = true;
      cfg.resolveHostnames = false;
      cfg.announceIp = undefined;
      m.parallelSyncs = 1;
      m.failoverPolicy = 'safe';
      m.maxLagOnFailoverBytes = undefined;
      m.authPass = undefined;
      cfg.sentinelPass = undefined;
      cfg.loglevel = 'notice';
      cfg.pidfile = undefined;
      cfg.requirepass = undefined;
      cfg.daemonize = false;
    });
    assert.equal(
      out,
      [
        'sentinel monitor m 10.0.0.1 6379 2',
        'sentinel deny-scripts-reconfig yes',
        'sentinel resolve-hostnames no',
        '',
        `sentinel myid ${ID_A}`,
        'sentinel current-epoch 0',
        'sentinel config-epoch m 0',
        'sentinel leader-epoch m 0',
        'loglevel notice',
        '',
        'daemonize no',
        '',
        REWRITE_SIGNATURE,
        'port 26379',
        'protected-mode no',
        `dir "${CWD}"`,
        '',
      ].join('\n'),
    );
  });

  it('reuses the lines of each option across masters in order, and blanks a removed master', () => {
    const original = [
      'sentinel monitor a 10.0.0.1 6379 2',
      'sentinel monitor b 10.0.0.2 6379 2',
      'sentinel monitor c 10.0.0.3 6379 2',
      'sentinel config-epoch a 1',
      'sentinel config-epoch b 2',
      'sentinel config-epoch c 3',
      'sentinel leader-epoch a 1',
      'sentinel leader-epoch b 2',
      'sentinel leader-epoch c 3',
      `sentinel myid ${ID_A}`,
      'sentinel current-epoch 3',
      'port 26379',
      'protected-mode no',
      `dir "${CWD}"`,
      '',
    ].join('\n');
    // An unchanged config gives an unchanged file, but for the empty line Redis reads after the
    // final newline and writes back.
    assert.equal(rewrite(original), original + '\n');
    const out = rewrite(original, (cfg) => cfg.masters.delete('b'));
    assert.equal(
      out,
      [
        'sentinel monitor a 10.0.0.1 6379 2',
        'sentinel monitor c 10.0.0.3 6379 2',
        '',
        'sentinel config-epoch a 1',
        'sentinel config-epoch c 3',
        '',
        'sentinel leader-epoch a 1',
        'sentinel leader-epoch c 3',
        '',
        `sentinel myid ${ID_A}`,
        'sentinel current-epoch 3',
        'port 26379',
        'protected-mode no',
        `dir "${CWD}"`,
        '',
        '',
      ].join('\n'),
    );
  });

  it('handles server lines like redis-sentinel: save and loadmodule dropped, unknown ones commented', () => {
    const original = [
      'port 26379',
      'save 900 1',
      'save 300 10',
      'loadmodule /opt/mod.so',
      'mymodule.option 5',
      'list-max-ziplist-entries 512',
      'slaveof 10.0.0.1 6379',
      'maxmemory 1073741824',
      'bind * -::*',
      'rename-command ping xping',
      'include /etc/vigil/extra.conf',
      'user alice on >pw ~* +@all',
      'user default on nopass ~* &* +@all',
      'sentinel',
      `sentinel myid ${ID_A}`,
      'sentinel current-epoch 0',
      'protected-mode no',
      `dir "${CWD}"`,
      '',
    ].join('\n');
    const cfg = parseConfig(original.replace('include /etc/vigil/extra.conf\n', ''), 'sentinel.conf', {
      checkFilesystem: false,
      cwd: CWD,
    });
    assert.equal(
      render(original, cfg),
      [
        'port 26379',
        '',
        '# ??? mymodule.option 5',
        '# ??? list-max-ziplist-entries 512',
        'slaveof 10.0.0.1 6379',
        'maxmemory 1073741824',
        '',
        'rename-command ping xping',
        'include /etc/vigil/extra.conf',
        'user alice on >pw ~* +@all',
        'user default on nopass ~* &* +@all',
        'sentinel',
        `sentinel myid ${ID_A}`,
        'sentinel current-epoch 0',
        'protected-mode no',
        `dir "${CWD}"`,
        '',
        '',
      ].join('\n'),
    );
    // With an ACL file, inline users are dropped (they live in the ACL file).
    cfg.aclfile = '/etc/vigil/users.acl';
    const withAcl = render(original, cfg);
    assert.ok(!withAcl.includes('user alice'));
    assert.ok(withAcl.endsWith(`${REWRITE_SIGNATURE}\naclfile "/etc/vigil/users.acl"\n`));
  });

  it('rewrites old known-slave lines as known-replica instead of duplicating them', () => {
    const original = [
      'sentinel monitor m 10.0.0.1 6379 2',
      'sentinel known-slave m 10.0.0.2 6379',
      `sentinel myid ${ID_A}`,
      'sentinel config-epoch m 0',
      'sentinel leader-epoch m 0',
      'sentinel current-epoch 0',
      '',
    ].join('\n');
    const out = rewrite(original);
    assert.ok(out.includes('sentinel known-replica m 10.0.0.2 6379\n'));
    assert.ok(!out.includes('known-slave'));
    assert.equal(parse(out).masters.get('m')!.knownReplicas.length, 1);
  });

  it('writes the durable replication history in place, last in its block, and only when known', () => {
    /** The lines of a file, blank ones left out (a rewrite squeezes and adds blank lines). */
    const body = (text: string): string[] => text.split('\n').filter((l) => l !== '');
    // As redis-sentinel writes a file: no history lines, and none appear in the rewrite.
    const plain = [
      'port 26379',
      'sentinel monitor m 10.0.0.1 6379 2',
      `sentinel myid ${ID_A}`,
      'sentinel config-epoch m 0',
      'sentinel leader-epoch m 0',
      '',
      REWRITE_SIGNATURE,
      'protected-mode no',
      `dir "${CWD}"`,
      'sentinel current-epoch 0',
      'sentinel known-replica m 10.0.0.2 6379',
      '',
    ].join('\n');
    assert.deepEqual(body(rewrite(plain)), body(plain));
    // The history is learnt: the new lines are appended, after everything else of the master.
    const learnt = rewrite(plain, (cfg) => {
      const m = cfg.masters.get('m')!;
      m.primaryHistory = { replId: ID_B, offset: 1000 };
      m.replicaHistory.set('10.0.0.2:6379', {
        host: '10.0.0.2',
        port: 6379,
        replId: ID_B,
        offset: 900,
        runId: ID_C,
        synced: true,
      });
    });
    assert.deepEqual(body(learnt), [
      ...body(plain),
      `sentinel primary-history m ${ID_B} 1000`,
      `sentinel replica-history m 10.0.0.2 6379 ${ID_B} 900 ${ID_C} yes`,
    ]);
    // Lines already in the file are rewritten where they are; one more replica follows them.
    const placed = [
      'sentinel monitor m 10.0.0.1 6379 2',
      `sentinel replica-history m 10.0.0.2 6379 ${ID_B} 900 ${ID_C} yes`,
      `sentinel primary-history m ${ID_B} 1000`,
      '# end of m',
      `sentinel myid ${ID_A}`,
      'sentinel config-epoch m 0',
      'sentinel leader-epoch m 0',
      'sentinel current-epoch 0',
      'sentinel known-replica m 10.0.0.2 6379',
      'protected-mode no',
      `dir "${CWD}"`,
      REWRITE_SIGNATURE,
    ].join('\n');
    const moved = rewrite(placed, (cfg) => {
      const m = cfg.masters.get('m')!;
      m.primaryHistory!.offset = 2000;
      m.replicaHistory.get('10.0.0.2:6379')!.offset = 1900;
      m.replicaHistory.set('10.0.0.3:6379', { host: '10.0.0.3', port: 6379, offset: 5, synced: false });
    });
    assert.deepEqual(body(moved), [
      'sentinel monitor m 10.0.0.1 6379 2',
      `sentinel replica-history m 10.0.0.2 6379 ${ID_B} 1900 ${ID_C} yes`,
      `sentinel primary-history m ${ID_B} 2000`,
      '# end of m',
      `sentinel myid ${ID_A}`,
      'sentinel config-epoch m 0',
      'sentinel leader-epoch m 0',
      'sentinel current-epoch 0',
      'sentinel known-replica m 10.0.0.2 6379',
      'protected-mode no',
      `dir "${CWD}"`,
      REWRITE_SIGNATURE,
      'port 26379',
      'sentinel replica-history m 10.0.0.3 6379 - 5 - no',
    ]);
    // Forgotten (SENTINEL RESET): the old lines go.
    const forgotten = rewrite(moved, (cfg) => {
      const m = cfg.masters.get('m')!;
      delete m.primaryHistory;
      m.replicaHistory.clear();
    });
    assert.deepEqual(
      body(forgotten),
      body(moved).filter((l) => !l.includes('-history')),
    );
    // So do those of a removed master.
    assert.ok(!rewrite(moved, (cfg) => cfg.masters.delete('m')).includes('history'));
  });

  it('quotes values only where a bare value would not read back (redis-sentinel writes them bare)', () => {
    const cfg = defaultSentinelConfig();
    cfg.myid = ID_A;
    const m = newMasterConfig('m', '10.0.0.1', 6379, 2);
    m.authPass = 'pass word';
    m.authUser = `o'neil`;
    m.renamedCommands.set('FLUSHALL', '');
    m.notificationScript = '/opt/my scripts/n.sh';
    cfg.masters.set('m', m);
    cfg.sentinelPass = 'tab\there';
    cfg.announceIp = 'host"x';
    cfg.users.push(['bob', 'on', '>pass word', '~*', '+@all']);
    cfg.pidfile = '/run/é.pid';
    const out = render('', cfg);
    for (const line of [
      'sentinel auth-pass m "pass word"',
      `sentinel auth-user m "o'neil"`,
      'sentinel rename-command m FLUSHALL ""',
      'sentinel notification-script m "/opt/my scripts/n.sh"',
      'sentinel sentinel-pass "tab\\there"',
      'sentinel announce-ip "host\\"x"',
      'user bob on ">pass word" ~* +@all',
      'pidfile "/run/\\xc3\\xa9.pid"',
    ]) {
      assert.ok(out.includes(`\n${line}\n`), `missing ${line} in\n${out}`);
    }
    const back = parse(out);
    const bm = back.masters.get('m')!;
    assert.equal(bm.authPass, 'pass word');
    assert.equal(bm.authUser, `o'neil`);
    assert.equal(bm.renamedCommands.get('FLUSHALL'), '');
    assert.equal(bm.notificationScript, '/opt/my scripts/n.sh');
    assert.equal(back.sentinelPass, 'tab\there');
    assert.equal(back.announceIp, 'host"x');
    assert.deepEqual(back.users, [['bob', 'on', '>pass word', '~*', '+@all']]);
    assert.equal(back.pidfile, '/run/é.pid');
  });

  it('does not copy the set-like lines of a master defined in an included file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-inc-'));
    try {
      const inc = join(dir, 'masters.conf');
      writeFileSync(
        inc,
        'sentinel monitor mi 10.0.0.1 6379 2\nsentinel known-replica mi 10.0.0.2 6379\n' +
          `sentinel replica-history mi 10.0.0.2 6379 ${ID_C} 10 ${ID_B} yes\n`,
      );
      const original = `include ${inc}\n`;
      const cfg = parseConfig(original, join(dir, 'sentinel.conf'), { cwd: dir });
      const m = cfg.masters.get('mi')!;
      assert.equal(m.definedIn, inc);
      cfg.myid = ID_A;
      m.configEpoch = 4;
      m.downAfterMs = 9000;
      m.primaryHistory = { replId: ID_C, offset: 20 };
      const out = renderConfig(original, cfg, { cwd: dir });
      assert.ok(!out.includes('sentinel monitor'));
      assert.ok(!out.includes('known-replica'));
      assert.ok(!out.includes('replica-history'));
      assert.ok(out.includes('sentinel down-after-milliseconds mi 9000\nsentinel config-epoch mi 4\n'));
      // primary-history is single-valued like config-epoch: it is written, and wins over an older one.
      assert.ok(out.includes(`sentinel primary-history mi ${ID_C} 20\n`));
      const again = parseConfig(out, join(dir, 'sentinel.conf'), { cwd: dir });
      assert.equal(again.masters.get('mi')!.configEpoch, 4);
      assert.equal(again.masters.get('mi')!.knownReplicas.length, 1);
      assert.equal(again.masters.get('mi')!.replicaHistory.size, 1);
      assert.deepEqual(again.masters.get('mi')!.primaryHistory, { replId: ID_C, offset: 20 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is stable and round-trips: parse(render(x)) equals x, and a second rewrite only squeezes the tail', () => {
    const original = [
      'port 26380',
      'bind 127.0.0.1 ::1',
      'sentinel monitor m 10.0.0.1 6379 2',
      'sentinel down-after-milliseconds m 5000',
      'sentinel known-replica m 10.0.0.2 6379',
      `sentinel known-sentinel m 10.0.0.3 26379 ${ID_C}`,
      'sentinel rename-command m CONFIG XCONFIG',
      'sentinel failover-policy m available',
      'sentinel max-lag-on-failover m 4096',
      `sentinel primary-history m ${ID_B} 123456`,
      `sentinel replica-history m 10.0.0.2 6379 ${ID_B} 123000 ${ID_C} yes`,
      'sentinel replica-history m 10.0.0.7 6379 - 0 - no',
      'logfile "/var/log/vigil.log"',
      'user admin on >x +@all',
      '',
    ].join('\n');
    const cfg = parse(original);
    cfg.myid = ID_A;
    const once = render(original, cfg);
    const back = parse(once);
    assert.deepEqual(back, { ...cfg, dir: CWD, ignoredDirectives: back.ignoredDirectives });
    const twice = render(once, back);
    // Redis keeps the empty last line its own output ends with: a second pass adds one blank line
    // at the end, and from then on the file is a fixed point.
    assert.equal(twice, once + '\n');
    assert.equal(render(twice, parse(twice)), twice);
  });
});

describe('writeFileAtomic / rewriteConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the content, keeps the mode, leaves no temporary file', () => {
    const p = join(dir, 'sentinel.conf');
    writeFileSync(p, 'port 26379\n');
    chmodSync(p, 0o600);
    writeFileAtomic(p, 'port 26380\n');
    assert.equal(readFileSync(p, 'utf8'), 'port 26380\n');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.ok(!existsSync(`${p}.tmp.${process.pid}`));
  });

  it('follows a symbolic link: the target is replaced, the link stays', () => {
    const real = join(dir, 'real.conf');
    const link = join(dir, 'link.conf');
    writeFileSync(real, 'port 1\n');
    symlinkSync(real, link);
    writeFileAtomic(link, 'port 2\n');
    assert.equal(readFileSync(real, 'utf8'), 'port 2\n');
    assert.ok(lstatSync(link).isSymbolicLink());
  });

  it('rewriteConfigFile reads the file, renders and writes it', () => {
    const p = join(dir, 'rw.conf');
    writeFileSync(p, '# mine\nsentinel monitor m 10.0.0.1 6379 2\n');
    const cfg = parseConfig(readFileSync(p, 'utf8'), p, { cwd: dir });
    cfg.myid = ID_A;
    cfg.masters.get('m')!.quorum = 3;
    const text = rewriteConfigFile(p, cfg, { cwd: dir });
    assert.equal(readFileSync(p, 'utf8'), text);
    assert.ok(text.startsWith('# mine\nsentinel monitor m 10.0.0.1 6379 3\n'));
  });
});

// ------------------------------------------------------------------------------------------------
// Side by side with the real redis-sentinel 7.0

const REDIS_SENTINEL = '/usr/bin/redis-sentinel';
const REDIS_CLI = '/usr/bin/redis-cli';
const haveRedis = existsSync(REDIS_SENTINEL) && existsSync(REDIS_CLI);
const execFileP = promisify(execFile);

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

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Make redis-sentinel's output comparable with Vigil's: drop the lines only Redis writes (its
 * ACL default user and latency percentiles), and order each run of lines of one option (Redis
 * writes masters, replicas and the appended server options in hash-table order, which changes
 * from run to run).
 */
function normalise(text: string): string[] {
  const lines = text
    .split('\n')
    .filter((l) => !l.startsWith('latency-tracking-info-percentiles ') && !l.startsWith('user default '));
  const sigAt = lines.indexOf(REWRITE_SIGNATURE);
  const key = (l: string, i: number): string => {
    if (l.startsWith('sentinel ')) return l.split(' ').slice(0, 2).join(' ');
    if (sigAt >= 0 && i > sigAt && l !== '' && !l.startsWith('#')) return 'server';
    return `line ${i}`;
  };
  const out: string[] = [];
  let run: string[] = [];
  let runKey = '';
  lines.forEach((l, i) => {
    const k = key(l, i);
    if (k !== runKey) {
      out.push(...run.sort());
      run = [];
      runKey = k;
    }
    run.push(l);
  });
  out.push(...run.sort());
  return out;
}

describe(
  'side by side with redis-sentinel 7.0',
  { skip: !haveRedis && 'redis-sentinel is not installed' },
  () => {
    const procs: ChildProcess[] = [];
    const dirs: string[] = [];
    after(async () => {
      for (const p of procs) {
        if (p.exitCode === null && p.signalCode === null) {
          p.kill('SIGKILL');
          await new Promise((r) => p.once('exit', r));
        }
      }
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    /** A temp dir with `sentinel.conf` holding `text` (with PORT replaced by a free port). */
    async function setup(text: string): Promise<{ dir: string; conf: string; port: number; text: string }> {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-real-')));
      dirs.push(dir);
      const port = await freePort();
      const conf = join(dir, 'sentinel.conf');
      const body = text.replaceAll('PORT', String(port));
      writeFileSync(conf, body);
      return { dir, conf, port, text: body };
    }

    /** Start redis-sentinel on `conf`; resolves once it has written its id into the file. */
    async function start(conf: string, dir: string, port: number): Promise<ChildProcess> {
      const p = spawn(REDIS_SENTINEL, [conf, '--port', String(port), '--bind', '127.0.0.1'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      procs.push(p);
      let output = '';
      p.stdout.on('data', (d: Buffer) => (output += d.toString()));
      p.stderr.on('data', (d: Buffer) => (output += d.toString()));
      await until('redis-sentinel to start', () => {
        if (p.exitCode !== null) throw new Error(`redis-sentinel exited: ${output}`);
        return output.includes('Sentinel ID is');
      });
      return p;
    }

    async function stop(p: ChildProcess): Promise<void> {
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }

    async function cli(port: number, ...args: string[]): Promise<void> {
      const { stdout } = await execFileP(REDIS_CLI, ['-p', String(port), ...args]);
      assert.equal(stdout.trim(), 'OK', `${args.join(' ')} -> ${stdout}`);
    }

    function myidOf(text: string): string {
      const m = /^sentinel myid (\S+)$/m.exec(text);
      assert.ok(m, 'redis-sentinel wrote no myid');
      return m[1]!;
    }

    it('rewrites a full config at start-up exactly like redis-sentinel', { timeout: 30_000 }, async () => {
      const scripts = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-scripts-')));
      dirs.push(scripts);
      const notify = join(scripts, 'notify.sh');
      writeFileSync(notify, '#!/bin/sh\nexit 0\n');
      chmodSync(notify, 0o755);
      const { dir, conf, port, text } = await setup(
        [
          '# Vigil side-by-side check',
          '  # indented comment',
          'port PORT',
          'bind 127.0.0.1',
          'daemonize no',
          'pidfile ""',
          'logfile ""',
          'loglevel verbose',
          'maxclients 1000',
          'save 900 1',
          'list-max-ziplist-entries 512',
          '',
          'sentinel monitor mymaster 127.0.0.1 1 2',
          'sentinel down-after-milliseconds mymaster 5000',
          'sentinel failover-timeout mymaster 180000',
          'sentinel parallel-syncs mymaster 2',
          `sentinel notification-script mymaster ${notify}`,
          `sentinel client-reconfig-script mymaster ${notify}`,
          'sentinel auth-pass mymaster s3cret',
          'sentinel auth-user mymaster alice',
          'sentinel master-reboot-down-after-period mymaster 0',
          'sentinel known-replica mymaster 127.0.0.1 2',
          'sentinel known-replica mymaster 127.0.0.1 3',
          `sentinel known-sentinel mymaster 127.0.0.1 4 ${ID_B}`,
          `sentinel known-sentinel mymaster 127.0.0.1 5 ${ID_C}`,
          'sentinel known-sentinel mymaster 127.0.0.1 6',
          'sentinel rename-command mymaster CONFIG MYCONFIG',
          'sentinel config-epoch mymaster 3',
          'sentinel leader-epoch mymaster 4',
          'sentinel current-epoch 2',
          'sentinel announce-ip ""',
          'sentinel announce-port 0',
          'sentinel deny-scripts-reconfig yes',
          'sentinel resolve-hostnames no',
          '# trailing comment',
          '',
        ].join('\n'),
      );
      const cfg = parseConfig(text, conf, { cwd: dir });
      await stop(await start(conf, dir, port));
      const real = readFileSync(conf, 'utf8');
      cfg.myid = myidOf(real);
      const vigil = renderConfig(text, cfg, { cwd: dir });
      assert.deepEqual(normalise(vigil), normalise(real), `vigil:\n${vigil}\nredis-sentinel:\n${real}`);
    });

    it(
      'follows redis-sentinel through SENTINEL SET / CONFIG SET / REMOVE rewrites',
      { timeout: 30_000 },
      async () => {
        const { dir, conf, port, text } = await setup(
          [
            'port PORT',
            'bind 127.0.0.1',
            'sentinel monitor mymaster 127.0.0.1 1 2',
            'sentinel monitor other 127.0.0.1 2 2',
            'sentinel config-epoch mymaster 0',
            'sentinel config-epoch other 0',
            'sentinel leader-epoch mymaster 0',
            'sentinel leader-epoch other 0',
            '',
          ].join('\n'),
        );
        const cfg = parseConfig(text, conf, { cwd: dir });
        const p = await start(conf, dir, port);
        const snapshots: string[] = [readFileSync(conf, 'utf8')];
        cfg.myid = myidOf(snapshots[0]!);
        let vigil = renderConfig(text, cfg, { cwd: dir });
        const steps: [string[], (c: SentinelConfig) => void][] = [
          [['SENTINEL', 'CONFIG', 'SET', 'announce-port', '1234'], (c) => (c.announcePort = 1234)],
          [['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'yes'], (c) => (c.resolveHostnames = true)],
          [
            [
              'SENTINEL',
              'SET',
              'mymaster',
              'rename-command',
              'GET',
              'XGET',
              'failover-timeout',
              '1000',
              'quorum',
              '3',
            ],
            (c) => {
              const m = c.masters.get('mymaster')!;
              m.renamedCommands.set('GET', 'XGET');
              m.failoverTimeoutMs = 1000;
              m.quorum = 3;
            },
          ],
          [
            ['SENTINEL', 'SET', 'mymaster', 'auth-pass', 'pw', 'down-after-milliseconds', '30000'],
            (c) => {
              c.masters.get('mymaster')!.authPass = 'pw';
            },
          ],
          [['SENTINEL', 'CONFIG', 'SET', 'sentinel-user', 'bob'], (c) => (c.sentinelUser = 'bob')],
          [['SENTINEL', 'REMOVE', 'other'], (c) => c.masters.delete('other')],
          [['SENTINEL', 'CONFIG', 'SET', 'announce-ip', '192.0.2.7'], (c) => (c.announceIp = '192.0.2.7')],
          [['SENTINEL', 'FLUSHCONFIG'], () => undefined],
        ];
        assert.deepEqual(normalise(vigil), normalise(snapshots[0]!));
        for (const [command, change] of steps) {
          await cli(port, ...command);
          const real = readFileSync(conf, 'utf8');
          change(cfg);
          vigil = renderConfig(vigil, cfg, { cwd: dir });
          assert.deepEqual(
            normalise(vigil),
            normalise(real),
            `after ${command.join(' ')}:\n${vigil}\n---\n${real}`,
          );
        }
        await stop(p);
      },
    );

    it(
      'redis-sentinel loads what Vigil writes, and Vigil loads what redis-sentinel writes',
      { timeout: 30_000 },
      async () => {
        const { dir, conf, port, text } = await setup(
          [
            'port PORT',
            'sentinel monitor m 127.0.0.1 1 2',
            'sentinel known-replica m 127.0.0.1 2',
            `sentinel known-sentinel m 127.0.0.1 3 ${ID_B}`,
            'sentinel failover-timeout m 60000',
            '',
          ].join('\n'),
        );
        const cfg = parseConfig(text, conf, { cwd: dir });
        cfg.myid = ID_A;
        cfg.bind = ['127.0.0.1'];
        const vigil = renderConfig(text, cfg, { cwd: dir });
        writeFileSync(conf, vigil);
        const p = await start(conf, dir, port);
        await cli(port, 'SENTINEL', 'FLUSHCONFIG');
        await stop(p);
        const real = readFileSync(conf, 'utf8');
        const back = parseConfig(real, conf, { cwd: dir });
        assert.deepEqual(back.masters, cfg.masters);
        assert.equal(back.myid, ID_A);
        assert.deepEqual(back.users, [['default', 'on', 'nopass', '~*', '&*', '+@all']]);
        // Redis's second pass over its own output differs only by the lines Vigil does not write.
        assert.deepEqual(normalise(renderConfig(vigil, cfg, { cwd: dir })), normalise(real));
      },
    );
  },
);
