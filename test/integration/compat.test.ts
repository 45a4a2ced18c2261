/**
 * Side by side with the real redis-sentinel 7.0: identical groups, the same commands in RESP2
 * and RESP3, and the replies compared shape for shape (types, field order, field names, exact
 * error texts). Values that naturally differ (ports, ids, timings) are masked.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  onCleanup,
  RedisGroup,
  registerCleanupHooks,
  SentinelProcess,
  waitFor,
  type SentinelKind,
} from '../harness/index.js';
import { show, TypedConnection, type Typed } from '../harness/typed-resp.js';

registerCleanupHooks();

const NAME = 'mymaster';

interface Side {
  kind: SentinelKind;
  group: RedisGroup;
  monitors: SentinelProcess[];
}

const sides: Side[] = [];

async function startSide(kind: SentinelKind): Promise<Side> {
  const group = await RedisGroup.start({ replicas: 2, persistence: 'none' });
  const monitors: SentinelProcess[] = [];
  for (let i = 0; i < 2; i++) {
    monitors.push(
      await SentinelProcess.start({
        kind,
        masters: [group.monitorSpec(NAME, { quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 60_000 })],
      }),
    );
  }
  for (const m of monitors) {
    await m.waitForReplicas(NAME, 2, 20_000);
    await m.waitForSentinels(NAME, 1, 20_000);
  }
  return { kind, group, monitors };
}

before(async () => {
  const [a, b] = await Promise.all([startSide('redis'), startSide('vigil')]);
  sides.push(a, b);
});

after(() => {
  sides.length = 0;
});

/** Mask what differs naturally between two deployments: numbers, ids, addresses. */
function mask(s: string): string {
  return s.replace(/\b[0-9a-f]{40}\b/g, '<id>').replace(/-?\d+(\.\d+)*/g, '#');
}

/** Fields whose whole value is environment-specific text (INFO dumps, paths, OS names). */
const OPAQUE =
  /^(os|executable|config_file|gcc_version|multiplexing_api|atomicvar_api|monotonic_clock|redis_build_id|redis_git_sha1|run_id|process_supervised)$/;

function shape(v: Typed): string {
  // A COMMAND entry lists its subcommands in Redis's dict (hash) order, which varies per process.
  if ((v.t === 'array' || v.t === 'set') && v.v.length === 10 && v.v[0]?.t === 'bulk') {
    const subs = v.v[9];
    if (subs && (subs.t === 'array' || subs.t === 'set')) {
      const sorted = subs.v.map(shape).sort();
      return `${v.t}[${v.v.slice(0, 9).map(shape).join(', ')}, ${subs.t}[${sorted.join(', ')}]]`;
    }
  }
  switch (v.t) {
    case 'simple':
    case 'error':
      return `${v.t}(${mask(v.v)})`;
    case 'bulk':
    case 'verbatim':
      if (v.v.includes('\r\n')) return `${v.t}(${infoShape(v.v)})`;
      return `${v.t}(${mask(v.v)})`;
    case 'int':
      return 'int';
    case 'array':
    case 'set':
    case 'push':
      return `${v.t}[${v.v.map(shape).join(', ')}]`;
    case 'map':
      return `map{${v.v.map(([k, x]) => `${shape(k)}: ${shape(x)}`).join(', ')}}`;
    default:
      return show(v);
  }
}

/** An INFO-style text: its section headers and field names, in order. */
function infoShape(text: string): string {
  return text
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => {
      if (l.startsWith('#')) return l;
      const k = l.split(':')[0] ?? '';
      return OPAQUE.test(k) ? `${k}:*` : k.replace(/\d+$/, '#');
    })
    .join('|');
}

async function both(
  args: (side: Side) => (string | number)[],
  proto: 2 | 3,
  monitor = 0,
): Promise<[string, string]> {
  const out: string[] = [];
  for (const side of sides) {
    const c = await TypedConnection.connect(side.monitors[monitor]!.port);
    onCleanup('compat connection', () => c.close());
    if (proto === 3) await c.call(['HELLO', '3']);
    out.push(shape(await c.call(args(side))));
    c.close();
  }
  return [out[0]!, out[1]!];
}

const primaryPort = (s: Side) => s.group.primary.port;

/** Where two shapes first differ, with some context: long replies stay readable in failures. */
function firstDifference(real: string, vigil: string): string {
  let i = 0;
  while (i < real.length && real[i] === vigil[i]) i++;
  const from = Math.max(0, i - 80);
  return `  redis-sentinel: …${real.slice(from, i + 120)}\n  vigil:          …${vigil.slice(from, i + 120)}`;
}

/** Commands whose replies must have the same shape. `label` names them in failures. */
const COMMANDS: [string, (s: Side) => (string | number)[]][] = [
  ['PING', () => ['PING']],
  ['PING msg', () => ['PING', 'hello']],
  ['ROLE', () => ['ROLE']],
  ['SENTINEL MASTERS', () => ['SENTINEL', 'MASTERS']],
  ['SENTINEL MASTER', () => ['SENTINEL', 'MASTER', NAME]],
  ['SENTINEL MASTER nosuch', () => ['SENTINEL', 'MASTER', 'nosuch']],
  ['SENTINEL REPLICAS', () => ['SENTINEL', 'REPLICAS', NAME]],
  ['SENTINEL SLAVES', () => ['SENTINEL', 'SLAVES', NAME]],
  ['SENTINEL SENTINELS', () => ['SENTINEL', 'SENTINELS', NAME]],
  ['SENTINEL GET-MASTER-ADDR-BY-NAME', () => ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME]],
  ['SENTINEL GET-MASTER-ADDR-BY-NAME nosuch', () => ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch']],
  ['SENTINEL MYID', () => ['SENTINEL', 'MYID']],
  ['SENTINEL CKQUORUM', () => ['SENTINEL', 'CKQUORUM', NAME]],
  ['SENTINEL DEBUG', () => ['SENTINEL', 'DEBUG']],
  ['SENTINEL DEBUG bad', () => ['SENTINEL', 'DEBUG', 'ping-period', 'x']],
  ['SENTINEL DEBUG unknown', () => ['SENTINEL', 'DEBUG', 'foo', '1']],
  ['SENTINEL PENDING-SCRIPTS', () => ['SENTINEL', 'PENDING-SCRIPTS']],
  ['SENTINEL CONFIG GET *', () => ['SENTINEL', 'CONFIG', 'GET', '*']],
  ['SENTINEL CONFIG GET announce-*', () => ['SENTINEL', 'CONFIG', 'GET', 'announce-*']],
  ['SENTINEL CONFIG SET bad', () => ['SENTINEL', 'CONFIG', 'SET', 'nosuch', '1']],
  ['SENTINEL CONFIG bad form', () => ['SENTINEL', 'CONFIG', 'FOO']],
  [
    'SENTINEL IS-MASTER-DOWN-BY-ADDR',
    (s) => ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', primaryPort(s), 0, '*'],
  ],
  [
    'SENTINEL IS-MASTER-DOWN-BY-ADDR bad port',
    () => ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', 'x', 0, '*'],
  ],
  ['SENTINEL SET nosuch', () => ['SENTINEL', 'SET', 'nosuch', 'quorum', '1']],
  ['SENTINEL SET bad option', () => ['SENTINEL', 'SET', NAME, 'nosuch', '1']],
  ['SENTINEL SET bad value', () => ['SENTINEL', 'SET', NAME, 'quorum', '0']],
  ['SENTINEL SET script denied', () => ['SENTINEL', 'SET', NAME, 'notification-script', '/bin/true']],
  ['SENTINEL MONITOR bad quorum', () => ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', '1', '0']],
  ['SENTINEL MONITOR bad port', () => ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', 'y', '1']],
  ['SENTINEL MONITOR bad ip', () => ['SENTINEL', 'MONITOR', 'x', 'not-an-ip', '1', '1']],
  ['SENTINEL MONITOR duplicate', (s) => ['SENTINEL', 'MONITOR', NAME, '127.0.0.1', primaryPort(s), '1']],
  ['SENTINEL SIMULATE-FAILURE help', () => ['SENTINEL', 'SIMULATE-FAILURE', 'HELP']],
  ['SENTINEL SIMULATE-FAILURE bad', () => ['SENTINEL', 'SIMULATE-FAILURE', 'nosuch']],
  ['SENTINEL FAILOVER nosuch', () => ['SENTINEL', 'FAILOVER', 'nosuch']],
  ['SENTINEL REMOVE nosuch', () => ['SENTINEL', 'REMOVE', 'nosuch']],
  ['SENTINEL RESET nomatch', () => ['SENTINEL', 'RESET', 'nomatch*']],
  ['SENTINEL unknown', () => ['SENTINEL', 'FOO']],
  ['SENTINEL arity', () => ['SENTINEL']],
  ['SENTINEL MASTER arity', () => ['SENTINEL', 'MASTER']],
  ['SENTINEL MASTERS arity', () => ['SENTINEL', 'MASTERS', 'x']],
  ['SENTINEL IS-MASTER-DOWN-BY-ADDR arity', () => ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '1']],
  ['unknown command', () => ['FOO', 'bar', 'baz']],
  ['data command', () => ['GET', 'x']],
  ['INFO', () => ['INFO']],
  ['INFO sentinel', () => ['INFO', 'sentinel']],
  ['INFO server', () => ['INFO', 'server']],
  ['INFO clients', () => ['INFO', 'clients']],
  ['INFO bogus', () => ['INFO', 'bogus']],
  ['CLIENT GETNAME', () => ['CLIENT', 'GETNAME']],
  ['CLIENT SETNAME', () => ['CLIENT', 'SETNAME', 'compat']],
  ['CLIENT SETNAME bad', () => ['CLIENT', 'SETNAME', 'a b']],
  ['CLIENT ID', () => ['CLIENT', 'ID']],
  ['CLIENT unknown', () => ['CLIENT', 'FOO']],
  ['CLIENT KILL nosuch', () => ['CLIENT', 'KILL', '127.0.0.1:1']],
  ['CLIENT KILL bad type', () => ['CLIENT', 'KILL', 'TYPE', 'nosuch']],
  ['COMMAND COUNT', () => ['COMMAND', 'COUNT']],
  ['ACL WHOAMI', () => ['ACL', 'WHOAMI']],
  ['ACL USERS', () => ['ACL', 'USERS']],
  ['ACL LIST', () => ['ACL', 'LIST']],
  ['ACL unknown', () => ['ACL', 'FOO']],
  ['AUTH without password', () => ['AUTH', 'x']],
  ['HELLO bad version', () => ['HELLO', '4']],
  ['HELLO not a number', () => ['HELLO', 'foo']],
  ['PUBLISH other channel', () => ['PUBLISH', 'foo', 'bar']],
  ['SENTINEL HELP', () => ['SENTINEL', 'HELP']],
  ['SENTINEL INFO-CACHE', () => ['SENTINEL', 'INFO-CACHE', NAME]],
  ['SENTINEL INFO-CACHE nosuch', () => ['SENTINEL', 'INFO-CACHE', 'nosuch']],
  ['SENTINEL PRIMARIES (Valkey alias) or unknown', () => ['SENTINEL', 'DEBUG', 'info-period']],
  ['CLIENT HELP', () => ['CLIENT', 'HELP']],
  ['CLIENT INFO', () => ['CLIENT', 'INFO']],
  ['CLIENT LIST TYPE bad', () => ['CLIENT', 'LIST', 'TYPE', 'nosuch']],
  ['CLIENT GETNAME arity', () => ['CLIENT', 'GETNAME', 'x']],
  ['COMMAND INFO', () => ['COMMAND', 'INFO', 'ping', 'sentinel', 'nosuch']],
  ['COMMAND DOCS nosuch', () => ['COMMAND', 'DOCS', 'nosuch']],
  ['COMMAND unknown', () => ['COMMAND', 'FOO']],
  ['ACL CAT', () => ['ACL', 'CAT']],
  ['ACL HELP', () => ['ACL', 'HELP']],
  ['ACL SETUSER bad rule', () => ['ACL', 'SETUSER', 'x', 'nosuchrule']],
  ['ACL DELUSER default', () => ['ACL', 'DELUSER', 'default']],
  ['HELLO 3 SETNAME', () => ['HELLO', '3', 'SETNAME', 'compat']],
  ['HELLO bad option', () => ['HELLO', '3', 'FOO']],
  ['SHUTDOWN bad', () => ['SHUTDOWN', 'FOO']],
  ['ROLE arity', () => ['ROLE', 'x']],
  ['PING arity', () => ['PING', 'a', 'b']],
  ['QUIT (not a sentinel command in 7.0)', () => ['QUIT']],
];

for (const proto of [2, 3] as const) {
  test(`RESP${proto}: every command's reply has redis-sentinel's shape`, async () => {
    const mismatches: string[] = [];
    for (const [label, args] of COMMANDS) {
      const [real, vigil] = await both(args, proto);
      if (real !== vigil) mismatches.push(`${label}\n${firstDifference(real, vigil)}`);
    }
    assert.deepEqual(mismatches, [], mismatches.join('\n'));
  });
}

test('HELLO 3 and HELLO 2 replies have the same fields and types', async () => {
  for (const v of ['2', '3']) {
    const [real, vigil] = await both(() => ['HELLO', v], 3);
    assert.equal(vigil, real);
  }
});

test('SUBSCRIBE, PSUBSCRIBE and UNSUBSCRIBE acknowledgements match in RESP2 and RESP3', async () => {
  for (const proto of [2, 3] as const) {
    const out: string[] = [];
    for (const side of sides) {
      const c = await TypedConnection.connect(side.monitors[0]!.port);
      onCleanup('compat connection', () => c.close());
      if (proto === 3) await c.call(['HELLO', '3']);
      const seq = [
        shape(await c.call(['SUBSCRIBE', 'a', 'b'])),
        shape(await c.next()),
        shape(await c.call(['PSUBSCRIBE', '+*'])),
        shape(await c.call(['PING'])),
        // UNSUBSCRIBE without arguments walks Redis's channel dict (hash order): compare as a set.
        [shape(await c.call(['UNSUBSCRIBE'])), shape(await c.next())].sort().join('\n'),
        shape(await c.call(['PUNSUBSCRIBE'])),
      ];
      out.push(seq.join('\n'));
      c.close();
    }
    assert.equal(out[1], out[0], `RESP${proto}`);
  }
});

test('inline commands and protocol errors get the same replies', async () => {
  const frames = [
    'PING\r\n',
    'SENTINEL get-master-addr-by-name mymaster\r\n',
    'PING "a b"\r\n',
    'PING "unbalanced\r\n',
    '*1\r\n+foo\r\n',
    '*x\r\n',
    '*1\r\n$-5\r\n',
    '*1\r\n$999999999999\r\n',
  ];
  for (const frame of frames) {
    const out: string[] = [];
    for (const side of sides) {
      const c = await TypedConnection.connect(side.monitors[0]!.port);
      onCleanup('compat connection', () => c.close());
      out.push(shape(await c.raw(frame)));
      c.close();
    }
    assert.equal(out[1], out[0], JSON.stringify(frame));
  }
});

test('CLIENT SETINFO (Redis 7.2) is accepted, as current clients send it on connect', async () => {
  const c = await TypedConnection.connect(sides[1]!.monitors[0]!.port);
  onCleanup('compat connection', () => c.close());
  assert.deepEqual(await c.call(['CLIENT', 'SETINFO', 'LIB-NAME', 'compat']), { t: 'simple', v: 'OK' });
  assert.deepEqual(await c.call(['CLIENT', 'SETINFO', 'LIB-VER', '1.2.3']), { t: 'simple', v: 'OK' });
  assert.equal((await c.call(['CLIENT', 'SETINFO', 'FOO', 'x'])).t, 'error');
  c.close();
});

test('a failover emits the same events, in the same order, with the same payload shapes', async () => {
  const seen: string[][] = [];
  for (const side of sides) {
    const rec = await side.monitors[0]!.subscribe('*');
    await waitFor(async () => (await side.monitors[0]!.command('SENTINEL', 'FAILOVER', NAME)) === 'OK', {
      what: 'SENTINEL FAILOVER accepted',
      timeoutMs: 10_000,
    });
    const sw = await rec.waitForEvent('+switch-master', undefined, 30_000);
    // After the switch, one +slave per remembered replica (the old primary included).
    await waitFor(() => rec.events.filter((e) => e.channel === '+slave' && e.seq > sw.seq).length >= 2, {
      what: '+slave events after +switch-master',
      timeoutMs: 5000,
    });
    const interesting = new Set([
      '+new-epoch',
      '+try-failover',
      '+vote-for-leader',
      '+elected-leader',
      '+failover-state-select-slave',
      '+selected-slave',
      '+failover-state-send-slaveof-noone',
      '+failover-state-wait-promotion',
      '+promoted-slave',
      '+failover-state-reconf-slaves',
      '+switch-master',
      '+slave',
    ]);
    seen.push(
      rec.events.filter((e) => interesting.has(e.channel)).map((e) => `${e.channel} ${mask(e.payload)}`),
    );
  }
  assert.deepEqual(seen[1], seen[0]);
});
