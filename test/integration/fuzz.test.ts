// Protocol fuzzing of the client-facing server: at least 100 000 random and malformed frames
// over a pool of raw connections, while the daemon monitors a real primary and replica. The
// daemon must never crash or stall, its memory must stay bounded, and a well-behaved client
// must be served correctly afterwards.
//
// Every generated frame is first fed to a shadow RequestParser (the daemon's own parser, with
// the daemon's limits), one per connection. That tells the fuzzer, byte-exactly, which commands
// the daemon will run and when it will close the connection after a protocol error:
//  - a frame that would complete a state-changing command (SHUTDOWN, CLIENT KILL, SENTINEL
//    FAILOVER/RESET/SET on the real master, ...) is not sent: the connection is dropped instead,
//    so the daemon never receives the command's last bytes;
//  - after a frame that ends in a protocol error the fuzzer stops writing and expects the daemon
//    to close the connection; any other close is a finding;
//  - a connection that ends between commands is synchronised with a marker command that every
//    session state answers (an unknown command), so a stalled connection is a finding too.
//
// VIGIL_FUZZ_SEED replays a run (each worker's frame sequence is a function of the seed);
// VIGIL_FUZZ_FRAMES raises the number of frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { HELLO_CHANNEL, TIMING_DEBUG_NAMES } from '../../src/core/constants.js';
import { RequestParser } from '../../src/resp/parser.js';
import { parseInteger } from '../../src/sentinel/commands/errors.js';
import { findCommand } from '../../src/sentinel/commands/table.js';
import { QUERY_BUFFER_LIMIT } from '../../src/sentinel/server.js';
import {
  infoFields,
  isAlive,
  nowMs,
  RedisGroup,
  registerCleanupHooks,
  respCommand,
  SentinelProcess,
  waitForValue,
} from '../harness/index.js';
import { mulberry32, type Rng } from '../harness/random.js';

registerCleanupHooks();

const FRAMES = Math.max(100_000, Number(process.env['VIGIL_FUZZ_FRAMES'] ?? 0) || 0);
const SEED = parseSeed(process.env['VIGIL_FUZZ_SEED']);
const WORKERS = 20;
/** Every frame must be sent by then: 60 s per 100 000 frames (the test stays under 90 s). */
const FUZZ_BUDGET_MS = Math.round((60_000 * FRAMES) / 100_000);
const CHECKPOINT_EVERY = 10_000;
/** Any single connection must be answered or closed this fast, even under full load. */
const STALL_TIMEOUT_MS = 10_000;
/** A PING on a fresh connection during the fuzz must be answered this fast. */
const HEARTBEAT_TIMEOUT_MS = 5_000;
/**
 * ... and no PING may wait as long as Sentinel's TILT trigger (2 s): an event loop blocked that
 * long makes the monitor distrust its own timers and stop acting on failures.
 */
const HEARTBEAT_MAX_MS = 2_000;
/** Absolute ceiling on the daemon's RSS at any time (VmHWM), fuzz and a 64 MB command included. */
const MAX_RSS_BYTES = 300 * 1024 * 1024;
/** RSS once the fuzz is over and its connections are closed, relative to RSS after warm-up. */
const MAX_END_TO_WARM_RATIO = 2;

const MASTER = 'fuzzmaster';
/** The only ACL users the fuzzer may create or delete; nobody ever authenticates as them. */
const ACL_POOL = ['fuzz-u1', 'fuzz-u2', 'fuzz-u3'];
const DECOY = 'decoy-master';
const INTERNAL_ERROR = Buffer.from('internal error');
const PROTOCOL_ERROR = Buffer.from('-ERR Protocol error');
const TAIL_BYTES = 512;

function parseSeed(raw: string | undefined): number {
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`VIGIL_FUZZ_SEED must be an integer, got '${raw}'`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness.

const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

/** Picks a generator by weight. */
function weighted<T>(r: Rng, table: readonly (readonly [number, T])[]): T {
  const total = table.reduce((s, [w]) => s + w, 0);
  let x = r() * total;
  for (const [w, v] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return table[table.length - 1]![1];
}

// ---------------------------------------------------------------------------------------------
// Frame generation.

type Arg = string | Buffer;
interface Frame {
  kind: string;
  bytes: Buffer;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PRINTABLE = `${ALNUM} !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;
const GLOB = 'ab*?[]^-\\!';
const UNICODE = ['é', 'Ω', 'ß', '日本', '😀', '\u200b', '\ufeff', '\u0301', 'ﬁ', '\u00a0'];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '01',
  '+1',
  ' 1',
  '1 ',
  '1.5',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999999',
];

function randString(r: Rng, alphabet: string, lo: number, hi: number): string {
  let s = '';
  for (let n = int(r, lo, hi); n > 0; n--) s += alphabet[Math.floor(r() * alphabet.length)]!;
  return s;
}

function randBytes(r: Rng, lo: number, hi: number): Buffer {
  const b = Buffer.allocUnsafe(int(r, lo, hi));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function randGlob(r: Rng): string {
  return weighted<() => string>(r, [
    [3, () => randString(r, GLOB, 1, 24)],
    [1, () => `${'*a'.repeat(int(r, 2, 40))}b`],
    // Many stars and no possible match: the worst case of a backtracking glob matcher.
    [2, () => `${'*?'.repeat(int(r, 4, 24))}${pick(r, ['x', 'é', '\\*', '[^a-z]'])}`],
  ])();
}

/** A master name: the real one (read-only commands only get through), a decoy, or junk. */
function randName(r: Rng): Arg {
  return weighted<() => Arg>(r, [
    [5, () => MASTER],
    [1, () => MASTER.toUpperCase()],
    [1, () => `${MASTER} `],
    [1, () => DECOY],
    [2, () => randArg(r)],
  ])();
}

function randArg(r: Rng): Arg {
  return weighted<() => Arg>(r, [
    [2, () => ''],
    [6, () => randString(r, ALNUM, 1, 12)],
    [4, () => randString(r, PRINTABLE, 0, 40)],
    [3, () => randBytes(r, 0, 64)],
    [4, () => (chance(r, 0.5) ? pick(r, NUMBERS) : String(int(r, -100_000, 100_000)))],
    [2, () => randGlob(r)],
    [2, () => times(int(r, 1, 8), () => pick(r, UNICODE)).join('')],
    [1, () => 'x'.repeat(int(r, 100, 8000))],
    [1, () => pick(r, ['\r\n', 'a\r\nPING\r\n', '\n', '\0', 'a\0b', '"', "'", '\\', '"a b"'])],
  ])();
}

const randArgs = (r: Rng, lo: number, hi: number): Arg[] => times(int(r, lo, hi), () => randArg(r));

function helloPayload(r: Rng): Arg {
  const fields = [
    pick(r, ['127.0.0.1', '10.0.0.1', '::1', randString(r, PRINTABLE, 0, 15)]),
    pick(r, [String(int(r, 0, 70_000)), pick(r, NUMBERS)]),
    randString(r, '0123456789abcdef', 0, 41),
    pick(r, NUMBERS),
    // The vetting below drops a well-formed hello for the real master (it could add a peer or
    // move the master); hellos for other names are parsed and ignored.
    pick<Arg>(r, [DECOY, MASTER, randString(r, ALNUM, 0, 10)]),
    pick(r, ['127.0.0.1', randString(r, PRINTABLE, 0, 15)]),
    pick(r, [String(int(r, 0, 70_000)), pick(r, NUMBERS)]),
    pick(r, NUMBERS),
  ].map(String);
  const n = weighted(r, [
    [4, 8],
    [1, int(r, 0, 7)],
    [1, int(r, 9, 20)],
  ]);
  while (fields.length < n) fields.push(randString(r, PRINTABLE, 0, 8));
  return fields.slice(0, n).join(chance(r, 0.9) ? ',' : pick(r, [' ', ';', ',,']));
}

/** Well-formed commands, all of them harmless for the daemon's monitoring state. */
function validArgv(r: Rng): Arg[] {
  return weighted<() => Arg[]>(r, [
    [4, () => (chance(r, 0.5) ? ['PING'] : ['ping', randArg(r)])],
    [3, () => ['SENTINEL', pick(r, ['MASTERS', 'masters', 'PRIMARIES', 'MYID', 'PENDING-SCRIPTS', 'HELP'])]],
    [
      8,
      () => [
        'SENTINEL',
        pick(r, [
          'MASTER',
          'PRIMARY',
          'REPLICAS',
          'SLAVES',
          'SENTINELS',
          'GET-MASTER-ADDR-BY-NAME',
          'get-primary-addr-by-name',
          'CKQUORUM',
        ]),
        randName(r),
      ],
    ],
    [1, () => ['SENTINEL', 'INFO-CACHE', ...times(int(r, 0, 3), () => randName(r))]],
    [
      2,
      () => [
        'SENTINEL',
        'CONFIG',
        'GET',
        pick<Arg>(r, ['*', 'resolve-hostnames', 'announce-*', 'loglevel', randGlob(r), randArg(r)]),
      ],
    ],
    [
      2,
      () => {
        // Bad DEBUG arguments only: the vetting drops anything that would change a timing.
        const name = pick(r, TIMING_DEBUG_NAMES)[0];
        return [
          'SENTINEL',
          'DEBUG',
          ...weighted<() => Arg[]>(r, [
            [1, () => []],
            [2, () => [name]],
            [2, () => [name, pick(r, ['0', '-1', 'abc', '', '1.5', '99999999999999999999999'])]],
            [2, () => randArgs(r, 1, 6)],
          ])(),
        ];
      },
    ],
    [
      2,
      () => [
        'SENTINEL',
        'SET',
        weighted<Arg>(r, [
          [3, DECOY],
          [2, randArg(r)],
          [1, MASTER],
        ]),
        pick(r, [
          'quorum',
          'down-after-milliseconds',
          'failover-timeout',
          'parallel-syncs',
          'auth-pass',
          'rename-command',
          'notification-script',
          'failover-policy',
          'bogus',
        ]),
        ...randArgs(r, 0, 3),
      ],
    ],
    [
      2,
      () => [
        'SENTINEL',
        pick(r, ['IS-MASTER-DOWN-BY-ADDR', 'is-primary-down-by-addr']),
        pick<Arg>(r, ['127.0.0.1', '10.1.2.3', '::1', randArg(r)]),
        pick<Arg>(r, [String(int(r, 0, 70_000)), randArg(r)]),
        pick<Arg>(r, [String(int(r, 0, 1_000_000)), randArg(r)]),
        pick<Arg>(r, ['*', randString(r, '0123456789abcdef', 40, 40), randArg(r)]),
      ],
    ],
    [
      3,
      () => [
        'INFO',
        ...times(int(r, 0, 3), () =>
          pick<Arg>(r, ['server', 'clients', 'cpu', 'stats', 'sentinel', 'all', 'everything', randArg(r)]),
        ),
      ],
    ],
    [1, () => ['ROLE']],
    [
      4,
      () =>
        weighted<() => Arg[]>(r, [
          [2, () => ['CLIENT', 'LIST']],
          [1, () => ['CLIENT', 'LIST', 'TYPE', pick<Arg>(r, ['normal', 'pubsub', 'master', randArg(r)])]],
          [1, () => ['CLIENT', 'LIST', 'ID', ...times(int(r, 1, 4), () => String(int(r, -1, 500)))]],
          [2, () => ['CLIENT', pick(r, ['INFO', 'ID', 'GETNAME', 'HELP'])]],
          [2, () => ['CLIENT', 'SETNAME', randArg(r)]],
          [1, () => ['CLIENT', 'SETINFO', pick<Arg>(r, ['LIB-NAME', 'lib-ver', randArg(r)]), randArg(r)]],
          [1, () => ['CLIENT', randArg(r), ...randArgs(r, 0, 3)]],
        ])(),
    ],
    [
      3,
      () => [
        'HELLO',
        ...weighted<() => Arg[]>(r, [
          [3, () => [pick(r, ['2', '3'])]],
          [1, () => []],
          [1, () => [pick<Arg>(r, ['1', '4', '-3', 'three', randArg(r)])]],
          [1, () => [pick(r, ['2', '3']), 'SETNAME', randArg(r)]],
          [1, () => [pick(r, ['2', '3']), 'AUTH', randArg(r), randArg(r)]],
          [1, () => [pick(r, ['2', '3']), ...randArgs(r, 1, 5)]],
        ])(),
      ],
    ],
    [1, () => ['AUTH', ...randArgs(r, 1, 3)]],
    [
      4,
      () =>
        weighted<() => Arg[]>(r, [
          [2, () => ['SUBSCRIBE', ...times(int(r, 1, 4), () => pick<Arg>(r, [randArg(r), '+sdown', '*']))]],
          [2, () => ['PSUBSCRIBE', ...times(int(r, 1, 4), () => pick<Arg>(r, [randGlob(r), '*', '+*']))]],
          [1, () => ['UNSUBSCRIBE', ...randArgs(r, 0, 2)]],
          [1, () => ['PUNSUBSCRIBE', ...randArgs(r, 0, 2)]],
          [2, () => ['PUBLISH', pick<Arg>(r, [randArg(r), 'chan', HELLO_CHANNEL]), randArg(r)]],
          [2, () => ['PUBLISH', HELLO_CHANNEL, helloPayload(r)]],
        ])(),
    ],
    [
      2,
      () =>
        weighted<() => Arg[]>(r, [
          [3, () => ['ACL', pick(r, ['WHOAMI', 'USERS', 'LIST', 'CAT', 'HELP'])]],
          [
            2,
            () => [
              'ACL',
              'SETUSER',
              pick(r, ACL_POOL),
              ...times(int(r, 0, 5), () =>
                pick<Arg>(r, [
                  'on',
                  'off',
                  'nopass',
                  'resetpass',
                  `>${randString(r, ALNUM, 0, 8)}`,
                  `#${randString(r, '0123456789abcdef', 60, 66)}`,
                  '+@all',
                  '-@all',
                  '+ping',
                  '-sentinel|failover',
                  '~*',
                  '&chan*',
                  'reset',
                  randArg(r),
                ]),
              ),
            ],
          ],
          [1, () => ['ACL', 'DELUSER', ...times(int(r, 1, 2), () => pick(r, ACL_POOL))]],
        ])(),
    ],
    [
      2,
      () =>
        weighted<() => Arg[]>(r, [
          [1, () => ['COMMAND']],
          [2, () => ['COMMAND', pick(r, ['COUNT', 'LIST'])]],
          [
            2,
            () => [
              'COMMAND',
              pick(r, ['INFO', 'DOCS']),
              ...times(int(r, 0, 3), () => pick<Arg>(r, ['ping', 'sentinel', 'get', randArg(r)])),
            ],
          ],
        ])(),
    ],
    [0.2, () => ['QUIT']],
  ])();
}

/** A valid command with its arguments or arity scrambled. */
function mutatedArgv(r: Rng): Arg[] {
  const argv = validArgv(r);
  for (let k = int(r, 1, 3); k > 0; k--) {
    const i = int(r, 1, Math.max(1, argv.length - 1));
    weighted<() => void>(r, [
      [2, () => void argv.splice(i, 1)],
      [2, () => void argv.splice(i, 0, randArg(r))],
      [2, () => void (argv.length > 1 ? (argv[i] = randArg(r)) : argv.push(randArg(r)))],
      [1, () => void argv.push(...randArgs(r, 1, 20))],
      [1, () => void argv.splice(1)],
      [1, () => void (argv[0] = flipCase(r, String(argv[0])))],
    ])();
  }
  return argv.length > 0 ? argv : ['PING'];
}

function flipCase(r: Rng, s: string): string {
  return [...s].map((c) => (chance(r, 0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
}

function unknownArgv(r: Rng): Arg[] {
  const name = weighted<() => Arg>(r, [
    [
      3,
      () =>
        pick(r, [
          'GET',
          'SET',
          'EVAL',
          'MULTI',
          'EXEC',
          'DEBUG',
          'CONFIG',
          'FLUSHALL',
          'KEYS',
          'MONITOR',
          'SYNC',
          'PSYNC',
          'REPLCONF',
          'CLUSTER',
          'RESET',
          'ECHO',
          'SLAVEOF',
          'REPLICAOF',
          'SENTINELS',
          'PINGG',
        ]),
    ],
    [2, () => randString(r, ALNUM, 1, 20)],
    [1, () => randArg(r)],
  ])();
  return [name, ...randArgs(r, 0, 5)];
}

function encodeMultibulk(argv: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** One argument for an inline request: bare, double- or single-quoted, sometimes broken. */
function inlineWord(r: Rng, a: Arg): string {
  const s = Buffer.isBuffer(a) ? a.toString('latin1') : a;
  const style = weighted(r, [
    [5, 'bare'],
    [3, 'double'],
    [2, 'single'],
    [1, 'unbalanced'],
    [1, 'glued'],
  ]);
  switch (style) {
    case 'bare':
      return s === '' || /[\s"'\0]/.test(s) ? `"${escapeDouble(r, s)}"` : s;
    case 'double':
      return `"${escapeDouble(r, s)}"`;
    case 'single':
      return `'${s.replace(/'/g, "\\'")}'`;
    case 'unbalanced':
      return pick(r, [`"${s}`, `'${s}`, `${s}"`, `"${s}\\"`, `'${s}\\'`]);
    default:
      // A closing quote followed by something other than a space is an error too.
      return pick(r, [`"${s}"x`, `'${s}'x`, `a"${s}"`]);
  }
}

function escapeDouble(r: Rng, s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f || chance(r, 0.05))
      out += `\\x${(c & 0xff).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  if (chance(r, 0.05)) out += pick(r, ['\\x4', '\\xZZ', '\\', '\\q']);
  return out;
}

function encodeInline(r: Rng, argv: readonly Arg[]): Buffer {
  const line = argv.map((a) => inlineWord(r, a)).join(pick(r, [' ', ' ', '  ', '\t', ' \v ']));
  return Buffer.from(line + pick(r, ['\r\n', '\r\n', '\n', '\r\r\n']), 'latin1');
}

/** Frames that break the protocol one way or another; most of them end the connection. */
function malformed(r: Rng): Frame {
  const cmd = (): Buffer => encodeMultibulk(validArgv(r));
  const f = (kind: string, ...parts: (string | Buffer)[]): Frame => ({
    kind,
    bytes: Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1')))),
  });
  return weighted<() => Frame>(r, [
    [
      3,
      () =>
        f(
          'bad-mbulk-count',
          `*${pick(r, ['abc', '', '-2', '+1', '01', ' 1', '1 ', '1.5', '0x10', '1048577', '1000000000', '99999999999999999999999', '-9223372036854775809'])}\r\n`,
          chance(r, 0.5) ? cmd() : '',
        ),
    ],
    [
      2,
      () =>
        f(
          'empty-mbulk',
          pick(r, ['*0\r\n', '*-1\r\n', '*-0\r\n']),
          chance(r, 0.5) ? cmd() : '',
          chance(r, 0.3) ? '\r\n\r\n' : '',
        ),
    ],
    [
      3,
      () => {
        // The count is off: too few arguments leave the command open, too many spill over.
        const argv = validArgv(r);
        const body = encodeMultibulk(argv).subarray(`*${argv.length}\r\n`.length);
        const n = Math.max(1, argv.length + pick(r, [-2, -1, 1, 2, 5]));
        return f('wrong-count', `*${n}\r\n`, body);
      },
    ],
    [
      3,
      () =>
        f(
          'bad-bulk-len',
          `*2\r\n$4\r\nPING\r\n$${pick(r, ['-1', '-5', 'abc', '', '+3', '03', '1e3', ' 3', '3 ', '536870913', '99999999999', '99999999999999999999999'])}\r\n`,
          'abc\r\n',
        ),
    ],
    [
      2,
      () => {
        // Bulk lengths that disagree with the payload: the trailer bytes are skipped unchecked.
        const payload = randString(r, ALNUM, 0, 20);
        const len = Math.max(0, payload.length + int(r, -3, 3));
        return f('bulk-len-mismatch', `*2\r\n$4\r\nPING\r\n$${len}\r\n${payload}\r\n`);
      },
    ],
    [
      2,
      () =>
        f(
          'expected-dollar',
          `*${int(r, 1, 3)}\r\n`,
          pick(r, ['+', '-', ':', '*', '4', ' ', '\r', 'x']),
          'PING\r\n',
        ),
    ],
    [
      1,
      // Valid but enormous declarations: the connection then absorbs what follows as arguments.
      () =>
        f(
          'huge-declared',
          pick(r, ['*1048576\r\n', '*1\r\n$536870912\r\n', '*3\r\n$4\r\nPING\r\n$100000000\r\n']),
        ),
    ],
    [4, () => f('garbage', randBytes(r, 1, chance(r, 0.9) ? 256 : 4096))],
    [
      1,
      () => {
        // Inline lines around PROTO_INLINE_MAX_SIZE (64 KB), with or without a newline at the end.
        const len = int(r, 64 * 1024 - 16, 64 * 1024 + 4096);
        const body = chance(r, 0.5) ? 'A'.repeat(len) : `PING ${'x'.repeat(len)}`;
        return f('long-inline', body, chance(r, 0.7) ? '\r\n' : '');
      },
    ],
    [
      1,
      () =>
        chance(r, 0.5)
          ? f('long-header', '*', '1'.repeat(int(r, 64 * 1024 - 8, 70_000)), '\r\n')
          : f('long-header', '*1\r\n$', '9'.repeat(int(r, 64 * 1024 - 8, 70_000)), '\r\n'),
    ],
    [
      3,
      () =>
        f(
          'nul',
          pick(r, [
            'PI\0NG\r\n',
            '\0\r\n',
            '*1\0\r\n$4\r\nPING\r\n',
            '*1\r\n$4\0\r\nPING\r\n',
            '*2\r\n$4\r\nPING\r\n$3\r\na\0b\r\n',
            'PING "a\0b"\r\n',
          ]),
        ),
    ],
    [
      2,
      () =>
        f(
          'resp3-types',
          pick(r, [
            '%1\r\n+a\r\n+b\r\n',
            '~2\r\n:1\r\n:2\r\n',
            '>3\r\n+message\r\n+c\r\n+m\r\n',
            '#t\r\n',
            '_\r\n',
            ',1.5\r\n',
            '(123456789012345678901234567890\r\n',
            '!5\r\nhello\r\n',
            '=8\r\ntxt:abcd\r\n',
            '|1\r\n+a\r\n+b\r\n',
          ]),
        ),
    ],
    [
      2,
      () =>
        f(
          'line-endings',
          pick(r, ['PING\n', 'PING\r\r\n', '\r\n\r\n', 'PING\rPING\n', '\n', '\r', '   \r\n', '\t\v\f\r\n']),
        ),
    ],
  ])();
}

function frame(r: Rng): Frame {
  return weighted<() => Frame>(r, [
    [40, () => ({ kind: 'valid', bytes: encodeMultibulk(validArgv(r)) })],
    [8, () => ({ kind: 'valid-inline', bytes: encodeInline(r, validArgv(r)) })],
    [14, () => ({ kind: 'mutated', bytes: encodeMultibulk(mutatedArgv(r)) })],
    [6, () => ({ kind: 'mutated-inline', bytes: encodeInline(r, mutatedArgv(r)) })],
    [6, () => ({ kind: 'unknown', bytes: encodeMultibulk(unknownArgv(r)) })],
    [3, () => ({ kind: 'unknown-inline', bytes: encodeInline(r, unknownArgv(r)) })],
    [6, () => malformed(r)],
    [0.03, () => ({ kind: 'pattern-burst', bytes: patternBurst(r) })],
  ])();
}

/**
 * A pipeline of commands that glob-match a client's pattern against names: SENTINEL CONFIG GET
 * (against the parameter names) or PSUBSCRIBE (against every event channel later on), with
 * patterns built to make a backtracking matcher take exponential time.
 */
function patternBurst(r: Rng): Buffer {
  const pattern = (): string => `${'*?'.repeat(int(r, 8, 14))}${pick(r, ['x', '\\*', '[^a-z]', 'é'])}`;
  const n = int(r, 150, 400);
  if (chance(r, 0.2)) {
    return Buffer.concat(times(n, () => encodeMultibulk(['PSUBSCRIBE', pattern(), pattern()])));
  }
  // Leave RESP2 subscribe mode first, where SENTINEL is refused.
  const prologue = [encodeMultibulk(['UNSUBSCRIBE']), encodeMultibulk(['PUNSUBSCRIBE'])];
  return Buffer.concat([
    ...prologue,
    ...times(n, () => encodeMultibulk(['SENTINEL', 'CONFIG', 'GET', pattern()])),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Vetting: an allow-list of what the fuzzer may let the daemon run.
//
// Commands and subcommands the daemon does not know are always let through (they only earn an
// error). Of those it knows (its own command table says which), only the ones listed here are,
// some under conditions: anything else, including whatever is added to the table later, is
// vetoed.

const TIMING_NAMES = new Set(TIMING_DEBUG_NAMES.map(([n]) => n.toLowerCase()));
/** The daemon's Valkey aliases of SENTINEL subcommands. */
const SENTINEL_ALIASES: Record<string, string> = {
  primaries: 'masters',
  primary: 'master',
  'get-primary-addr-by-name': 'get-master-addr-by-name',
  'is-primary-down-by-addr': 'is-master-down-by-addr',
};
const ALLOWED: Record<string, ReadonlySet<string> | 'any'> = {
  ping: 'any',
  info: 'any',
  role: 'any',
  command: 'any',
  quit: 'any',
  auth: 'any',
  hello: 'any',
  subscribe: 'any',
  psubscribe: 'any',
  unsubscribe: 'any',
  punsubscribe: 'any',
  publish: 'any',
  client: new Set(['getname', 'id', 'info', 'list', 'setname', 'setinfo', 'help']),
  acl: new Set(['whoami', 'users', 'list', 'cat', 'help', 'setuser', 'deluser']),
  sentinel: new Set([
    'masters',
    'master',
    'replicas',
    'slaves',
    'sentinels',
    'myid',
    'get-master-addr-by-name',
    'ckquorum',
    'info-cache',
    'pending-scripts',
    'help',
    'config',
    'set',
    'debug',
    'is-master-down-by-addr',
  ]),
};

/** Why the daemon must not run `argv`, or undefined when it is harmless. */
function vetoReason(argv: readonly string[], dataPorts: ReadonlySet<number>): string | undefined {
  const cmd = (argv[0] ?? '').toLowerCase();
  let sub = (argv[1] ?? '').toLowerCase();
  if (cmd === 'sentinel') sub = SENTINEL_ALIASES[sub] ?? sub;
  const spec = findCommand(cmd);
  if (spec === undefined) return undefined;
  const allowed = ALLOWED[cmd];
  if (allowed === undefined) return cmd.toUpperCase();
  if (allowed !== 'any' && !allowed.has(sub) && (spec.subcommands ?? []).some((x) => x.name === sub)) {
    return `${cmd.toUpperCase()} ${sub.toUpperCase()}`;
  }
  switch (cmd) {
    case 'auth':
    case 'hello':
      // A session logged in as a pool user would be closed by ACL DELUSER: an unexpected close.
      return argv.slice(1).some((a) => ACL_POOL.includes(a))
        ? `${cmd.toUpperCase()} as a pool user`
        : undefined;
    case 'acl':
      if (sub === 'setuser') {
        return ACL_POOL.includes(argv[2] ?? '') ? undefined : 'ACL SETUSER outside the pool';
      }
      if (sub === 'deluser') {
        return argv.slice(2).every((a) => ACL_POOL.includes(a)) ? undefined : 'ACL DELUSER outside the pool';
      }
      return undefined;
    case 'publish': {
      if (argv[1] !== HELLO_CHANNEL) return undefined;
      const fields = (argv[2] ?? '').split(',');
      return fields.length === 8 && fields[4] === MASTER ? 'a hello for the real master' : undefined;
    }
    case 'sentinel':
      switch (sub) {
        case 'config':
          return (argv[2] ?? '').toLowerCase() === 'set' ? 'SENTINEL CONFIG SET' : undefined;
        case 'set':
          return argv[2] === MASTER ? 'SENTINEL SET on the real master' : undefined;
        case 'debug': {
          // DEBUG applies its pairs one by one and stops at the first bad one: only a leading
          // valid pair changes anything.
          const value = parseInteger(argv[3] ?? '');
          return TIMING_NAMES.has((argv[2] ?? '').toLowerCase()) && value !== undefined && value > 0
            ? 'SENTINEL DEBUG with a valid setting'
            : undefined;
        }
        case 'is-master-down-by-addr': {
          // Asking with a run id (not '*') about a monitored address casts a vote.
          const port = parseInteger(argv[3] ?? '');
          return argv[5] !== '*' && port !== undefined && dataPorts.has(port) ? 'a leader vote' : undefined;
        }
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw fuzz connections.

interface Stats {
  framesByKind: Map<string, number>;
  frames: number;
  /** Commands the frames completed (what the daemon ran, by the shadow parser). */
  commands: number;
  /** Frames that completed nothing: absorbed by an unfinished command or line. */
  absorbed: number;
  writes: number;
  bytesOut: number;
  bytesIn: number;
  connections: number;
  connectFailures: number;
  vetoed: Map<string, number>;
  protocolErrorsExpected: number;
  protocolErrorsSeen: number;
  silentCloses: number;
  quits: number;
  quitCloses: number;
  syncs: number;
  internalErrorReplies: number;
  findings: string[];
}

class FuzzConn {
  readonly sock: net.Socket;
  /** The daemon's parser, fed exactly what this connection sends. */
  readonly shadow = new RequestParser({ maxQueryBuffer: QUERY_BUFFER_LIMIT });
  readonly connected: Promise<void>;
  closed = false;
  gotEnd = false;
  lastError: string | undefined;
  /** The last bytes received (the end of the reply stream). */
  tail: Buffer = Buffer.alloc(0);
  private readonly listeners = new Set<() => void>();

  constructor(host: string, port: number, stats: Stats) {
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.connected = new Promise<void>((resolve, reject) => {
      this.sock.once('connect', () => resolve());
      this.sock.once('error', reject);
    });
    this.connected.catch(() => undefined);
    this.sock.on('data', (chunk: Buffer) => {
      stats.bytesIn += chunk.length;
      if (chunk.includes(INTERNAL_ERROR)) stats.internalErrorReplies++;
      this.tail =
        chunk.length >= TAIL_BYTES
          ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES))
          : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
      this.notify();
    });
    this.sock.on('end', () => {
      this.gotEnd = true;
      this.notify();
    });
    this.sock.on('error', (e: NodeJS.ErrnoException) => {
      this.lastError = e.code ?? e.message;
    });
    this.sock.once('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves true once `cond` holds (checked on every data/end/close), false after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (!cond()) return;
        done();
        resolve(true);
      };
      const timer = setTimeout(() => {
        done();
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Writes, waiting for 'drain' (or the end of the connection) when the socket is backed up. */
  async write(b: Buffer): Promise<void> {
    if (this.closed || this.sock.destroyed) return;
    if (this.sock.write(b)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.sock.off('drain', done);
        this.sock.off('close', done);
        resolve();
      };
      this.sock.on('drain', done);
      this.sock.on('close', done);
    });
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Splits a frame into the pieces it is written in (most frames go out whole). */
function split(r: Rng, b: Buffer): Buffer[] {
  if (b.length <= 1 || chance(r, 0.7)) return [b];
  if (b.length <= 48 && chance(r, 0.3)) return [...b].map((x) => Buffer.from([x]));
  const cuts = times(int(r, 1, 6), () => int(r, 1, b.length - 1)).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    if (c > from) out.push(b.subarray(from, c));
    from = c;
  }
  out.push(b.subarray(from));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Daemon observation.

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

void test(
  `the daemon survives ${FRAMES} random and malformed frames with bounded memory and then serves clients`,
  { timeout: FUZZ_BUDGET_MS + 90_000 },
  async (t) => {
    console.log(`fuzz seed ${SEED} (replay with VIGIL_FUZZ_SEED=${SEED})`);

    const group = await RedisGroup.start({ replicas: 1, persistence: 'none', label: 'fuzz' });
    const primary = group.primary;
    const replica = group.replicas[0]!;
    const sentinel = await SentinelProcess.start({
      kind: 'vigil',
      label: 'vigil-fuzz',
      masters: [group.monitorSpec(MASTER, { quorum: 1, downAfterMs: 5000, failoverTimeoutMs: 60_000 })],
    });
    const pid = sentinel.pid;
    assert.ok(pid !== undefined, 'the daemon has a pid');
    const host = sentinel.host;
    const port = sentinel.port;
    const dataPorts = new Set(group.nodes.map((n) => n.port));

    // Let the monitor discover the replica first, so the fuzz runs against a daemon doing real
    // work (pings, INFO, hellos every second) and the final check has something to compare with.
    await sentinel.waitForReplicas(MASTER, 1, 15_000);
    const masterBefore = await sentinel.master(MASTER);
    const debugBefore = await sentinel.command('SENTINEL', 'DEBUG');
    const rssStart = (procStatusKb(pid, 'VmRSS') ?? 0) * 1024;

    const stats: Stats = {
      framesByKind: new Map(),
      frames: 0,
      commands: 0,
      absorbed: 0,
      writes: 0,
      bytesOut: 0,
      bytesIn: 0,
      connections: 0,
      connectFailures: 0,
      vetoed: new Map(),
      protocolErrorsExpected: 0,
      protocolErrorsSeen: 0,
      silentCloses: 0,
      quits: 0,
      quitCloses: 0,
      syncs: 0,
      internalErrorReplies: 0,
      findings: [],
    };
    const finding = (what: string): void => {
      if (stats.findings.length < 20) stats.findings.push(what);
    };

    const live = new Set<FuzzConn>();
    const checkpoints: { frames: number; at: number; rss: number }[] = [];
    let nextCheckpoint = CHECKPOINT_EVERY;
    let dead: string | undefined;
    const checkAlive = (): boolean => {
      if (dead !== undefined) return false;
      if (!sentinel.running || !isAlive(pid)) {
        const exit = sentinel.lastExit;
        dead = `the daemon (pid ${pid}) died after ${stats.frames} frames${
          exit ? ` (code ${exit.code}, signal ${exit.signal})` : ''
        }`;
        return false;
      }
      return true;
    };
    const t0 = nowMs();
    const sample = (): void => {
      if (!checkAlive()) return;
      const rss = (procStatusKb(pid, 'VmRSS') ?? 0) * 1024;
      checkpoints.push({ frames: stats.frames, at: nowMs() - t0, rss });
    };

    // A clean client pings on fresh connections all along: the daemon must keep answering.
    let heartbeatMaxMs = 0;
    let heartbeats = 0;
    const heartbeatFailures: string[] = [];
    let stopHeartbeat = false;
    const heartbeat = (async () => {
      while (!stopHeartbeat) {
        const start = nowMs();
        try {
          const pong = await respCommand(host, port, ['PING'], { timeoutMs: HEARTBEAT_TIMEOUT_MS });
          if (pong !== 'PONG') heartbeatFailures.push(`PING answered ${JSON.stringify(pong)}`);
        } catch (e) {
          heartbeatFailures.push((e as Error).message);
        }
        heartbeats++;
        heartbeatMaxMs = Math.max(heartbeatMaxMs, nowMs() - start);
        await delay(250);
      }
    })();

    const deadline = t0 + FUZZ_BUDGET_MS;
    /** Set when a worker fails in the test's own code: every worker stops. */
    let aborted: string | undefined;
    const more = (): boolean =>
      stats.frames < FRAMES && nowMs() < deadline && dead === undefined && aborted === undefined;
    let oversizedDone = false;

    /** A command over the 64 MB query buffer limit: the daemon must drop the connection unanswered. */
    const oversized = async (): Promise<void> => {
      const conn = new FuzzConn(host, port, stats);
      live.add(conn);
      stats.connections++;
      try {
        await conn.connected;
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        await conn.write(Buffer.from('*1\r\n$100000000\r\n'));
        let sent = 0;
        while (!conn.gotEnd && !conn.closed && sent <= QUERY_BUFFER_LIMIT + 8 * chunk.length) {
          await conn.write(chunk);
          sent += chunk.length;
        }
        stats.frames++;
        stats.bytesOut += sent;
        stats.framesByKind.set('query-buffer-limit', 1);
        if (!(await conn.until(() => conn.closed || conn.gotEnd, STALL_TIMEOUT_MS))) {
          finding(
            `a ${mb(sent)} command was not cut off at the ${mb(QUERY_BUFFER_LIMIT)} query buffer limit`,
          );
        } else if (conn.tail.length > 0) {
          finding(`the query buffer limit close was not silent: ${conn.tail.toString('latin1')}`);
        } else {
          stats.silentCloses++;
        }
      } catch (e) {
        finding(`oversized command: ${(e as Error).message}`);
      } finally {
        conn.destroy();
        live.delete(conn);
      }
    };

    const worker = async (id: number): Promise<void> => {
      try {
        await fuzzLoop(id);
      } catch (e) {
        aborted ??= `worker ${id}: ${(e as Error).stack ?? String(e)}`;
      }
    };

    const fuzzLoop = async (id: number): Promise<void> => {
      const r = mulberry32((SEED ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0);
      let connNo = 0;
      while (more()) {
        if (id === 0 && !oversizedDone && stats.frames >= FRAMES / 2) {
          oversizedDone = true;
          await oversized();
          continue;
        }
        const conn = new FuzzConn(host, port, stats);
        const label = `worker ${id} connection ${connNo++}`;
        live.add(conn);
        stats.connections++;
        try {
          try {
            await conn.connected;
          } catch (e) {
            stats.connectFailures++;
            finding(`${label}: connect failed: ${(e as Error).message}`);
            checkAlive();
            await delay(50);
            continue;
          }
          // Connection lifetimes vary: many short ones, some long pipelines.
          const life = chance(r, 0.3) ? int(r, 1, 10) : int(r, 10, 400);
          const recent: string[] = [];
          let absorbing = 0;
          let ending: 'open' | 'protocol-error' | 'silent' | 'quit' | 'quit-then-error' | 'vetoed' = 'open';
          for (let n = 0; n < life && more(); n++) {
            let fr: Frame;
            if (chance(r, 0.04)) {
              // A burst: several frames in one write.
              const parts = times(int(r, 2, 10), () => frame(r));
              fr = { kind: 'mix', bytes: Buffer.concat(parts.map((p) => p.bytes)) };
            } else {
              fr = frame(r);
            }
            const items = conn.shadow.feed(fr.bytes);
            let veto: string | undefined;
            for (const it of items) {
              if (it.kind === 'protocolError') {
                // After a QUIT in the same frame the daemon may already have closed, unanswered.
                ending = ending === 'quit' ? 'quit-then-error' : it.silent ? 'silent' : 'protocol-error';
                break;
              }
              const argv = it.argv.map((b) => b.toString('utf8'));
              veto = vetoReason(argv, dataPorts);
              if (veto !== undefined) break;
              // Every command of the frame is vetted: QUIT may or may not end the connection.
              if ((argv[0] ?? '').toLowerCase() === 'quit') ending = 'quit';
            }
            if (veto !== undefined) {
              // Not sent: the daemon never gets the last bytes of that command.
              stats.vetoed.set(veto, (stats.vetoed.get(veto) ?? 0) + 1);
              ending = 'vetoed';
              break;
            }
            recent.push(fr.kind);
            if (recent.length > 8) recent.shift();
            for (const piece of split(r, fr.bytes)) {
              await conn.write(piece);
              stats.writes++;
              if (chance(r, 0.3)) await yieldToLoop();
            }
            stats.frames++;
            stats.commands += items.filter((it) => it.kind === 'command').length;
            if (items.length === 0) stats.absorbed++;
            stats.bytesOut += fr.bytes.length;
            stats.framesByKind.set(fr.kind, (stats.framesByKind.get(fr.kind) ?? 0) + 1);
            if (stats.frames >= nextCheckpoint) {
              nextCheckpoint += CHECKPOINT_EVERY;
              sample();
            }
            if (ending !== 'open') break;
            // A connection inside an unfinished command (a huge declared bulk, a line held back by
            // a NUL) swallows whatever follows: let it absorb a few frames, then move on, so that
            // most frames reach the command layer.
            absorbing = items.length === 0 && conn.shadow.pendingBytes > 0 ? absorbing + 1 : 0;
            if (absorbing >= 3) break;
            if (conn.closed) {
              finding(
                `${label}: closed by the daemon (${conn.lastError ?? 'no error'}) after frames ${recent.join(', ')}; ` +
                  `last bytes: ${JSON.stringify(conn.tail.toString('latin1').slice(-120))}`,
              );
              checkAlive();
              break;
            }
          }
          if (ending === 'protocol-error' || ending === 'silent' || ending === 'quit-then-error') {
            if (ending === 'protocol-error') stats.protocolErrorsExpected++;
            // The daemon must answer what came before and close the connection.
            if (!(await conn.until(() => conn.closed || conn.gotEnd, STALL_TIMEOUT_MS))) {
              finding(
                `${label}: not closed ${STALL_TIMEOUT_MS} ms after a ${ending}; frames ${recent.join(', ')}; ` +
                  `last bytes: ${JSON.stringify(conn.tail.toString('latin1').slice(-200))}`,
              );
              checkAlive();
            } else if (ending === 'protocol-error' && conn.tail.includes(PROTOCOL_ERROR)) {
              stats.protocolErrorsSeen++;
            } else if (ending === 'silent') {
              stats.silentCloses++;
            }
          } else if (
            (ending === 'open' || ending === 'quit') &&
            !conn.closed &&
            dead === undefined &&
            conn.shadow.pendingBytes === 0
          ) {
            // Between commands: everything sent so far must be answered (or, after a QUIT, the
            // connection closed: whether QUIT ends a Sentinel connection is the daemon's call).
            if (ending === 'quit') stats.quits++;
            const marker = `fuzz-sync-${id}-${connNo}-${int(r, 0, 1e9)}`;
            const markerBuf = Buffer.from(marker);
            const items = conn.shadow.feed(encodeMultibulk([marker]));
            if (items.length !== 1 || items[0]?.kind !== 'command') {
              throw new Error(
                `the shadow parser did not see the marker as one command: ${JSON.stringify(items)}`,
              );
            }
            await conn.write(encodeMultibulk([marker]));
            const done = () =>
              conn.tail.includes(markerBuf) || conn.closed || (ending === 'quit' && conn.gotEnd);
            if (!(await conn.until(done, STALL_TIMEOUT_MS))) {
              finding(
                `${label}: no answer within ${STALL_TIMEOUT_MS} ms; frames ${recent.join(', ')}; ` +
                  `last bytes: ${JSON.stringify(conn.tail.toString('latin1').slice(-200))}`,
              );
              checkAlive();
            } else if (conn.tail.includes(markerBuf)) {
              stats.syncs++;
            } else if (ending === 'quit') {
              stats.quitCloses++;
            } else {
              finding(`${label}: closed instead of answering; frames ${recent.join(', ')}`);
            }
          }
        } finally {
          conn.destroy();
          live.delete(conn);
        }
      }
    };

    // Liveness is also polled between checkpoints (and VmHWM records any RSS peak in between).
    const sampler = setInterval(() => void checkAlive(), 500);
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    } finally {
      clearInterval(sampler);
      for (const c of live) c.destroy();
      stopHeartbeat = true;
      await heartbeat;
    }
    const fuzzMs = nowMs() - t0;
    sample();
    const peakRss = (procStatusKb(pid, 'VmHWM') ?? 0) * 1024;

    // Settle: every fuzz session must be gone (no leaked sessions), then measure again.
    let connectedClients = -1;
    if (dead === undefined) {
      const clients = async (): Promise<number> =>
        Number(infoFields(String(await sentinel.command('INFO', 'clients')))['connected_clients']);
      try {
        connectedClients = await waitForValue(clients, (n) => n <= 1, {
          what: 'the daemon to drop every fuzz session',
          timeoutMs: 15_000,
        });
      } catch {
        connectedClients = await clients().catch(() => -1);
      }
      await delay(2000);
    }
    const rssEnd = (procStatusKb(pid, 'VmRSS') ?? 0) * 1024;
    const warm = checkpoints[0]?.rss ?? rssStart;

    const kinds = [...stats.framesByKind.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
    const report = [
      `seed ${SEED}: ${stats.frames} frames in ${(fuzzMs / 1000).toFixed(1)} s ` +
        `(${Math.round(stats.frames / (fuzzMs / 1000))}/s), ${stats.writes} writes, ` +
        `${mb(stats.bytesOut)} out, ${mb(stats.bytesIn)} in; ${stats.commands} commands run, ` +
        `${stats.absorbed} frames absorbed by an unfinished command`,
      `frame kinds: ${kinds}`,
      `connections ${stats.connections} (connect failures ${stats.connectFailures}), marker syncs ${stats.syncs}, ` +
        `QUITs ${stats.quits} (${stats.quitCloses} closed the connection), silent closes ${stats.silentCloses}`,
      `protocol errors: ${stats.protocolErrorsExpected} expected, ${stats.protocolErrorsSeen} replies seen`,
      `vetoed commands: ${[...stats.vetoed.entries()].map(([k, n]) => `${k}=${n}`).join(', ') || 'none'}`,
      `connected_clients once the fuzz connections are closed: ${connectedClients}`,
      `heartbeat PINGs ${heartbeats}, slowest ${Math.round(heartbeatMaxMs)} ms, failures ${heartbeatFailures.length}`,
      `daemon RSS: start ${mb(rssStart)}, after warm-up ${mb(warm)}, max ${mb(peakRss)}, end ${mb(rssEnd)}; ` +
        `checkpoints ${checkpoints.map((c) => `${c.frames}:${mb(c.rss)}`).join(' ')}`,
    ];
    for (const line of report) t.diagnostic(line);

    assert.equal(aborted, undefined, 'the fuzzer itself failed');
    assert.equal(dead, undefined, `${dead}\n${sentinel.diagnostics()}`);
    assert.deepEqual(
      stats.findings,
      [],
      `fuzz findings:\n${stats.findings.join('\n')}\n${sentinel.diagnostics()}`,
    );
    assert.deepEqual(heartbeatFailures, [], 'every heartbeat PING was answered');
    assert.ok(
      heartbeatMaxMs < HEARTBEAT_MAX_MS,
      `a heartbeat PING took ${Math.round(heartbeatMaxMs)} ms: the daemon's event loop stalled`,
    );
    assert.ok(
      stats.frames >= FRAMES,
      `only ${stats.frames} of ${FRAMES} frames sent in ${FUZZ_BUDGET_MS} ms`,
    );
    assert.ok(oversizedDone && stats.silentCloses >= 1, 'the 64 MB command was sent and cut off');
    assert.equal(stats.internalErrorReplies, 0, 'no reply mentions an internal error');
    assert.equal(
      stats.protocolErrorsSeen,
      stats.protocolErrorsExpected,
      'every protocol error was answered with its error reply before the close',
    );
    assert.ok(
      connectedClients >= 0 && connectedClients <= 1,
      `connected_clients after the fuzz: ${connectedClients}`,
    );
    assert.ok(peakRss < MAX_RSS_BYTES, `peak RSS ${mb(peakRss)} over the ${mb(MAX_RSS_BYTES)} ceiling`);
    assert.ok(
      rssEnd <= warm * MAX_END_TO_WARM_RATIO,
      `RSS after the fuzz ${mb(rssEnd)} is more than ${MAX_END_TO_WARM_RATIO}x the warm-up RSS ${mb(warm)}`,
    );

    // A well-behaved client is served, and the monitoring state is what it was.
    const client = sentinel.client();
    assert.equal(await client.ping(), 'PONG');
    const fields = await waitForValue(
      () => sentinel.master(MASTER),
      (m) => m['flags'] === 'master' && m['num-slaves'] === '1',
      { what: `SENTINEL MASTER ${MASTER} to show a healthy master with one replica`, timeoutMs: 10_000 },
    );
    assert.equal(fields['ip'], primary.host);
    assert.equal(fields['port'], String(primary.port));
    for (const key of [
      'quorum',
      'down-after-milliseconds',
      'failover-timeout',
      'parallel-syncs',
      'config-epoch',
    ]) {
      assert.ok(masterBefore[key] !== undefined, `SENTINEL MASTER has ${key}`);
      assert.equal(fields[key], masterBefore[key], `SENTINEL MASTER ${key} is unchanged`);
    }
    const viaIoredis = (await client.call('SENTINEL', 'MASTER', MASTER)) as string[];
    assert.equal(viaIoredis[viaIoredis.indexOf('num-slaves') + 1], '1');
    assert.deepEqual(await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER), [
      primary.host,
      String(primary.port),
    ]);
    const replicas = await sentinel.replicas(MASTER);
    assert.deepEqual(
      replicas.map((x) => Number(x['port'])),
      [replica.port],
    );
    assert.deepEqual(await sentinel.sentinels(MASTER), [], 'no peer monitor was made up by the fuzz');
    assert.deepEqual(await sentinel.command('SENTINEL', 'DEBUG'), debugBefore, 'timings are unchanged');
    const users = (await sentinel.command('ACL', 'USERS')) as string[];
    assert.ok(
      users.every((u) => u === 'default' || ACL_POOL.includes(u)),
      `ACL users: ${users.join(', ')}`,
    );

    const log = readFileSync(sentinel.logPath, 'utf8') + readFileSync(sentinel.outputPath, 'utf8');
    const bad = log.split('\n').filter((l) => /Internal error|internal error|Command \S+ failed/.test(l));
    assert.deepEqual(bad, [], 'the daemon logged no internal error');
    const tilts = log.split('\n').filter((l) => /[+-]tilt/.test(l));
    assert.deepEqual(tilts, [], 'the daemon never stalled long enough to enter TILT');

    // End to end: a Sentinel-aware client finds the primary through the daemon and writes to it.
    const app = sentinel.masterClient(MASTER, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
    assert.equal(await app.set('fuzz:after', 'ok'), 'OK');
    assert.equal(await primary.cli('GET', 'fuzz:after'), 'ok');
    app.disconnect();
    assert.ok(sentinel.running && isAlive(pid), 'the daemon is still running');
  },
);
