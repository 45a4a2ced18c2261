import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseRedisInteger,
  PROTOCOL_DEFAULTS,
  ProtocolErrors,
  protocolErrorReply,
  RequestParser,
  splitArgs,
  type ParsedItem,
  type RequestParserOptions,
} from '../../src/resp/index.js';
import { encodeReply } from '../../src/resp/encoder.js';
import { mulberry32 } from '../harness/random.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A parsed item in comparable form: argv as Latin-1 strings (lossless for bytes). */
type Norm = string[] | { error: string; silent: boolean };

function norm(items: readonly ParsedItem[]): Norm[] {
  return items.map((i) =>
    i.kind === 'command' ? i.argv.map((b) => b.toString('latin1')) : { error: i.message, silent: i.silent },
  );
}

function feedChunks(input: Buffer, sizes: Iterable<number>, options?: RequestParserOptions): Norm[] {
  const p = new RequestParser(options);
  const out: ParsedItem[] = [];
  let off = 0;
  for (const size of sizes) {
    if (off >= input.length) break;
    out.push(...p.feed(input.subarray(off, off + size)));
    off += size;
  }
  if (off < input.length) out.push(...p.feed(input.subarray(off)));
  return norm(out);
}

function whole(input: Buffer, options?: RequestParserOptions): Norm[] {
  return feedChunks(input, [input.length], options);
}

function byteByByte(input: Buffer, options?: RequestParserOptions): Norm[] {
  const p = new RequestParser(options);
  const out: ParsedItem[] = [];
  for (let i = 0; i < input.length; i++) {
    const items = p.feed(input.subarray(i, i + 1));
    for (const it of items) out.push(it);
  }
  return norm(out);
}

function* randomSizes(rand: () => number, max: number): Generator<number> {
  for (;;) yield 1 + Math.floor(rand() * max);
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const err = (error: string, silent = false): Norm => ({ error, silent });
const mb = (...args: string[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

interface Fixture {
  readonly name: string;
  readonly input: string | Buffer;
  readonly expect: readonly Norm[];
  readonly options?: RequestParserOptions;
  /** Skip the byte-by-byte run (only for very large inputs; they get random splits instead). */
  readonly noByteByByte?: boolean;
}

const K64 = 64 * 1024;

const fixtures: Fixture[] = [
  // --- multibulk ---
  { name: 'multibulk PING', input: '*1\r\n$4\r\nPING\r\n', expect: [['PING']] },
  {
    name: 'multibulk with args',
    input: mb('SENTINEL', 'get-master-addr-by-name', 'mymaster'),
    expect: [['SENTINEL', 'get-master-addr-by-name', 'mymaster']],
  },
  {
    name: 'binary-safe bulk with CRLF and NUL',
    input: '*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0\xffb\r\n',
    expect: [['ECHO', 'a\r\n\0\xffb']],
  },
  { name: 'empty bulk', input: '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n', expect: [['ECHO', '']] },
  {
    name: 'pipelined multibulk',
    input: mb('PING') + mb('ECHO', 'x') + mb('INFO', 'server'),
    expect: [['PING'], ['ECHO', 'x'], ['INFO', 'server']],
  },
  { name: '*0 is skipped', input: '*0\r\n' + mb('PING'), expect: [['PING']] },
  { name: '*-1 is skipped', input: '*-1\r\n' + mb('PING'), expect: [['PING']] },
  { name: '*-10 is skipped', input: '*-10\r\n' + mb('PING'), expect: [['PING']] },
  {
    name: 'most negative count is skipped',
    input: '*-9223372036854775808\r\n' + mb('PING'),
    expect: [['PING']],
  },
  { name: 'byte after header CR is not checked', input: '*1\rX$4\rY' + 'PING\r\n', expect: [['PING']] },
  {
    name: 'bulk trailer is not checked',
    input: '*1\r\n$4\r\nPINGXY' + mb('PING'),
    expect: [['PING'], ['PING']],
  },
  {
    name: 'blank line between multibulks is skipped',
    input: mb('PING') + '\r\n' + mb('PING'),
    expect: [['PING'], ['PING']],
  },
  {
    name: 'bulk of 32 KB',
    input: mb('ECHO', 'x'.repeat(32 * 1024)),
    expect: [['ECHO', 'x'.repeat(32 * 1024)]],
  },
  {
    name: 'bulk of 100 KB',
    input: mb('ECHO', 'yz'.repeat(50 * 1024), 'end'),
    expect: [['ECHO', 'yz'.repeat(50 * 1024), 'end']],
  },
  { name: 'count at the limit', input: '*1048576\r\n$1\r\na\r\n', expect: [] },
  { name: 'bulk length at the limit waits for data', input: '*1\r\n$536870912\r\nabc', expect: [] },

  // --- incomplete input yields nothing ---
  { name: 'incomplete header', input: '*2\r\n$4\r\nECHO\r\n$2', expect: [] },
  { name: 'incomplete bulk', input: '*2\r\n$4\r\nECHO\r\n$2\r\nh', expect: [] },
  { name: 'incomplete trailer', input: '*1\r\n$4\r\nPING\r', expect: [] },
  { name: 'count line without the byte after CR', input: '*1\r', expect: [] },
  { name: 'inline without newline', input: 'PING', expect: [] },

  // --- inline ---
  { name: 'inline CRLF', input: 'PING\r\n', expect: [['PING']] },
  { name: 'inline LF', input: 'PING\nPING\n', expect: [['PING'], ['PING']] },
  { name: 'inline spaces and tabs', input: '  SENTINEL \t masters  \r\n', expect: [['SENTINEL', 'masters']] },
  { name: 'empty lines are skipped', input: '\r\n\n   \r\n\t\nPING\r\n', expect: [['PING']] },
  { name: 'CR inside an inline line splits tokens', input: 'ECHO a\rb\r\n', expect: [['ECHO', 'a', 'b']] },
  { name: 'only the CR right before LF is dropped', input: 'PING\r\rX\n', expect: [['PING', 'X']] },
  { name: 'vertical tab and form feed', input: '\vPING\f x\r\n', expect: [['PING\f', 'x']] },
  { name: 'double quotes', input: 'SET "a b" "c"\r\n', expect: [['SET', 'a b', 'c']] },
  {
    name: 'double quote escapes',
    input: 'ECHO "\\n\\r\\t\\b\\a\\\\\\"\\q\\x41\\x7e\\xff\\x4g"\r\n',
    expect: [['ECHO', '\n\r\t\b\x07\\"qA~\xffx4g']],
  },
  { name: 'hex escape at the end of the quote', input: 'ECHO "\\x4"\r\n', expect: [['ECHO', 'x4']] },
  { name: 'single quotes', input: "ECHO 'a\\'b' 'c\\nd' '\"'\r\n", expect: [['ECHO', "a'b", 'c\\nd', '"']] },
  { name: 'empty quoted argument is kept', input: 'ECHO "" \'\'\r\n', expect: [['ECHO', '', '']] },
  { name: 'only an empty quoted argument', input: '""\r\n', expect: [['']] },
  { name: 'quote inside a token', input: 'ECHO a"b c" EC\'HO\'\r\n', expect: [['ECHO', 'ab c', 'ECHO']] },
  { name: 'closing quote followed by vertical tab', input: 'ECHO "a"\vb\r\n', expect: [['ECHO', 'a', 'b']] },
  { name: 'unquoted backslash is literal', input: 'ECHO a\\nb\r\n', expect: [['ECHO', 'a\\nb']] },
  { name: 'high bytes inline', input: 'ECHO \xe9\xff\r\n', expect: [['ECHO', '\xe9\xff']] },
  {
    name: 'mixed inline and multibulk',
    input: 'PING\r\n' + mb('ECHO', 'x') + 'ECHO y\n',
    expect: [['PING'], ['ECHO', 'x'], ['ECHO', 'y']],
  },
  { name: 'inline line of exactly 64 KB', input: 'a'.repeat(K64) + '\n', expect: [['a'.repeat(K64)]] },
  { name: 'inline of 64 KB waits', input: 'a'.repeat(K64), expect: [] },

  // --- NUL hides the terminator, as strchr does ---
  { name: 'NUL in count line blocks it', input: '*1\0\r\n$4\r\nPING\r\n', expect: [] },
  { name: 'NUL in bulk header blocks it', input: '*1\r\n\0$4\r\nPING\r\n', expect: [] },
  { name: 'NUL in inline line blocks it', input: 'PING\0\r\nPING\r\n', expect: [] },
  {
    name: 'NUL line ends in too big inline',
    input: Buffer.alloc(K64 + 1),
    expect: [err(ProtocolErrors.tooBigInline)],
  },
  {
    name: 'NUL in count ends in too big mbulk',
    input: '*\0' + 'A'.repeat(K64 - 1),
    expect: [err(ProtocolErrors.tooBigMbulkCount)],
  },
  {
    name: '$ then NUL is inline',
    input: '$\0' + 'A'.repeat(K64 - 1),
    expect: [err(ProtocolErrors.tooBigInline)],
  },

  // --- errors: exact Redis texts ---
  { name: 'non-numeric count', input: '*abc\r\n', expect: [err('Protocol error: invalid multibulk length')] },
  { name: 'empty count', input: '*\r\n', expect: [err('Protocol error: invalid multibulk length')] },
  { name: 'leading zero count', input: '*01\r\n', expect: [err('Protocol error: invalid multibulk length')] },
  { name: 'plus-signed count', input: '*+1\r\n', expect: [err('Protocol error: invalid multibulk length')] },
  {
    name: 'count over 1024*1024',
    input: '*1048577\r\n',
    expect: [err('Protocol error: invalid multibulk length')],
  },
  {
    name: 'count below int64',
    input: '*-9223372036854775809\r\n',
    expect: [err('Protocol error: invalid multibulk length')],
  },
  {
    name: 'count of 20000000',
    input: '*20000000\r\n',
    expect: [err('Protocol error: invalid multibulk length')],
  },
  {
    name: 'negative bulk length',
    input: '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n',
    expect: [err('Protocol error: invalid bulk length')],
  },
  { name: '$-1 in a request', input: '*1\r\n$-1\r\n', expect: [err('Protocol error: invalid bulk length')] },
  { name: '$-0', input: '*1\r\n$-0\r\n', expect: [err('Protocol error: invalid bulk length')] },
  {
    name: 'leading zero bulk length',
    input: '*1\r\n$04\r\nPING\r\n',
    expect: [err('Protocol error: invalid bulk length')],
  },
  {
    name: 'non-numeric bulk length',
    input: '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n',
    expect: [err('Protocol error: invalid bulk length')],
  },
  { name: 'empty bulk length', input: '*1\r\n$\r\n', expect: [err('Protocol error: invalid bulk length')] },
  {
    name: 'bulk length over 512 MB',
    input: '*1\r\n$536870913\r\n',
    expect: [err('Protocol error: invalid bulk length')],
  },
  {
    name: 'bulk length over int64',
    input: '*1\r\n$99999999999999999999\r\n',
    expect: [err('Protocol error: invalid bulk length')],
  },
  {
    name: 'expected $ got f',
    input: '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n',
    expect: [err("Protocol error: expected '$', got 'f'")],
  },
  {
    name: 'multibulk not followed by bulks',
    input: '*1\r\nfoo\r\n',
    expect: [err("Protocol error: expected '$', got 'f'")],
  },
  {
    name: 'expected $ got CR shows a space',
    input: '*1\r\n\r\n',
    expect: [err("Protocol error: expected '$', got ' '")],
  },
  {
    name: 'expected $ got LF shows a space',
    input: '*1\r\n\n\r\n',
    expect: [err("Protocol error: expected '$', got ' '")],
  },
  {
    name: 'expected $ got a high byte',
    input: '*1\r\n\x80\r\n',
    expect: [err("Protocol error: expected '$', got '\x80'")],
  },
  {
    name: 'unterminated double quote',
    input: 'ECHO "abc\r\n',
    expect: [err('Protocol error: unbalanced quotes in request')],
  },
  {
    name: 'unterminated single quote',
    input: "ECHO 'abc\r\n",
    expect: [err('Protocol error: unbalanced quotes in request')],
  },
  {
    name: 'closing quote followed by a letter',
    input: 'ECHO "a"b\r\n',
    expect: [err('Protocol error: unbalanced quotes in request')],
  },
  {
    name: 'closing single quote followed by a letter',
    input: "ECHO a'b'c\r\n",
    expect: [err('Protocol error: unbalanced quotes in request')],
  },
  {
    name: 'backslash at the end of a quote',
    input: 'ECHO "\\\r\n',
    expect: [err('Protocol error: unbalanced quotes in request')],
  },
  {
    name: 'too big inline request',
    input: 'a'.repeat(K64 + 1),
    expect: [err('Protocol error: too big inline request')],
  },
  {
    name: 'too big inline even when LF follows',
    input: 'a'.repeat(K64 + 1) + '\n',
    expect: [err('Protocol error: too big inline request')],
  },
  {
    name: 'too big mbulk count string',
    input: '*' + '1'.repeat(K64),
    expect: [err('Protocol error: too big mbulk count string')],
  },
  {
    name: 'count line of 64 KB is judged by its value',
    input: '*' + '1'.repeat(K64 - 1) + '\r\n',
    expect: [err('Protocol error: invalid multibulk length')],
  },
  {
    name: 'too big bulk count string',
    input: '*2\r\n$4\r\nECHO\r\n$' + '1'.repeat(K64),
    expect: [err('Protocol error: too big bulk count string')],
  },
  {
    name: 'size is checked before the $ prefix',
    input: '*1\r\n' + 'X'.repeat(70000),
    expect: [err('Protocol error: too big bulk count string')],
  },
  {
    name: 'commands before an error are returned, nothing after',
    input: 'PING\r\n' + mb('ECHO', 'a') + '*x\r\n' + mb('PING'),
    expect: [['PING'], ['ECHO', 'a'], err('Protocol error: invalid multibulk length')],
  },

  // --- configurable limits ---
  {
    name: 'maxBulkLength accepts the limit',
    input: mb('ECHO', '0123456789'),
    options: { maxBulkLength: 10 },
    expect: [['ECHO', '0123456789']],
  },
  {
    name: 'maxBulkLength rejects above',
    input: mb('ECHO', '0123456789a'),
    options: { maxBulkLength: 10 },
    expect: [err('Protocol error: invalid bulk length')],
  },
  {
    name: 'maxMultibulkLength accepts the limit',
    input: mb('a', 'b', 'c'),
    options: { maxMultibulkLength: 3 },
    expect: [['a', 'b', 'c']],
  },
  {
    name: 'maxMultibulkLength rejects above',
    input: mb('a', 'b', 'c', 'd'),
    options: { maxMultibulkLength: 3 },
    expect: [err('Protocol error: invalid multibulk length')],
  },
  {
    name: 'maxInlineLength accepts the limit',
    input: 'PING 12\r\n',
    options: { maxInlineLength: 8 },
    expect: [['PING', '12']],
  },
  {
    name: 'maxInlineLength counts the CR',
    input: 'PING 123\r\n',
    options: { maxInlineLength: 8 },
    expect: [err(ProtocolErrors.tooBigInline)],
  },
  {
    name: 'maxInlineLength applies to headers',
    input: '*1\r\n$123456789\r\n',
    options: { maxInlineLength: 8 },
    expect: [err(ProtocolErrors.tooBigBulkCount)],
  },
  // '*1\r\n$10\r\n0123456789\r\n' is 21 bytes on the wire.
  {
    name: 'query buffer limit accepts a command of that size',
    input: mb('0123456789'),
    options: { maxQueryBuffer: 21 },
    expect: [['0123456789']],
  },
  {
    name: 'query buffer limit closes silently above',
    input: mb('0123456789'),
    options: { maxQueryBuffer: 20 },
    expect: [err(ProtocolErrors.queryBufferLimit, true)],
  },
  {
    name: 'query buffer limit waits while at the limit',
    input: mb('0123456789').slice(0, 20),
    options: { maxQueryBuffer: 20 },
    expect: [],
  },
  {
    name: 'query buffer limit is per command',
    input: mb('0123456789').repeat(3),
    options: { maxQueryBuffer: 21 },
    expect: [['0123456789'], ['0123456789'], ['0123456789']],
  },
  {
    name: 'query buffer limit for inline',
    input: 'PING\r\nPING x\r\n',
    options: { maxQueryBuffer: 6 },
    expect: [['PING'], err(ProtocolErrors.queryBufferLimit, true)],
  },
  {
    name: 'query buffer limit before too big inline',
    input: 'a'.repeat(K64 + 10),
    options: { maxQueryBuffer: 1000 },
    expect: [err(ProtocolErrors.queryBufferLimit, true)],
  },
  {
    name: 'protocol error inside the limit wins',
    input: '*1\r\n$x\r\n' + 'a'.repeat(100),
    options: { maxQueryBuffer: 10 },
    expect: [err(ProtocolErrors.invalidBulkLength)],
  },
];

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

void describe('RequestParser fixtures', () => {
  for (const f of fixtures) {
    void test(f.name, () => {
      const input = typeof f.input === 'string' ? b(f.input) : f.input;
      assert.deepEqual(whole(input, f.options), f.expect, 'as one chunk');
      if (!f.noByteByByte) assert.deepEqual(byteByByte(input, f.options), f.expect, 'byte by byte');
      const rand = mulberry32(input.length);
      for (const max of [2, 7, 1000]) {
        assert.deepEqual(feedChunks(input, randomSizes(rand, max), f.options), f.expect, `chunks <= ${max}`);
      }
    });
  }

  void test('every fixture split at every single position parses the same', () => {
    for (const f of fixtures) {
      const input = typeof f.input === 'string' ? b(f.input) : f.input;
      if (input.length > 200) continue;
      for (let i = 1; i < input.length; i++) {
        assert.deepEqual(
          feedChunks(input, [i, input.length - i], f.options),
          f.expect,
          `${f.name} split at ${i}`,
        );
      }
    }
  });

  void test('the whole fixture set pipelined in one stream', () => {
    // All non-error, complete fixtures concatenated parse to the concatenation of their results.
    const parts = fixtures.filter(
      (f) =>
        f.options === undefined &&
        f.expect.length > 0 &&
        f.expect.every((e) => Array.isArray(e)) &&
        typeof f.input === 'string' &&
        !f.input.includes('\0'),
    );
    const input = Buffer.concat(parts.map((f) => (typeof f.input === 'string' ? b(f.input) : f.input)));
    const expect = parts.flatMap((f) => f.expect);
    assert.deepEqual(whole(input), expect);
    assert.deepEqual(byteByByte(input), expect);
  });
});

void describe('RequestParser behaviour', () => {
  void test('after a protocol error the parser returns nothing more', () => {
    const p = new RequestParser();
    assert.deepEqual(norm(p.feed(b('*1\r\nfoo\r\n'))), [err("Protocol error: expected '$', got 'f'")]);
    assert.equal(p.failed, true);
    assert.deepEqual(p.feed(b(mb('PING'))), []);
    assert.deepEqual(p.feed(b('PING\r\n')), []);
    assert.equal(p.pendingBytes, 0);
  });

  void test('an empty chunk is a no-op', () => {
    const p = new RequestParser();
    assert.deepEqual(p.feed(Buffer.alloc(0)), []);
    assert.deepEqual(norm(p.feed(b('PING\r\n'))), [['PING']]);
  });

  void test('arguments do not alias the fed chunk', () => {
    const p = new RequestParser();
    const chunk = b(mb('ECHO', 'hello') + 'PING x');
    const items = p.feed(chunk);
    chunk.fill(0x21);
    assert.deepEqual(norm(items), [['ECHO', 'hello']]);
    // The unfinished inline line was copied too.
    assert.deepEqual(norm(p.feed(b('\r\n'))), [['PING', 'x']]);
  });

  void test('pendingBytes counts the command in progress', () => {
    const p = new RequestParser();
    p.feed(b('*2\r\n$4\r\nECHO\r\n$5\r\nab'));
    assert.equal(p.pendingBytes, 4 + 4 + 6 + 4 + 2);
    p.feed(b('cde\r\n'));
    assert.equal(p.pendingBytes, 0);
  });

  void test('a huge declared bulk length does not allocate up front', () => {
    const before = process.memoryUsage().arrayBuffers;
    const parsers: RequestParser[] = [];
    for (let i = 0; i < 64; i++) {
      const p = new RequestParser();
      assert.deepEqual(p.feed(b('*2\r\n$536870912\r\nabc\r\n$536870912\r\n')), []);
      parsers.push(p);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 1024 * 1024, `grew by ${grown} bytes`);
    assert.equal(parsers.length, 64);
  });

  void test('an 8 MB argument arriving in 64 KB chunks', () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const input = Buffer.concat([
      b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${big.length}\r\n`),
      big,
      b('\r\n'),
      b(mb('PING')),
    ]);
    const p = new RequestParser();
    const items: ParsedItem[] = [];
    for (let off = 0; off < input.length; off += 65536)
      items.push(...p.feed(input.subarray(off, off + 65536)));
    assert.equal(items.length, 2);
    const first = items[0]!;
    assert.ok(first.kind === 'command');
    assert.equal(first.argv.length, 3);
    assert.ok(first.argv[2]!.equals(big));
    assert.equal(first.argv[2]!.length, big.length);
    assert.deepEqual(norm([items[1]!]), [['PING']]);
  });

  void test('a 64 KB header line fed byte by byte is linear, not quadratic', () => {
    const input = b('*' + '1'.repeat(K64 - 1) + '\r\n');
    const started = process.hrtime.bigint();
    assert.deepEqual(byteByByte(input), [err(ProtocolErrors.invalidMultibulkLength)]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  void test('options are validated', () => {
    assert.throws(() => new RequestParser({ maxBulkLength: 0 }), RangeError);
    assert.throws(() => new RequestParser({ maxQueryBuffer: 1.5 }), RangeError);
    assert.throws(() => new RequestParser({ maxInlineLength: -1 }), RangeError);
    assert.equal(PROTOCOL_DEFAULTS.maxBulkLength, 512 * 1024 * 1024);
    assert.equal(PROTOCOL_DEFAULTS.maxMultibulkLength, 1024 * 1024);
    assert.equal(PROTOCOL_DEFAULTS.maxInlineLength, 64 * 1024);
    assert.equal(PROTOCOL_DEFAULTS.maxQueryBuffer, 1024 * 1024 * 1024);
  });

  void test('protocolErrorReply is -ERR <message>', () => {
    assert.equal(
      encodeReply(protocolErrorReply(ProtocolErrors.invalidBulkLength), 2).toString(),
      '-ERR Protocol error: invalid bulk length\r\n',
    );
  });
});

void describe('parseRedisInteger (string2ll)', () => {
  const cases: [string, number | null][] = [
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['1048576', 1048576],
    ['9223372036854775807', 2 ** 63],
    ['-9223372036854775808', -(2 ** 63)],
    ['9223372036854775808', null],
    ['-9223372036854775809', null],
    ['99999999999999999999', null],
    ['', null],
    ['-', null],
    ['-0', null],
    ['00', null],
    ['01', null],
    ['+1', null],
    [' 1', null],
    ['1 ', null],
    ['1a', null],
    ['0x10', null],
    ['123456789012345', 123456789012345],
    ['1234567890123456', 1234567890123456],
  ];
  for (const [text, want] of cases) {
    void test(JSON.stringify(text), () => {
      const buf = b(`x${text}y`);
      assert.equal(parseRedisInteger(buf, 1, 1 + text.length), want);
    });
  }
});

void describe('splitArgs (sdssplitargs)', () => {
  void test('a NUL ends the line like a C string', () => {
    const line = b('a b\0c d');
    assert.deepEqual(
      splitArgs(line, 0, line.length)?.map((x) => x.toString('latin1')),
      ['a', 'b'],
    );
  });
  void test('returns null for unbalanced quotes', () => {
    const line = b('"abc');
    assert.equal(splitArgs(line, 0, line.length), null);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

const KNOWN_ERRORS = new Set<string>([
  ProtocolErrors.tooBigInline,
  ProtocolErrors.unbalancedQuotes,
  ProtocolErrors.tooBigMbulkCount,
  ProtocolErrors.invalidMultibulkLength,
  ProtocolErrors.tooBigBulkCount,
  ProtocolErrors.invalidBulkLength,
  ProtocolErrors.queryBufferLimit,
]);

const TOKENS = [
  '*',
  '$',
  '0',
  '1',
  '2',
  '3',
  '4',
  '9',
  '-',
  '+',
  '\r',
  '\n',
  '\r\n',
  '\r\n',
  '"',
  "'",
  '\\',
  'x',
  'f',
  'g',
  ' ',
  '\t',
  '\v',
  '\f',
  '\0',
  '\x80',
  '\xff',
  'a',
  'PING',
  'ECHO ',
  '"\\x41"',
  '\\n',
  '*1\r\n',
  '$4\r\n',
  '*2\r\n$4\r\nECHO\r\n',
  '$-1\r\n',
  '*0\r\n',
  '*-1\r\n',
];

function randomInput(rand: () => number): Buffer {
  const ri = (n: number): number => Math.floor(rand() * n);
  const kind = ri(4);
  if (kind === 0) {
    // Pure noise.
    const out = Buffer.alloc(ri(64));
    for (let i = 0; i < out.length; i++) out[i] = ri(256);
    return out;
  }
  let s = '';
  const n = 1 + ri(6);
  for (let i = 0; i < n; i++) {
    const k = ri(5);
    if (k === 0) s += mb('ECHO', 'a\r\n"'.slice(0, ri(5)));
    else if (k === 1) s += "ECHO \"a b\" 'c\\'d'" + ['\r\n', '\n', ''][ri(3)]!;
    else for (let j = 1 + ri(10); j > 0; j--) s += TOKENS[ri(TOKENS.length)]!;
  }
  const buf = b(s);
  // Mutate a few bytes of the otherwise plausible stream.
  if (kind === 3) for (let j = ri(3); j >= 0 && buf.length > 0; j--) buf[ri(buf.length)] = ri(256);
  return buf;
}

void describe('RequestParser properties', () => {
  void test('20,000 random and malformed inputs: never throws, split-independent, one error then nothing', () => {
    const rand = mulberry32(0x5eed);
    const optionSets: (RequestParserOptions | undefined)[] = [
      undefined,
      { maxInlineLength: 16, maxBulkLength: 8, maxMultibulkLength: 4 },
      { maxQueryBuffer: 24 },
    ];
    let errors = 0;
    let commands = 0;
    for (let iter = 0; iter < 20000; iter++) {
      const input = randomInput(rand);
      const options = optionSets[iter % optionSets.length];
      const one = whole(input, options);
      const bytes = byteByByte(input, options);
      const chunked = feedChunks(input, randomSizes(rand, 9), options);
      assert.deepEqual(bytes, one, `byte by byte differs for ${JSON.stringify(input.toString('latin1'))}`);
      assert.deepEqual(chunked, one, `chunked differs for ${JSON.stringify(input.toString('latin1'))}`);
      const errIdx = one.findIndex((x) => !Array.isArray(x));
      if (errIdx >= 0) {
        errors++;
        assert.equal(errIdx, one.length - 1, 'a protocol error is the last item');
        const e = one[errIdx] as { error: string; silent: boolean };
        assert.ok(
          KNOWN_ERRORS.has(e.error) || /^Protocol error: expected '\$', got '[\s\S]'$/.test(e.error),
          `unknown error text ${JSON.stringify(e.error)}`,
        );
        assert.equal(e.silent, e.error === ProtocolErrors.queryBufferLimit);
      }
      for (const x of one) {
        if (Array.isArray(x)) {
          commands++;
          assert.ok(x.length > 0, 'no empty commands');
        }
      }
      // After an error, more input yields nothing.
      if (errIdx >= 0) {
        const p = new RequestParser(options);
        p.feed(input);
        assert.deepEqual(p.feed(b(mb('PING'))), []);
      }
    }
    // The generator must exercise both outcomes.
    assert.ok(errors > 2000, `only ${errors} errors`);
    assert.ok(commands > 5000, `only ${commands} commands`);
  });

  void test('round trip: random argv as multibulk, random chunk sizes', () => {
    const rand = mulberry32(42);
    const ri = (n: number): number => Math.floor(rand() * n);
    for (let iter = 0; iter < 2000; iter++) {
      const maxChunk = [1, 3, 17, 512, 70000][iter % 5]!;
      const cmds: Buffer[][] = [];
      for (let c = 1 + ri(5); c > 0; c--) {
        const argv: Buffer[] = [];
        for (let a = 1 + ri(8); a > 0; a--) {
          // Arguments past 32 KB (Redis's big-argument path) only where chunks are not tiny.
          const len = maxChunk >= 512 && ri(20) === 0 ? 30000 + ri(40000) : ri(40);
          const arg = Buffer.alloc(len);
          for (let i = 0; i < len; i++) arg[i] = ri(256);
          argv.push(arg);
        }
        cmds.push(argv);
      }
      const wire = Buffer.concat(
        cmds.flatMap((argv) => [
          b(`*${argv.length}\r\n`),
          ...argv.flatMap((a) => [b(`$${a.length}\r\n`), a, b('\r\n')]),
        ]),
      );
      const p = new RequestParser();
      const got: Buffer[][] = [];
      for (let off = 0; off < wire.length;) {
        const size = 1 + ri(maxChunk);
        for (const item of p.feed(wire.subarray(off, off + size))) {
          assert.equal(item.kind, 'command');
          if (item.kind === 'command') got.push(item.argv);
        }
        off += size;
      }
      assert.equal(got.length, cmds.length);
      for (let i = 0; i < cmds.length; i++) {
        assert.equal(got[i]!.length, cmds[i]!.length);
        for (let j = 0; j < cmds[i]!.length; j++)
          assert.ok(got[i]![j]!.equals(cmds[i]![j]!), `cmd ${i} arg ${j}`);
      }
      assert.equal(p.pendingBytes, 0);
    }
  });
});
