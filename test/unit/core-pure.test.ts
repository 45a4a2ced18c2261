import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHello } from '../../src/core/hello.js';
import { parseInfo } from '../../src/core/info.js';
import { compareForPromotion } from '../../src/core/select-replica.js';
import { newMaster, newReplica } from '../../src/core/instance.js';
import { newMasterRecord } from '../../src/core/record.js';
import { Acl, sha256 } from '../../src/sentinel/acl.js';
import { globMatch } from '../../src/sentinel/glob.js';

describe('globMatch (Redis stringmatchlen)', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'anything', true],
    ['my*', 'mymaster', true],
    ['my?aster', 'mymaster', true],
    ['my[a-z]aster', 'mymaster', true],
    ['my[^m]aster', 'mymaster', false],
    ['h[ae]llo', 'hallo', true],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['announce-*', 'announce-ip', true],
    ['', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
  ];
  for (const [p, s, want] of cases) {
    it(`${JSON.stringify(p)} vs ${JSON.stringify(s)} -> ${want}`, () => assert.equal(globMatch(p, s), want));
  }
  it('nocase', () => assert.equal(globMatch('ANNOUNCE-*', 'announce-port', true), true));
  it('a pathological pattern terminates', () => {
    assert.equal(globMatch('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(40)), false);
  });
});

describe('parseInfo', () => {
  const primary = [
    '# Server',
    'run_id:0123456789abcdef0123456789abcdef01234567',
    '# Replication',
    'role:master',
    'connected_slaves:2',
    'slave0:ip=127.0.0.1,port=6380,state=online,offset=1234,lag=0',
    'slave1:ip=127.0.0.1,port=6381,state=online,offset=1200,lag=1',
    'master_replid:aaaa',
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:1234',
    'second_repl_offset:-1',
    '',
  ].join('\r\n');

  it('reads the role, run id, replication ids and listed replicas', () => {
    const i = parseInfo(primary);
    assert.equal(i.role, 'master');
    assert.equal(i.runId, '0123456789abcdef0123456789abcdef01234567');
    assert.deepEqual(
      i.replicas.map((r) => [r.ip, r.port, r.offset]),
      [
        ['127.0.0.1', 6380, 1234],
        ['127.0.0.1', 6381, 1200],
      ],
    );
    assert.equal(i.masterReplId, 'aaaa');
    assert.equal(i.masterReplOffset, 1234);
    assert.equal(i.secondReplOffset, -1);
  });

  it('reads a replica: link status, link-down time, priority, offset', () => {
    const i = parseInfo(
      'role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\n' +
        'master_link_down_since_seconds:7\r\nslave_priority:0\r\nslave_repl_offset:99\r\nreplica_announced:0\r\n',
    );
    assert.equal(i.role, 'slave');
    assert.equal(i.masterLinkUp, false);
    assert.equal(i.masterLinkDownSinceMs, 7000);
    assert.equal(i.replicaPriority, 0);
    assert.equal(i.replicaReplOffset, 99);
    assert.equal(i.replicaAnnounced, false);
  });

  it('accepts the pre-2.8 replica line format and garbage without throwing', () => {
    assert.deepEqual(parseInfo('slave0:10.0.0.1,6379,online\n').replicas[0]?.port, 6379);
    const junk = parseInfo('\u0000:::\r\nslave9:ip=,port=x\r\nrun_id:short\r\n');
    assert.equal(junk.runId, undefined);
    assert.equal(junk.role, undefined);
  });
});

describe('parseHello', () => {
  it('reads the eight fields', () => {
    const h = parseHello('127.0.0.1,26379,abcd,7,mymaster,127.0.0.1,6379,3');
    assert.deepEqual(h, {
      ip: '127.0.0.1',
      port: 26379,
      runId: 'abcd',
      currentEpoch: 7,
      masterName: 'mymaster',
      masterIp: '127.0.0.1',
      masterPort: 6379,
      masterConfigEpoch: 3,
    });
  });
  it('refuses a message with the wrong number of fields', () => {
    assert.equal(parseHello('1,2,3'), undefined);
    assert.equal(parseHello(''), undefined);
  });
});

describe("Sentinel's promotion order", () => {
  const m = newMaster(
    newMasterRecord('m', { host: '127.0.0.1', port: 6379 }, 1, {
      downAfterMs: 1000,
      failoverTimeoutMs: 10_000,
    }),
    0,
  );
  const r = (port: number, priority: number, offset: number, runId?: string) => {
    const x = newReplica(m, { host: '127.0.0.1', port }, 0);
    x.priority = priority;
    x.replOffset = offset;
    x.runId = runId;
    return x;
  };
  it('lower priority first, then the higher offset, then the smaller run id', () => {
    const list = [
      r(1, 100, 50, 'b'),
      r(2, 10, 1, 'z'),
      r(3, 100, 90, 'c'),
      r(4, 100, 90, 'a'),
      r(5, 100, 90),
    ];
    list.sort(compareForPromotion);
    assert.deepEqual(
      list.map((x) => x.addr.port),
      [2, 4, 3, 5, 1],
    );
  });
});

describe('ACL', () => {
  const acl = new Acl((cmd) =>
    cmd === 'sentinel' ? ['@admin', '@slow', '@dangerous'] : ['@fast', '@connection'],
  );
  it('the default user has every command and no password until requirepass sets one', () => {
    assert.ok(acl.authenticate('default', 'anything'));
    acl.setRequirePass('pw');
    assert.equal(acl.authenticate('default', 'nope'), undefined);
    assert.ok(acl.authenticate('default', 'pw'));
    assert.ok(acl.allowed('default', 'sentinel', 'failover'));
  });
  it('rules apply in order: categories, commands and subcommands', () => {
    acl.setUser('u', ['on', '>x', '-@all', '+@connection', '+sentinel|masters']);
    assert.ok(acl.allowed('u', 'ping'));
    assert.ok(acl.allowed('u', 'sentinel', 'masters'));
    assert.equal(acl.allowed('u', 'sentinel', 'failover'), false);
    acl.setUser('u', ['-ping']);
    assert.equal(acl.allowed('u', 'ping'), false);
  });
  it('off users cannot log in; hashed passwords work; bad rules are refused with Redis wording', () => {
    acl.setUser('h', ['on', `#${sha256('secret')}`]);
    assert.ok(acl.authenticate('h', 'secret'));
    acl.setUser('h', ['off']);
    assert.equal(acl.authenticate('h', 'secret'), undefined);
    assert.throws(() => acl.setUser('h', ['bogus']), /Error in ACL SETUSER modifier 'bogus': Syntax error/);
    assert.throws(() => acl.deleteUser('default'), /cannot be removed/);
  });
  it('ACL LIST renders like Redis 7.0', () => {
    const fresh = new Acl(() => []);
    assert.equal(fresh.describe(fresh.users.get('default')!), 'user default on nopass ~* &* +@all');
  });
});
