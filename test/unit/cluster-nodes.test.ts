// parseClusterNodes and the slot helpers of the cluster harness, on CLUSTER NODES texts captured
// from redis-server 7.0.15 (plus the forms other versions produce).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countSlots, parseClusterNodes, parseSlotToken, type ClusterNodeView } from '../harness/cluster.js';

const A = '738ec49055d320a11ae2e42613250dff8197a5e0';
const B = '22d037fdcddf02cef62a3e2758aef9870b09cc2d';
const C = '1dc594b0cce79f209579f090d06eae686d94c121';

// Captured from a 3-shard cluster: A announces a hostname, slot 100 is migrating from A to B, and
// a replica of C was killed.
const SIX_NODES = [
  `${A} 127.0.0.1:10392@20392,node-a.example master - 0 1795383396832 1 connected 0-5460`,
  `e12f166fe783632d8820893ece8b0cfc3a707f51 127.0.0.1:15188@25188 slave ${B} 0 1795383397235 3 connected`,
  `${B} 127.0.0.1:12180@22180 myself,master - 0 1795383397000 3 connected 5461-10921 [100-<-${A}]`,
  `bb8b8d6e19764be729956f6397d30913503c69f2 127.0.0.1:12507@22507 slave,fail ${C} 1795383396227 1795383395723 5 disconnected`,
  `${C} 127.0.0.1:21001@31001 master - 0 1795383397235 5 connected 10922-16383`,
  `64144d299bb76bc0d4fbc6d0282652b0dfa458df 127.0.0.1:16004@26004 slave ${A} 0 1795383396832 1 connected`,
  '',
].join('\n');

function byPort(views: ClusterNodeView[], port: number): ClusterNodeView {
  const v = views.find((x) => x.port === port);
  assert.ok(v, `no entry for port ${port}`);
  return v;
}

void test('a six-node view: roles, masters, flags, link states, slots, hostname', () => {
  const views = parseClusterNodes(SIX_NODES);
  assert.equal(views.length, 6);
  assert.deepEqual(byPort(views, 10392), {
    id: A,
    host: '127.0.0.1',
    port: 10392,
    busPort: 20392,
    hostname: 'node-a.example',
    flags: ['master'],
    role: 'master',
    linkState: 'connected',
    slots: ['0-5460'],
  });
  assert.deepEqual(byPort(views, 12180), {
    id: B,
    host: '127.0.0.1',
    port: 12180,
    busPort: 22180,
    flags: ['myself', 'master'],
    role: 'master',
    linkState: 'connected',
    slots: ['5461-10921', `[100-<-${A}]`],
  });
  const dead = byPort(views, 12507);
  assert.deepEqual(
    [dead.role, dead.masterId, dead.flags, dead.linkState, dead.slots],
    ['replica', C, ['slave', 'fail'], 'disconnected', []],
  );
  assert.equal(byPort(views, 15188).masterId, B);
  assert.equal(byPort(views, 15188).hostname, undefined);
  assert.equal(
    views.reduce((n, v) => n + countSlots(v.slots), 0),
    16_384,
  );
});

void test('the migrating side of a slot move, and CRLF line ends', () => {
  const text =
    `${C} 127.0.0.1:21001@31001 master - 0 1795383397000 5 connected 10922-16383\r\n` +
    `${A} 127.0.0.1:10392@20392,node-a.example myself,master - 0 1795383396000 1 connected 0-5460 [100->-${B}]\r\n`;
  const [c, a] = parseClusterNodes(text);
  assert.equal(c?.linkState, 'connected');
  assert.deepEqual(a?.slots, ['0-5460', `[100->-${B}]`]);
  assert.deepEqual(parseSlotToken(`[100->-${B}]`), { kind: 'migrating', slot: 100, to: B });
  assert.deepEqual(parseSlotToken(`[100-<-${A}]`), { kind: 'importing', slot: 100, from: A });
  assert.equal(countSlots(a?.slots ?? []), 5461, 'a migrating marker counts no slot');
});

void test('handshake and fail? entries (captured)', () => {
  const views = parseClusterNodes(
    [
      '03d74b7216f7ae218e2d2e7be99d7d267cf6caf2 127.0.0.1:19285@29285 myself,master - 0 1795383402000 1 connected 0-16383',
      'f79aab8c66f657d494894c99ace78ee227cdb2b5 127.0.0.1:9@10009 handshake - 0 0 0 disconnected',
      '2a10371f7d91fe10cb5f2cac1d5799546d9b738c 127.0.0.1:19489@29489 slave,fail? 03d74b7216f7ae218e2d2e7be99d7d267cf6caf2 1795383404263 1795383403000 1 connected',
    ].join('\n'),
  );
  assert.deepEqual(views[0]?.slots, ['0-16383']);
  assert.equal(countSlots(views[0]?.slots ?? []), 16_384);
  assert.deepEqual(
    [views[1]?.flags, views[1]?.role, views[1]?.masterId, views[1]?.port, views[1]?.busPort],
    [['handshake'], 'master', undefined, 9, 10009],
  );
  assert.deepEqual([views[2]?.flags, views[2]?.role], [['slave', 'fail?'], 'replica']);
});

void test('noaddr, noflags, an unknown own address, IPv6, no bus port, empty hostname, nodes.conf aux fields', () => {
  const views = parseClusterNodes(
    [
      'aaaa000000000000000000000000000000000001 :0@0 master,fail,noaddr - 1795383404263 1795383403000 2 disconnected',
      'aaaa000000000000000000000000000000000002 127.0.0.1:30002@40002 noflags - 0 0 0 connected',
      'aaaa000000000000000000000000000000000003 :30003@40003 myself,master - 0 0 0 connected 5 7-9',
      'aaaa000000000000000000000000000000000004 ::1:30004@40004 replica aaaa000000000000000000000000000000000003 0 0 0 connected',
      'aaaa000000000000000000000000000000000005 10.0.0.5:6379 master,nofailover - 0 0 0 connected',
      'aaaa000000000000000000000000000000000006 10.0.0.6:30006@40006, slave aaaa000000000000000000000000000000000005 0 0 0 connected',
      'aaaa000000000000000000000000000000000007 10.0.0.7:30007@40007,,tls-port=0,shard-id=ff00 master - 0 0 0 connected',
      'aaaa000000000000000000000000000000000008 10.0.0.8:30008@40008,h8,tls-port=0 master - 0 0 0 connected',
      'vars currentEpoch 6 lastVoteEpoch 0',
      '',
    ].join('\n'),
  );
  assert.equal(views.length, 8);
  const [noaddr, noflags, self, v6, old, emptyHost, aux, auxHost] = views;
  assert.deepEqual(
    [noaddr?.host, noaddr?.port, noaddr?.busPort, noaddr?.flags],
    ['', 0, 0, ['master', 'fail', 'noaddr']],
  );
  assert.deepEqual([noflags?.flags, noflags?.role], [[], 'master']);
  assert.deepEqual(
    [self?.host, self?.port, self?.slots, countSlots(self?.slots ?? [])],
    ['', 30003, ['5', '7-9'], 4],
  );
  assert.deepEqual([v6?.host, v6?.port, v6?.role], ['::1', 30004, 'replica']);
  assert.deepEqual(
    [old?.host, old?.port, old?.busPort, old?.flags],
    ['10.0.0.5', 6379, undefined, ['master', 'nofailover']],
  );
  assert.deepEqual([emptyHost?.port, emptyHost?.hostname, emptyHost?.masterId], [30006, undefined, old?.id]);
  assert.deepEqual([aux?.port, aux?.busPort, aux?.hostname], [30007, 40007, undefined]);
  assert.equal(auxHost?.hostname, 'h8');
});

void test('malformed input is rejected', () => {
  assert.deepEqual(parseClusterNodes(''), []);
  assert.throws(() => parseClusterNodes('abc 127.0.0.1:1@2 master - 0 0'), /malformed/);
  assert.throws(() => parseClusterNodes('abc 127.0.0.1@2 master - 0 0 0 connected'), /bad address/);
  assert.throws(() => parseClusterNodes('abc 127.0.0.1:x@2 master - 0 0 0 connected'), /bad port/);
  assert.throws(() => parseClusterNodes('abc 127.0.0.1:1@2 master - 0 0 0 connected 16384'), /bad slot/);
  assert.throws(() => parseClusterNodes('abc 127.0.0.1:1@2 master - 0 0 0 connected 9-3'), /bad slot range/);
  assert.throws(
    () => parseClusterNodes('abc 127.0.0.1:1@2 master - 0 0 0 connected [5-?-x]'),
    /bad slot entry/,
  );
});
