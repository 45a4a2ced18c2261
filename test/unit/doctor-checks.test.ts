import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateRow, orderRows, verdict } from '../../src/cli/candidates.js';
import { parseEndpoint } from '../../src/cli/common.js';
import {
  checkAnnounce,
  checkDisklessDelay,
  checkDownAfterLatency,
  checkFailoverPolicy,
  checkMinReplicas,
  checkMonitorCount,
  checkMonitorsAgree,
  checkPersistence,
  checkPrimaryReachable,
  checkReplicaPriority,
  exitCodeFor,
  runChecks,
  suggestedMaxLag,
  type DoctorFacts,
  type Finding,
  type MonitorFacts,
  type NodeFacts,
} from '../../src/cli/doctor-checks.js';

const SAFE_CONFIG = {
  save: '3600 1 300 100 60 10000',
  appendonly: 'no',
  'replica-priority': '100',
  'min-replicas-to-write': '1',
  'min-replicas-max-lag': '4',
  'repl-diskless-sync': 'yes',
  'repl-diskless-sync-delay': '5',
  'replica-announce-ip': '',
  'replica-announce-port': '0',
};

function node(port: number, role: NodeFacts['role'], over: Partial<NodeFacts> = {}): NodeFacts {
  const runid = `${port}`.padEnd(40, 'a');
  return {
    addr: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    role,
    reachable: true,
    config: { ...SAFE_CONFIG },
    info:
      role === 'primary'
        ? {
            role: 'master',
            run_id: runid,
            connected_slaves: '2',
            min_slaves_good_slaves: '2',
            slave0: 'ip=127.0.0.1,port=6380,state=online,offset=10,lag=0',
            slave1: 'ip=127.0.0.1,port=6381,state=online,offset=10,lag=0',
          }
        : { role: 'slave', run_id: runid, master_link_status: 'up' },
    monitorView: { ip: '127.0.0.1', port: String(port), runid, 'slave-priority': '100' },
    worstPingMs: 0.5,
    ...over,
  };
}

function monitor(port: number, over: Partial<MonitorFacts> = {}): MonitorFacts {
  return {
    addr: `127.0.0.1:${port}`,
    source: 'given',
    reachable: true,
    runid: `m${port}`,
    master: { ip: '127.0.0.1', port: '6379', 'num-other-sentinels': '2', quorum: '2' },
    worstPingMs: 0.4,
    ...over,
  };
}

/** A group that passes every check: persistence, 2 promotable replicas, 3 monitors, safe policy. */
function healthy(): DoctorFacts {
  return {
    name: 'mymaster',
    master: {
      ip: '127.0.0.1',
      port: '6379',
      quorum: '2',
      'num-other-sentinels': '2',
      'down-after-milliseconds': '5000',
    },
    primary: node(6379, 'primary'),
    replicas: [node(6380, 'replica'), node(6381, 'replica')],
    monitors: [
      monitor(26379),
      monitor(26380, { source: 'discovered', reportedRunid: 'm26380' }),
      monitor(26381, { source: 'discovered', reportedRunid: 'm26381' }),
    ],
    failoverPolicy: 'safe',
  };
}

function bad(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity !== 'ok');
}

function only(findings: Finding[], check: string): Finding {
  const hits = findings.filter((f) => f.check === check && f.severity !== 'ok');
  assert.equal(hits.length, 1, `one ${check} finding expected, got ${JSON.stringify(findings, null, 2)}`);
  return hits[0]!;
}

describe('doctor checks on a healthy group', () => {
  it('report nothing but ok, exit code 0', () => {
    const findings = runChecks(healthy());
    assert.deepEqual(bad(findings), []);
    assert.equal(exitCodeFor(findings), 0);
    assert.ok(findings.length >= 6);
  });
});

describe('persistence', () => {
  it('off on the primary: an error with the fix', () => {
    const f = healthy();
    f.primary.config['save'] = '';
    f.primary.config['appendonly'] = 'no';
    const x = only(checkPersistence(f), 'persistence');
    assert.equal(x.severity, 'error');
    assert.match(x.what, /persistence is off on the primary 127\.0\.0\.1:6379/);
    assert.match(x.fix ?? '', /CONFIG SET appendonly yes/);
    assert.ok(x.why);
    assert.equal(exitCodeFor(runChecks(f)), 2);
  });
  it('AOF alone or RDB alone is persistence', () => {
    const f = healthy();
    f.primary.config['save'] = '';
    f.primary.config['appendonly'] = 'yes';
    assert.deepEqual(bad(checkPersistence(f)), []);
  });
  it('off on replicas only: a warning naming them', () => {
    const f = healthy();
    f.replicas[1]!.config['save'] = '';
    const x = only(checkPersistence(f), 'persistence-replicas');
    assert.equal(x.severity, 'warning');
    assert.equal(x.subject, '127.0.0.1:6381');
  });
  it('unreadable config: no claim either way', () => {
    const f = healthy();
    f.primary.config = {};
    assert.deepEqual(checkPersistence(f), []);
  });
});

describe('repl-diskless-sync-delay', () => {
  it('warns when persistence is off and the delay is > 0', () => {
    const f = healthy();
    f.primary.config['save'] = '';
    const x = only(checkDisklessDelay(f), 'diskless-sync-delay');
    assert.equal(x.severity, 'warning');
    assert.match(x.what, /repl-diskless-sync-delay is 5 s/);
    assert.match(x.fix ?? '', /master-reboot-down-after-period mymaster/);
  });
  it('silent with persistence on, a zero delay, or disk-based sync', () => {
    assert.deepEqual(checkDisklessDelay(healthy()), []);
    const zero = healthy();
    zero.primary.config['save'] = '';
    zero.primary.config['repl-diskless-sync-delay'] = '0';
    assert.deepEqual(checkDisklessDelay(zero), []);
    const disk = healthy();
    disk.primary.config['save'] = '';
    disk.primary.config['repl-diskless-sync'] = 'no';
    assert.deepEqual(checkDisklessDelay(disk), []);
  });
});

describe('replica priority', () => {
  it('priority 0 everywhere: an error', () => {
    const f = healthy();
    for (const r of f.replicas) r.config['replica-priority'] = '0';
    const x = only(checkReplicaPriority(f), 'replica-priority');
    assert.equal(x.severity, 'error');
    assert.match(x.what, /every replica has replica-priority 0/);
    assert.match(x.fix ?? '', /CONFIG SET replica-priority 100/);
  });
  it("the node's own config wins over the monitor's (possibly older) view", () => {
    const f = healthy();
    for (const r of f.replicas) r.monitorView['slave-priority'] = '0';
    assert.deepEqual(bad(checkReplicaPriority(f)), []);
  });
  it("falls back to the monitor's view when CONFIG GET is not allowed", () => {
    const f = healthy();
    for (const r of f.replicas) {
      r.config = {};
      r.monitorView['slave-priority'] = '0';
    }
    assert.equal(only(checkReplicaPriority(f), 'replica-priority').severity, 'error');
  });
  it('a single promotable replica: a note', () => {
    const f = healthy();
    f.replicas[0]!.config['replica-priority'] = '0';
    const x = only(checkReplicaPriority(f), 'replica-priority');
    assert.equal(x.severity, 'info');
    assert.equal(x.subject, '127.0.0.1:6381');
  });
  it('no replica at all: an error', () => {
    const f = healthy();
    f.replicas = [];
    assert.equal(only(checkReplicaPriority(f), 'replica-priority').severity, 'error');
  });
});

describe('min-replicas-to-write / min-replicas-max-lag', () => {
  it('0 on the primary: a warning with both settings in the fix', () => {
    const f = healthy();
    f.primary.config['min-replicas-to-write'] = '0';
    const x = only(checkMinReplicas(f), 'min-replicas-to-write');
    assert.equal(x.severity, 'warning');
    assert.match(x.what, /127\.0\.0\.1:6379 \(primary\)/);
    assert.match(x.fix ?? '', /min-replicas-to-write 1/);
    assert.match(x.fix ?? '', /min-replicas-max-lag 4/);
  });
  it('max-lag not below down-after: a warning', () => {
    const f = healthy();
    for (const n of [f.primary, ...f.replicas]) n.config['min-replicas-max-lag'] = '10';
    const x = only(checkMinReplicas(f), 'min-replicas-max-lag');
    assert.equal(x.severity, 'warning');
    assert.match(x.what, /\(10 s\) is not below down-after \(5 s\)/);
    assert.match(x.fix ?? '', /CONFIG SET min-replicas-max-lag 4/);
  });
  it('max-lag is irrelevant where min-replicas-to-write is 0', () => {
    const f = healthy();
    for (const n of [f.primary, ...f.replicas]) {
      n.config['min-replicas-to-write'] = '0';
      n.config['min-replicas-max-lag'] = '10';
    }
    assert.equal(checkMinReplicas(f).filter((x) => x.check === 'min-replicas-max-lag').length, 0);
  });
  it('more replicas required than attached: an error (writes refused now)', () => {
    const f = healthy();
    f.primary.config['min-replicas-to-write'] = '3';
    const x = only(checkMinReplicas(f), 'min-replicas-to-write');
    assert.equal(x.severity, 'error');
    assert.match(x.why ?? '', /NOREPLICAS/);
  });
  it('as many required as there are replicas: a warning', () => {
    const f = healthy();
    f.primary.config['min-replicas-to-write'] = '2';
    assert.equal(only(checkMinReplicas(f), 'min-replicas-to-write').severity, 'warning');
  });
  it('suggested max-lag stays below down-after', () => {
    assert.equal(suggestedMaxLag(5000), 4);
    assert.equal(suggestedMaxLag(30_000), 29);
    assert.equal(suggestedMaxLag(1000), 1);
  });
});

describe('monitors and quorum', () => {
  it('fewer monitors than the quorum: an error', () => {
    const f = healthy();
    f.master['num-other-sentinels'] = '0';
    f.master['quorum'] = '2';
    f.monitors = [monitor(26379, { master: { ...f.master } })];
    const x = only(checkMonitorCount(f), 'monitor-quorum');
    assert.equal(x.severity, 'error');
    assert.match(x.what, /quorum is 2 but only 1 monitor knows mymaster/);
  });
  it('two monitors: fewer than 3, and one failure leaves no majority', () => {
    const f = healthy();
    f.master['num-other-sentinels'] = '1';
    f.master['quorum'] = '1';
    f.monitors = [monitor(26379, { master: { ...f.master } })];
    const findings = checkMonitorCount(f);
    assert.equal(only(findings, 'monitor-count').severity, 'warning');
    const t = only(findings, 'monitor-failure-tolerance');
    assert.equal(t.severity, 'warning');
    assert.match(t.what, /no majority \(2\)/);
  });
  it('quorum equal to the number of monitors: one failure blocks agreement', () => {
    const f = healthy();
    f.master['quorum'] = '3';
    for (const m of f.monitors) m.master = { ...f.master };
    const t = only(checkMonitorCount(f), 'monitor-failure-tolerance');
    assert.match(t.what, /quorum 3 equals the number of monitors/);
    assert.match(t.fix ?? '', /quorum 2/);
  });
  it('three monitors, quorum 2: ok', () => {
    assert.deepEqual(bad(checkMonitorCount(healthy())), []);
  });
  it('monitors that disagree about the primary: an error', () => {
    const f = healthy();
    f.monitors[1]!.master = { ...f.monitors[1]!.master, port: '6380' };
    assert.equal(only(checkMonitorsAgree(f), 'monitors-agree').severity, 'error');
  });
  it('a given monitor that does not watch the group: an error', () => {
    const f = healthy();
    f.monitors[0]!.master = undefined;
    f.monitors[0]!.error = 'ERR No such master with that name';
    assert.match(only(checkMonitorsAgree(f), 'monitors-agree').what, /does not watch mymaster/);
  });
});

describe('announced addresses', () => {
  it('a replica the monitor reports at an unreachable address: a warning', () => {
    const f = healthy();
    f.replicas[0]!.reachable = false;
    f.replicas[0]!.error = 'connection refused';
    const x = only(checkAnnounce(f), 'announce');
    assert.equal(x.severity, 'warning');
    assert.match(x.what, /127\.0\.0\.1:6380 that cannot be reached from here \(connection refused\)/);
    assert.match(x.fix ?? '', /replica-announce-ip/);
  });
  it('a replica announcing another address than the one the monitor uses: a warning', () => {
    const f = healthy();
    f.replicas[1]!.config['replica-announce-ip'] = '10.1.2.3';
    const x = only(checkAnnounce(f), 'announce');
    assert.match(
      x.what,
      /announces itself as 10\.1\.2\.3:6381 but the monitor knows it as 127\.0\.0\.1:6381/,
    );
    assert.match(x.fix ?? '', /CONFIG SET replica-announce-ip 127\.0\.0\.1/);
  });
  it('an address that leads to another node (run id mismatch): a warning', () => {
    const f = healthy();
    f.replicas[0]!.info['run_id'] = 'f'.repeat(40);
    assert.match(only(checkAnnounce(f), 'announce').what, /answers with run id ffffffff/);
  });
  it('a peer monitor that is unreachable or answers with another id: warnings', () => {
    const f = healthy();
    f.monitors[1]!.reachable = false;
    f.monitors[1]!.error = 'connection timed out';
    f.monitors[2]!.runid = 'other';
    const xs = bad(checkAnnounce(f));
    assert.equal(xs.length, 2);
    assert.ok(xs.every((x) => x.severity === 'warning'));
    assert.match(xs[0]!.what, /peer monitor announces itself at 127\.0\.0\.1:26380/);
    assert.match(xs[1]!.what, /answers as monitor other/);
  });
  it('a replica the primary lists but the monitor does not know: a warning', () => {
    const f = healthy();
    f.primary.info['slave2'] = 'ip=127.0.0.1,port=6390,state=online,offset=10,lag=0';
    assert.match(only(checkAnnounce(f), 'announce').what, /lists 127\.0\.0\.1:6390 as replica/);
  });
});

describe('down-after vs latency', () => {
  it('down-after below 10x the worst PING: a warning naming the slowest link', () => {
    const f = healthy();
    f.master['down-after-milliseconds'] = '1000';
    f.monitors[2]!.worstPingMs = 150;
    const x = only(checkDownAfterLatency(f), 'down-after-latency');
    assert.equal(x.severity, 'warning');
    assert.equal(x.subject, '127.0.0.1:26381');
    assert.match(x.fix ?? '', /SENTINEL SET mymaster down-after-milliseconds 5000/);
  });
  it('ok with ample margin', () => {
    assert.deepEqual(bad(checkDownAfterLatency(healthy())), []);
  });
});

describe('failover-policy and reachability', () => {
  it("'available' is flagged", () => {
    const f = healthy();
    f.failoverPolicy = 'available';
    const x = only(checkFailoverPolicy(f), 'failover-policy');
    assert.equal(x.severity, 'warning');
    assert.match(x.fix ?? '', /failover-policy safe/);
  });
  it('not a Vigil monitor: no claim', () => {
    const f = healthy();
    f.failoverPolicy = undefined;
    assert.deepEqual(checkFailoverPolicy(f), []);
  });
  it('an unreachable primary or one that reports role slave: an error', () => {
    const f = healthy();
    f.primary.reachable = false;
    assert.equal(only(checkPrimaryReachable(f), 'primary-reachable').severity, 'error');
    const g = healthy();
    g.primary.info['role'] = 'slave';
    assert.match(only(checkPrimaryReachable(g), 'primary-reachable').what, /reports role slave/);
  });
});

describe('runChecks', () => {
  it('orders errors first, then warnings, notes, ok', () => {
    const f = healthy();
    f.primary.config['save'] = '';
    f.primary.config['min-replicas-to-write'] = '0';
    f.replicas[0]!.config['replica-priority'] = '0';
    const sev = runChecks(f).map((x) => x.severity);
    const rank = { error: 0, warning: 1, info: 2, ok: 3 };
    assert.deepEqual(
      sev,
      [...sev].sort((a, b) => rank[a] - rank[b]),
    );
    assert.equal(sev[0], 'error');
  });
});

describe('candidates helpers', () => {
  const entry = (port: number, over: Record<string, string>): Record<string, string> => ({
    name: `127.0.0.1:${port}`,
    ip: '127.0.0.1',
    port: String(port),
    'master-link-status': 'ok',
    'master-replid': 'a'.repeat(40),
    'master-replid2': '0'.repeat(40),
    'second-repl-offset': '-1',
    'slave-repl-offset': '100',
    'primary-replid': 'a'.repeat(40),
    'primary-repl-offset': '120',
    'lag-bytes': '20',
    'slave-priority': '100',
    'synced-since-restart': 'yes',
    'failover-policy': 'safe',
    eligible: 'yes',
    rank: '1',
    reason: 'eligible',
    ...over,
  });
  it('orders by rank, refused last; the verdict names rank 1', () => {
    const rows = [
      entry(6380, { eligible: 'no', rank: '0', reason: 'replica-priority is 0' }),
      entry(6382, { rank: '2' }),
      entry(6381, { rank: '1' }),
    ].map(candidateRow);
    assert.deepEqual(
      orderRows(rows).map((r) => r.port),
      [6381, 6382, 6380],
    );
    assert.equal(verdict('mymaster', rows).promote, '127.0.0.1:6381');
  });
  it('history: same, continued, different', () => {
    assert.equal(candidateRow(entry(1, {})).history, 'same');
    assert.equal(
      candidateRow(
        entry(1, {
          'master-replid': 'b'.repeat(40),
          'master-replid2': 'a'.repeat(40),
          'second-repl-offset': '50',
        }),
      ).history,
      'continued',
    );
    assert.equal(candidateRow(entry(1, { 'master-replid': 'c'.repeat(40) })).history, 'different');
  });
  it('no eligible replica: refused with every reason', () => {
    const rows = [entry(6380, { eligible: 'no', rank: '0', reason: 'replica-priority is 0' })].map(
      candidateRow,
    );
    const v = verdict('mymaster', rows);
    assert.equal(v.promote, undefined);
    assert.match(
      v.line,
      /^a failover now would be refused: no replica is eligible \(127\.0\.0\.1:6380: replica-priority is 0\)/,
    );
  });
  it('parses addresses', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:26380'), { host: '127.0.0.1', port: 26380 });
    assert.deepEqual(parseEndpoint('127.0.0.1'), { host: '127.0.0.1', port: 26379 });
    assert.deepEqual(parseEndpoint('[::1]:26381'), { host: '::1', port: 26381 });
    assert.throws(() => parseEndpoint('127.0.0.1:x'), /not an address/);
  });
});
