import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeReplies,
  encodeReply,
  formatDouble,
  R,
  replyByteLength,
  ReplyWriter,
  type ProtocolVersion,
  type Reply,
} from '../../src/resp/index.js';
import { mulberry32 } from '../harness/random.js';

const s2 = (r: Reply): string => encodeReply(r, 2).toString('latin1');
const s3 = (r: Reply): string => encodeReply(r, 3).toString('latin1');

/** [name, reply, RESP2 bytes, RESP3 bytes] */
const table: [string, Reply, string, string][] = [
  ['ok', R.ok, '+OK\r\n', '+OK\r\n'],
  ['simple', R.simple('PONG'), '+PONG\r\n', '+PONG\r\n'],
  ['simple with CR LF', R.simple('a\r\nb\rc\nd'), '+a  b c d\r\n', '+a  b c d\r\n'],
  ['empty simple', R.simple(''), '+\r\n', '+\r\n'],
  ['error', R.error('ERR unknown command'), '-ERR unknown command\r\n', '-ERR unknown command\r\n'],
  [
    'error code kept as given',
    R.error('NOAUTH Authentication required.'),
    '-NOAUTH Authentication required.\r\n',
    '-NOAUTH Authentication required.\r\n',
  ],
  ['error without a code gets none', R.error('oops'), '-oops\r\n', '-oops\r\n'],
  ['error already starting with -', R.error('-WRONGTYPE x'), '-WRONGTYPE x\r\n', '-WRONGTYPE x\r\n'],
  ['error with newlines', R.error('ERR a\r\nb'), '-ERR a  b\r\n', '-ERR a  b\r\n'],
  ['int 0', R.int(0), ':0\r\n', ':0\r\n'],
  ['int negative', R.int(-42), ':-42\r\n', ':-42\r\n'],
  ['int max safe', R.int(Number.MAX_SAFE_INTEGER), ':9007199254740991\r\n', ':9007199254740991\r\n'],
  ['int large number', R.int(1e21), ':1000000000000000000000\r\n', ':1000000000000000000000\r\n'],
  ['int bigint', R.int(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
  [
    'int negative bigint',
    R.int(-9223372036854775808n),
    ':-9223372036854775808\r\n',
    ':-9223372036854775808\r\n',
  ],
  ['int -0', R.int(-0), ':0\r\n', ':0\r\n'],
  ['bulk', R.bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
  ['empty bulk', R.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  [
    'bulk utf8 is counted in bytes',
    R.bulk('é€'),
    '$5\r\n\xc3\xa9\xe2\x82\xac\r\n',
    '$5\r\n\xc3\xa9\xe2\x82\xac\r\n',
  ],
  [
    'bulk buffer is binary safe',
    R.bulk(Buffer.from([0, 13, 10, 255])),
    '$4\r\n\0\r\n\xff\r\n',
    '$4\r\n\0\r\n\xff\r\n',
  ],
  ['null', R.null, '$-1\r\n', '_\r\n'],
  ['null array', R.nullArray, '*-1\r\n', '_\r\n'],
  ['empty array', R.array([]), '*0\r\n', '*0\r\n'],
  ['array', R.bulks(['a', 'bc']), '*2\r\n$1\r\na\r\n$2\r\nbc\r\n', '*2\r\n$1\r\na\r\n$2\r\nbc\r\n'],
  [
    'array with nulls',
    R.array([R.null, R.nullArray, R.int(1)]),
    '*3\r\n$-1\r\n*-1\r\n:1\r\n',
    '*3\r\n_\r\n_\r\n:1\r\n',
  ],
  [
    'nested array',
    R.array([R.array([R.int(1)]), R.array([])]),
    '*2\r\n*1\r\n:1\r\n*0\r\n',
    '*2\r\n*1\r\n:1\r\n*0\r\n',
  ],
  ['empty map', R.map([]), '*0\r\n', '%0\r\n'],
  [
    'map',
    R.strMap([
      ['name', R.bulk('mymaster')],
      ['port', R.int(6379)],
    ]),
    '*4\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n:6379\r\n',
    '%2\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n:6379\r\n',
  ],
  [
    'maps nested in an array (SENTINEL MASTERS shape)',
    R.array([
      R.strMap([['ip', R.bulk('10.0.0.1')]]),
      R.strMap([
        ['ip', R.bulk('10.0.0.2')],
        ['flags', R.bulks(['master'])],
      ]),
    ]),
    '*2\r\n*2\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n*4\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$5\r\nflags\r\n*1\r\n$6\r\nmaster\r\n',
    '*2\r\n%1\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n%2\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$5\r\nflags\r\n*1\r\n$6\r\nmaster\r\n',
  ],
  [
    'map with non-string keys and a map value',
    R.map([[R.int(1), R.map([[R.bool(true), R.null]])]]),
    '*2\r\n:1\r\n*2\r\n:1\r\n$-1\r\n',
    '%1\r\n:1\r\n%1\r\n#t\r\n_\r\n',
  ],
  ['set', R.set([R.bulk('a'), R.int(2)]), '*2\r\n$1\r\na\r\n:2\r\n', '~2\r\n$1\r\na\r\n:2\r\n'],
  ['empty set', R.set([]), '*0\r\n', '~0\r\n'],
  ['double', R.double(1.5), '$3\r\n1.5\r\n', ',1.5\r\n'],
  ['integral double', R.double(1), '$1\r\n1\r\n', ',1\r\n'],
  ['double 0.1 uses %.17g', R.double(0.1), '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n'],
  ['negative zero double', R.double(-0), '$2\r\n-0\r\n', ',-0\r\n'],
  ['inf', R.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
  ['-inf', R.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['nan', R.double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
  ['double exponent', R.double(1e21), '$5\r\n1e+21\r\n', ',1e+21\r\n'],
  ['true', R.bool(true), ':1\r\n', '#t\r\n'],
  ['false', R.bool(false), ':0\r\n', '#f\r\n'],
  ['verbatim', R.verbatim('hello'), '$5\r\nhello\r\n', '=9\r\ntxt:hello\r\n'],
  ['verbatim markdown', R.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
  ['verbatim long format is cut to 3', R.verbatim('x', 'markdown'), '$1\r\nx\r\n', '=5\r\nmar:x\r\n'],
  ['verbatim short format is padded', R.verbatim('x', 'a'), '$1\r\nx\r\n', '=5\r\na  :x\r\n'],
  ['verbatim utf8 length', R.verbatim('é'), '$2\r\n\xc3\xa9\r\n', '=6\r\ntxt:\xc3\xa9\r\n'],
  [
    'push',
    R.push([R.bulk('message'), R.bulk('ch'), R.bulk('hi')]),
    '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
  ],
  [
    'push with an integer',
    R.push([R.bulk('subscribe'), R.bulk('ch'), R.int(1)]),
    '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n',
    '>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n',
  ],
];

void describe('encodeReply', () => {
  for (const [name, reply, resp2, resp3] of table) {
    void test(name, () => {
      assert.equal(s2(reply), resp2, 'RESP2');
      assert.equal(s3(reply), resp3, 'RESP3');
      assert.equal(replyByteLength(reply, 2), Buffer.byteLength(resp2, 'latin1'));
      assert.equal(replyByteLength(reply, 3), Buffer.byteLength(resp3, 'latin1'));
    });
  }

  void test('a non-integer int reply is a programming error', () => {
    assert.throws(() => encodeReply(R.int(1.5), 2), RangeError);
    assert.throws(() => encodeReply(R.int(NaN), 3), RangeError);
  });

  void test('encodeReplies concatenates', () => {
    const replies = table.map(([, r]) => r);
    for (const proto of [2, 3] as const) {
      const want = Buffer.concat(replies.map((r) => encodeReply(r, proto)));
      assert.ok(encodeReplies(replies, proto).equals(want));
    }
  });
});

void describe('formatDouble (printf %.17g as glibc prints it)', () => {
  // Expected strings were produced by glibc's printf("%.17g").
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1.5, '-1.5'],
    [100, '100'],
    [0.1, '0.10000000000000001'],
    [1 / 3, '0.33333333333333331'],
    [2 / 3, '0.66666666666666663'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [1e21, '1e+21'],
    [123456789.12345679, '123456789.12345679'],
    [2 ** 60, '1.152921504606847e+18'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [Number.MIN_VALUE, '4.9406564584124654e-324'],
    [2.2250738585072014e-308, '2.2250738585072014e-308'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [3.14159, '3.1415899999999999'],
    [1e-7, '9.9999999999999995e-08'],
    [5e-5, '5.0000000000000002e-05'],
    [0.5, '0.5'],
    [-123.456, '-123.456'],
    // Exact ties at the 18th digit round to even, unlike Number#toPrecision.
    [1000000000000000.25, '1000000000000000.2'],
    [1000000000000000.75, '1000000000000000.8'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [d, want] of cases) {
    void test(`${String(d)} -> ${want}`, () => assert.equal(formatDouble(d), want));
  }
});

// ---------------------------------------------------------------------------------------------
// A minimal RESP2/RESP3 reader, used to check that encoded replies decode back to their shape.
// ---------------------------------------------------------------------------------------------

type Decoded = { t: string; v?: unknown } | null;

function decode(buf: Buffer): Decoded[] {
  let pos = 0;
  const line = (): string => {
    const e = buf.indexOf('\r\n', pos);
    assert.ok(e >= 0, 'missing CRLF');
    const s = buf.toString('utf8', pos, e);
    pos = e + 2;
    return s;
  };
  const one = (): Decoded => {
    const type = String.fromCharCode(buf[pos]!);
    pos++;
    const rest = line();
    switch (type) {
      case '+':
        return { t: 'simple', v: rest };
      case '-':
        return { t: 'error', v: rest };
      case ':':
        return { t: 'int', v: BigInt(rest) };
      case ',':
        return { t: 'double', v: rest };
      case '#':
        return { t: 'bool', v: rest === 't' };
      case '_':
        return { t: 'null' };
      case '$':
      case '=': {
        const n = Number(rest);
        if (n < 0) return { t: 'null' };
        const data = buf.subarray(pos, pos + n);
        pos += n;
        assert.equal(buf.toString('latin1', pos, pos + 2), '\r\n');
        pos += 2;
        return { t: type === '$' ? 'bulk' : 'verbatim', v: data.toString('hex') };
      }
      case '*':
      case '~':
      case '>': {
        const n = Number(rest);
        if (n < 0) return { t: 'null' };
        const items: Decoded[] = [];
        for (let i = 0; i < n; i++) items.push(one());
        return { t: type === '*' ? 'array' : type === '~' ? 'set' : 'push', v: items };
      }
      case '%': {
        const n = Number(rest);
        const items: Decoded[] = [];
        for (let i = 0; i < 2 * n; i++) items.push(one());
        return { t: 'map', v: items };
      }
      default:
        assert.fail(`unexpected type byte ${type}`);
    }
  };
  const out: Decoded[] = [];
  while (pos < buf.length) out.push(one());
  return out;
}

/** What `decode(encodeReply(r, proto))` must give. */
function expected(r: Reply, proto: ProtocolVersion): Decoded {
  const hex = (v: string | Buffer): string =>
    (typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('hex');
  const clean = (v: string): string => v.replace(/[\r\n]/g, ' ');
  switch (r.t) {
    case 'simple':
      return { t: 'simple', v: clean(r.v) };
    case 'error':
      return { t: 'error', v: clean(r.v).replace(/^-/, '') };
    case 'int':
      return { t: 'int', v: BigInt(r.v) };
    case 'bulk':
      return { t: 'bulk', v: hex(r.v) };
    case 'null':
    case 'nullArray':
      return { t: 'null' };
    case 'array':
      return { t: 'array', v: r.v.map((x) => expected(x, proto)) };
    case 'set':
      return { t: proto === 3 ? 'set' : 'array', v: r.v.map((x) => expected(x, proto)) };
    case 'push':
      return { t: proto === 3 ? 'push' : 'array', v: r.v.map((x) => expected(x, proto)) };
    case 'map':
      return {
        t: proto === 3 ? 'map' : 'array',
        v: r.v.flatMap(([k, v]) => [expected(k, proto), expected(v, proto)]),
      };
    case 'double':
      return proto === 3
        ? { t: 'double', v: formatDouble(r.v) }
        : { t: 'bulk', v: Buffer.from(formatDouble(r.v)).toString('hex') };
    case 'bool':
      return proto === 3 ? { t: 'bool', v: r.v } : { t: 'int', v: r.v ? 1n : 0n };
    case 'verbatim':
      return proto === 3
        ? {
            t: 'verbatim',
            v: Buffer.from(`${(r.format + '   ').slice(0, 3)}:${r.v}`, 'utf8').toString('hex'),
          }
        : { t: 'bulk', v: hex(r.v) };
  }
}

function randomReply(rand: () => number, depth: number): Reply {
  const ri = (n: number): number => Math.floor(rand() * n);
  const str = (): string => ['', 'a', 'héllo', 'x\r\ny', '€'.repeat(ri(4)), 'z'.repeat(ri(300))][ri(6)]!;
  const kinds = depth > 0 ? 13 : 8;
  switch (ri(kinds)) {
    case 0:
      return R.simple(str());
    case 1:
      return R.error(`ERR ${str()}`);
    case 2:
      return R.int(ri(2) ? ri(2000000) - 1000000 : BigInt(ri(1e9)) * 1000000000n);
    case 3:
      return R.bulk(ri(2) ? str() : Buffer.from(Array.from({ length: ri(20) }, () => ri(256))));
    case 4:
      return ri(2) ? R.null : R.nullArray;
    case 5:
      return R.double([0, -0, 1.5, 0.1, 1e300, -1e-300, Infinity, NaN, rand() * 1e6][ri(9)]!);
    case 6:
      return R.bool(ri(2) === 1);
    case 7:
      return R.verbatim(str(), ['txt', 'mkd', 'x'][ri(3)]);
    case 8:
      return R.array(Array.from({ length: ri(5) }, () => randomReply(rand, depth - 1)));
    case 9:
      return R.set(Array.from({ length: ri(5) }, () => randomReply(rand, depth - 1)));
    case 10:
      return R.push(Array.from({ length: ri(5) }, () => randomReply(rand, depth - 1)));
    default:
      return R.map(
        Array.from(
          { length: ri(4) },
          () => [randomReply(rand, depth - 1), randomReply(rand, depth - 1)] as const,
        ),
      );
  }
}

void describe('encoder properties', () => {
  void test('random reply trees: exact length, decode back to their shape in RESP2 and RESP3', () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 3000; i++) {
      const r = randomReply(rand, 3);
      for (const proto of [2, 3] as const) {
        const buf = encodeReply(r, proto);
        assert.equal(buf.length, replyByteLength(r, proto));
        assert.deepEqual(decode(buf), [expected(r, proto)]);
      }
    }
  });

  void test('ReplyWriter output equals the concatenation of encodeReply', () => {
    const rand = mulberry32(11);
    for (const chunkSize of [64, 256, 16 * 1024]) {
      const w = new ReplyWriter(3, chunkSize);
      const replies: Reply[] = [];
      for (let i = 0; i < 500; i++) {
        const r = randomReply(rand, 2);
        replies.push(r);
        w.write(r);
      }
      const want = encodeReplies(replies, 3);
      assert.equal(w.length, want.length);
      const chunks = w.take();
      assert.ok(Buffer.concat(chunks).equals(want));
      assert.equal(w.length, 0);
      assert.deepEqual(w.take(), []);
      // Reuse after take(), switching protocol as HELLO would.
      w.proto = 2;
      w.write(R.map([[R.bulk('a'), R.bool(true)]])).write(R.null);
      assert.equal(w.takeBuffer().toString(), '*2\r\n$1\r\na\r\n:1\r\n$-1\r\n');
    }
  });

  void test('ReplyWriter chunks taken earlier are not overwritten by later writes', () => {
    const w = new ReplyWriter(2, 64);
    w.write(R.simple('first'));
    const [first] = w.take();
    w.write(R.simple('second'));
    assert.equal(first!.toString(), '+first\r\n');
    assert.equal(w.takeBuffer().toString(), '+second\r\n');
  });

  void test('a big bulk reply is encoded once', () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const w = new ReplyWriter(2);
    w.write(R.simple('x')).write(R.bulk(big)).write(R.simple('y'));
    const out = w.takeBuffer();
    assert.equal(out.length, 4 + (1 + 7 + 2) + big.length + 2 + 4);
    assert.equal(out.subarray(0, 14).toString(), '+x\r\n$1048576\r\n');
    assert.equal(out.subarray(out.length - 6).toString(), '\r\n+y\r\n');
  });
});
