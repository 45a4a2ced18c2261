#!/usr/bin/env node
// Captures reference replies and events from a real redis-sentinel (Debian 7.0.15) so that
// Vigil's RESP layer can be checked byte for byte against it.
//
//   node scripts/capture-sentinel-fixtures.mjs [--out DIR] [--deadline SECONDS] [--keep-tmp]
//
// It starts its own processes on free loopback ports in a temporary directory:
//   - a redis-server primary and two replicas, monitored as "mymaster" (quorum 1,
//     down-after-milliseconds 1000, failover-timeout 10000) by ONE main sentinel;
//   - a standalone redis-server used as a second monitored master ("othermaster") while replies
//     are captured;
//   - a peer sentinel, only long enough to capture SENTINEL SENTINELS entries, then killed and
//     forgotten with SENTINEL RESET before any failover;
//   - a sentinel with requirepass (auth errors) and throwaway sentinels (SHUTDOWN).
// Every request is written as raw bytes on a plain TCP socket and every reply byte is kept.
// All processes are killed on exit, on error and at the deadline.
//
// Writes into the output folder: replies.json, replies.md, events.json, events.md,
// sentinel.log, initial-sentinel.conf, rewritten-sentinel.conf. README.md there is kept by hand.

import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const argOf = (flag, dflt) => {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const OUT = path.resolve(argOf('--out', path.join(ROOT, 'test/fixtures/sentinel-7.0')));
const DEADLINE_S = Number(argOf('--deadline', '480'));
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_SENTINEL = '/usr/bin/redis-sentinel';
const HOST = '127.0.0.1';
const QUIET_MS = 40; // after the expected replies arrived, wait this long for unexpected extra bytes
const T0 = Date.now();
const now = () => Date.now() - T0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[${(now() / 1000).toFixed(1)}s]`, ...a);

// ---------------------------------------------------------------------------------------------
// processes

const children = new Set();
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sentinel-capture-'));

function startProcess(name, bin, args) {
  const child = spawn(bin, args, { cwd: TMP, stdio: ['ignore', 'ignore', 'pipe'] });
  child.vigilName = name;
  child.exited = false;
  child.stderr.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  child.on('exit', () => {
    child.exited = true;
    children.delete(child);
  });
  children.add(child);
  return child;
}

function killAll() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

async function waitExit(child, ms = 5000) {
  const until = Date.now() + ms;
  while (!child.exited && Date.now() < until) await sleep(20);
  return child.exited;
}

process.on('exit', () => {
  killAll();
  if (!argv.includes('--keep-tmp')) fs.rmSync(TMP, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
const deadlineTimer = setTimeout(() => {
  console.error(`capture: deadline of ${DEADLINE_S}s reached, killing everything`);
  killAll();
  process.exit(2);
}, DEADLINE_S * 1000);
deadlineTimer.unref();

async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise((res, rej) => {
      s.once('error', rej);
      s.listen(0, HOST, res);
    });
    servers.push(s);
    ports.push(s.address().port);
  }
  for (const s of servers) await new Promise((r) => s.close(r));
  return ports;
}

function redisServerArgs(name, port, replicaOf) {
  const dir = path.join(TMP, name);
  fs.mkdirSync(dir, { recursive: true });
  const a = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    path.join(dir, 'redis.log'),
    '--repl-diskless-sync-delay',
    '0',
  ];
  if (replicaOf) a.push('--replicaof', HOST, String(replicaOf));
  return a;
}

function startRedis(name, port, replicaOf) {
  return startProcess(name, REDIS_SERVER, redisServerArgs(name, port, replicaOf));
}

function sentinelConf(name, port, lines) {
  const dir = path.join(TMP, name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sentinel.conf');
  const text = [
    `port ${port}`,
    `bind ${HOST}`,
    'daemonize no',
    `dir "${dir}"`,
    `logfile "${path.join(dir, 'sentinel.log')}"`,
    ...lines,
    '',
  ].join('\n');
  fs.writeFileSync(file, text);
  return { file, dir, log: path.join(dir, 'sentinel.log'), initial: text };
}

function startSentinel(name, conf) {
  return startProcess(name, REDIS_SENTINEL, [conf.file]);
}

// ---------------------------------------------------------------------------------------------
// RESP

function encode(args) {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
  return s;
}

function toInt(line) {
  const n = Number(line);
  return Number.isSafeInteger(n) ? n : line;
}

// Returns { node, end } or null when the buffer does not yet hold a complete reply.
function parseReply(buf, off) {
  if (off >= buf.length) return null;
  const nl = buf.indexOf('\r\n', off, 'latin1');
  if (nl < 0) return null;
  const t = String.fromCharCode(buf[off]);
  const line = buf.toString('utf8', off + 1, nl);
  let p = nl + 2;
  const aggregate = (count, type) => {
    const value = [];
    for (let i = 0; i < count; i++) {
      const r = parseReply(buf, p);
      if (!r) return null;
      value.push(r.node);
      p = r.end;
    }
    return { node: { type, value }, end: p };
  };
  switch (t) {
    case '+':
      return { node: { type: 'simple', value: line }, end: p };
    case '-':
      return { node: { type: 'error', value: line }, end: p };
    case ':':
      return { node: { type: 'int', value: toInt(line) }, end: p };
    case '_':
      return { node: { type: 'null', value: null, wire: '_' }, end: p };
    case '#':
      return { node: { type: 'bool', value: line === 't' }, end: p };
    case ',': {
      const d = Number(line);
      return { node: { type: 'double', value: Number.isFinite(d) ? d : line, text: line }, end: p };
    }
    case '(':
      return { node: { type: 'bignum', value: line }, end: p };
    case '$':
    case '=':
    case '!': {
      const n = Number(line);
      if (n < 0) return { node: { type: 'null', value: null, wire: `${t}${line}` }, end: p };
      if (buf.length < p + n + 2) return null;
      const s = buf.toString('utf8', p, p + n);
      const end = p + n + 2;
      if (t === '$') return { node: { type: 'bulk', value: s }, end };
      if (t === '!') return { node: { type: 'error', value: s, wire: '!' }, end };
      return { node: { type: 'verbatim', value: { format: s.slice(0, 3), text: s.slice(4) } }, end };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return { node: { type: 'null', value: null, wire: `${t}${line}` }, end: p };
      return aggregate(n, t === '*' ? 'array' : t === '~' ? 'set' : 'push');
    }
    case '%':
    case '|': {
      const n = Number(line);
      const r = aggregate(n * 2, 'pairs');
      if (!r) return null;
      const pairs = [];
      for (let i = 0; i < r.node.value.length; i += 2) pairs.push([r.node.value[i], r.node.value[i + 1]]);
      return { node: { type: t === '%' ? 'map' : 'attribute', value: pairs }, end: r.end };
    }
    default:
      throw new Error(`unparseable reply byte ${JSON.stringify(t)} at ${off}`);
  }
}

function parseAll(buf) {
  const replies = [];
  const portNamesByNumber = new Map(); // "38649" -> "master": keeps entry names stable across runs
  let off = 0;
  for (;;) {
    let r;
    try {
      r = parseReply(buf, off);
    } catch {
      return { replies, rest: buf.length - off, bad: true };
    }
    if (!r) break;
    replies.push(r.node);
    off = r.end;
  }
  return { replies, rest: buf.length - off, bad: false };
}

class Conn {
  constructor(port, label) {
    this.port = port;
    this.label = label;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.waiters = [];
    this.onData = null;
  }

  open() {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ host: HOST, port: this.port });
      this.sock = sock;
      sock.setNoDelay(true);
      sock.once('connect', () => resolve(this));
      // A reset while the peer closes after a protocol error is expected: it just ends the capture.
      sock.on('error', (e) => {
        this.closed = true;
        this.wake();
        reject(e);
      });
      sock.on('data', (d) => {
        this.buf = Buffer.concat([this.buf, d]);
        if (this.onData) this.onData();
        this.wake();
      });
      sock.on('close', () => {
        this.closed = true;
        this.wake();
      });
    });
  }

  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitEvent(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve('timeout'), ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve('event');
      });
    });
  }

  // Sends raw bytes and collects everything that comes back: at least `expect` complete replies
  // (or the connection closing, or the timeout), then QUIET_MS of silence.
  async request(raw, { expect = 1, timeoutMs = 5000, waitClose = false } = {}) {
    this.buf = Buffer.alloc(0);
    if (!this.closed) this.sock.write(Buffer.from(raw, 'latin1'));
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { replies } = parseAll(this.buf);
      if (this.closed) break;
      const left = until - Date.now();
      if (left <= 0) break;
      if (replies.length >= expect && !waitClose) {
        const before = this.buf.length;
        await this.waitEvent(QUIET_MS);
        if (this.buf.length === before && !this.closed) break;
        continue;
      }
      await this.waitEvent(left);
    }
    if (!this.closed) await sleep(5);
    const bytes = this.buf;
    this.buf = Buffer.alloc(0);
    const parsed = parseAll(bytes);
    return { bytes, replies: parsed.replies, incomplete: parsed.rest > 0, closed: this.closed };
  }

  async cmd(...args) {
    const r = await this.request(encode(args));
    return r.replies[0];
  }

  close() {
    if (!this.closed) this.sock.destroy();
    this.closed = true;
  }
}

async function connect(port, label, proto = 2, hello = null) {
  const c = new Conn(port, label);
  await c.open();
  if (proto === 3) {
    const r = await c.request(encode(hello ?? ['HELLO', '3']));
    if (r.replies[0]?.type !== 'map') throw new Error(`HELLO 3 failed on ${label}: ${r.bytes}`);
  }
  return c;
}

async function waitReady(port, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const c = await connect(port, 'probe');
      const r = await c.cmd('PING');
      c.close();
      if (r && (r.value === 'PONG' || String(r.value).startsWith('NOAUTH'))) return;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`port ${port} never became ready`);
}

// Plain-JS views of parsed replies, for the script's own polling.
function plain(node) {
  if (!node) return undefined;
  switch (node.type) {
    case 'array':
    case 'set':
    case 'push':
      return node.value.map(plain);
    case 'map': {
      const o = {};
      for (const [k, v] of node.value) o[String(plain(k))] = plain(v);
      return o;
    }
    case 'verbatim':
      return node.value.text;
    default:
      return node.value;
  }
}

function fieldsOf(node) {
  const v = plain(node);
  if (Array.isArray(v)) {
    const o = {};
    for (let i = 0; i + 1 < v.length; i += 2) o[v[i]] = v[i + 1];
    return o;
  }
  return v ?? {};
}

// ---------------------------------------------------------------------------------------------
// capture bookkeeping

const replies = [];
const portNamesByNumber = new Map(); // "38649" -> "master": keeps entry names stable across runs
const seenNames = new Map();
let currentPhase = 'setup';

function describe(args) {
  return args
    .map((a) => {
      const s = String(a);
      return s === '' || /[\s"'\\]/.test(s) ? JSON.stringify(s) : s;
    })
    .join(' ');
}

function record({ name, proto, request, requestRaw, result, target, sequence, note }) {
  const key = `${proto}|${name}`;
  const n = (seenNames.get(key) ?? 0) + 1;
  seenNames.set(key, n);
  const entry = {
    name: n > 1 ? `${name} #${n}` : name,
    proto,
    request,
    requestRaw,
    replyRaw: result.bytes.toString('latin1'),
    replyParsed: result.replies.length === 1 ? result.replies[0] : result.replies,
    replyCount: result.replies.length,
    closedAfter: result.closed,
    target,
    phase: currentPhase,
  };
  if (result.incomplete) entry.incompleteTail = true;
  if (sequence) entry.sequence = sequence;
  if (note) entry.note = note;
  replies.push(entry);
  return entry;
}

// step: { args } | { raw } plus optional label, expect, waitClose, timeoutMs, note.
// A step may also be a function (ctx) => step, evaluated just before it is sent.
async function runStep(conn, step, { proto, target, sequence, ctx, caseName, multi = false }) {
  const prefix = target === 'main' ? '' : `${target.replace(/\d+$/, '')}: `;
  const s = typeof step === 'function' ? await step(ctx) : step;
  if (!s) return null;
  const raw = s.raw ?? encode(s.args);
  const full = s.raw !== undefined ? s.raw : describe(s.args);
  const request = full.length > 512 ? `${full.slice(0, 64)}... (${full.length} bytes)` : full;
  const result = await conn.request(raw, {
    expect: s.expect ?? 1,
    waitClose: s.waitClose ?? false,
    timeoutMs: s.timeoutMs ?? (s.expect === 0 ? 300 : 5000),
  });
  ctx.last = result.replies[0];
  const own = s.label ?? request.replace(/\r\n$/, '');
  const name = caseName === undefined ? own : multi ? `${caseName} / ${own}` : (s.label ?? caseName);
  return record({
    name:
      prefix +
      name.replace(/\b\d{4,5}\b/g, (p) =>
        portNamesByNumber.has(p) ? `<${portNamesByNumber.get(p)}-port>` : p,
      ),
    proto,
    request,
    requestRaw: raw.length > 512 ? `${raw.slice(0, 64)}... (${raw.length} bytes)` : raw,
    result,
    target,
    sequence,
    note: s.note,
  });
}

// A case runs its steps in order on one fresh connection. For proto 3 the connection first
// sends HELLO 3 (not recorded), or the case's own `hello` arguments.
async function runCase(c, ctx) {
  const protos = c.protos ?? [2, 3];
  for (const proto of protos) {
    const port = ctx.ports[c.target ?? 'main'];
    let conn;
    try {
      conn = await connect(port, c.name, proto, c.hello);
    } catch (e) {
      log(`case ${c.name} (RESP${proto}) could not connect: ${e.message}`);
      continue;
    }
    const local = { ...ctx, conn, proto };
    if (c.before) await c.before(local);
    for (const step of c.steps) {
      await runStep(conn, step, {
        proto,
        target: c.target ?? 'main',
        sequence: c.steps.length > 1 ? c.name : undefined,
        ctx: local,
        caseName: c.name,
        multi: c.steps.length > 1,
      });
      if (conn.closed) break;
    }
    if (c.after) await c.after(local);
    conn.close();
  }
}

const A = (...args) => ({ args });
const single = (...args) => ({ name: describe(args), steps: [A(...args)] });

// ---------------------------------------------------------------------------------------------
// event recording (PSUBSCRIBE * on the main sentinel)

class Recorder {
  constructor(port, proto) {
    this.port = port;
    this.proto = proto;
    this.events = [];
    this.listeners = [];
    this.phaseStart = 0;
    this.phase = 'startup';
  }

  async start() {
    this.conn = await connect(this.port, `recorder-resp${this.proto}`, this.proto);
    const conn = this.conn;
    conn.onData = () => {
      let off = 0;
      for (;;) {
        const r = parseReply(conn.buf, off);
        if (!r) break;
        const raw = conn.buf.toString('latin1', off, r.end);
        off = r.end;
        this.handle(r.node, raw);
      }
      conn.buf = conn.buf.subarray(off);
    };
    conn.sock.write(encode(['PSUBSCRIBE', '*']));
  }

  setPhase(name) {
    this.phase = name;
    this.phaseStart = now();
  }

  handle(node, raw) {
    const v = plain(node);
    if (!Array.isArray(v) || v[0] !== 'pmessage') {
      this.subscribeReply = this.subscribeReply ?? { raw, parsed: node };
      return;
    }
    const ev = {
      phase: this.phase,
      tPhaseMs: now() - this.phaseStart,
      tRunMs: now(),
      channel: v[2],
      payload: v[3],
      raw,
    };
    this.events.push(ev);
    if (!this.firstMessage) this.firstMessage = { raw, parsed: node };
    for (const l of [...this.listeners]) l(ev);
  }

  // Resolves with the first event (at index >= from) that matches, or null at the timeout.
  waitFor(pred, timeoutMs, from = 0) {
    for (let i = from; i < this.events.length; i++)
      if (pred(this.events[i])) return Promise.resolve(this.events[i]);
    return new Promise((resolve) => {
      const l = (ev) => {
        if (pred(ev)) {
          clearTimeout(t);
          this.listeners = this.listeners.filter((x) => x !== l);
          resolve(ev);
        }
      };
      const t = setTimeout(() => {
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(null);
      }, timeoutMs);
      this.listeners.push(l);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// the captures

function commonCases(ctx) {
  const P = ctx.ports;
  const cases = [
    // --- connection basics
    single('PING'),
    single('PING', 'hello'),
    single('PING', 'a', 'b'),
    single('ping'),
    { name: 'inline PING', steps: [{ raw: 'PING\r\n' }] },
    { name: 'inline ping with arg', steps: [{ raw: 'ping hello\r\n' }] },
    { name: 'inline PING LF only', steps: [{ raw: 'PING\n' }] },
    { name: 'inline quoted arg', steps: [{ raw: 'PING "hello world"\r\n' }] },
    { name: 'inline SENTINEL', steps: [{ raw: 'SENTINEL get-master-addr-by-name mymaster\r\n' }] },
    { name: 'inline empty line', steps: [{ raw: '\r\n', expect: 0 }, { raw: 'PING\r\n' }] },
    { name: 'empty multibulk *0', steps: [{ raw: '*0\r\n', expect: 0 }, A('PING')] },
    { name: 'pipelined PING PING', steps: [{ raw: encode(['PING']) + encode(['PING', 'x']), expect: 2 }] },
    { name: 'QUIT', steps: [{ args: ['QUIT'], waitClose: true }] },
    { name: 'QUIT extra args', steps: [{ args: ['QUIT', 'now'], waitClose: true }] },

    // --- protocol errors (each on its own connection; the server closes after the error)
    { name: 'protocol: invalid multibulk length', steps: [{ raw: '*x\r\n', waitClose: true }] },
    { name: 'protocol: expected $', steps: [{ raw: '*1\r\n+foo\r\n', waitClose: true }] },
    { name: 'protocol: invalid bulk length (text)', steps: [{ raw: '*1\r\n$abc\r\n', waitClose: true }] },
    {
      name: 'protocol: invalid bulk length (huge)',
      steps: [{ raw: '*1\r\n$999999999999\r\n', waitClose: true }],
    },
    {
      name: 'protocol: bulk over proto-max-bulk-len',
      steps: [{ raw: '*1\r\n$600000000\r\n', waitClose: true }],
    },
    {
      name: 'protocol: invalid multibulk length (huge)',
      steps: [{ raw: '*99999999999\r\n', waitClose: true }],
    },
    { name: 'protocol: unbalanced quotes inline', steps: [{ raw: 'PING "unbalanced\r\n', waitClose: true }] },
    { name: 'protocol: unbalanced single quotes inline', steps: [{ raw: "PING 'x\r\n", waitClose: true }] },
    {
      name: 'protocol: too big inline request',
      steps: [
        { raw: 'a'.repeat(70 * 1024), waitClose: true, label: 'inline of 71680 bytes without newline' },
      ],
    },

    // --- unknown top-level commands and wrong arity
    single('GET', 'foo'),
    single('SET', 'foo', 'bar'),
    single('KEYS', '*'),
    single('FOO'),
    single('FOO', 'a', 'b'),
    single('FOO', 'x'.repeat(200)),
    single('CONFIG', 'GET', '*'),
    single('MULTI'),
    single('SELECT', '0'),
    single('DBSIZE'),
    single('FLUSHALL'),
    single('REPLICAOF', 'NO', 'ONE'),
    single('RESET'),
    single('DEBUG', 'SLEEP', '0'),
    single('ROLE', 'x'),
    single('AUTH'),
    single('SUBSCRIBE'),
    single('PSUBSCRIBE'),
    single('PUBLISH', 'onlychannel'),
    single('CLIENT'),
    single('ACL'),
    single('SENTINEL'),
    single('HELLO', '3', 'AUTH'),

    // --- HELLO
    single('HELLO'),
    single('HELLO', '2'),
    single('HELLO', '3'),
    single('HELLO', '3', 'AUTH', 'default', 'wrong'),
    single('HELLO', '3', 'AUTH', 'nosuchuser', 'wrong'),
    single('HELLO', '3', 'SETNAME', 'x'),
    single('HELLO', '3', 'SETNAME', 'a b'),
    single('HELLO', '2', 'SETNAME', 'x'),
    single('HELLO', '4'),
    single('HELLO', '1'),
    single('HELLO', '0'),
    single('HELLO', 'abc'),
    single('HELLO', '3', 'BOGUS'),
    { name: 'HELLO 3 then HELLO 2', steps: [A('HELLO', '3'), A('HELLO', '2'), A('PING')] },

    // --- AUTH without requirepass
    single('AUTH', 'x'),
    single('AUTH', 'default', 'x'),
    single('AUTH', 'nosuchuser', 'x'),
    single('AUTH', 'a', 'b', 'c'),

    // --- INFO and ROLE
    single('INFO'),
    single('INFO', 'server'),
    single('INFO', 'clients'),
    single('INFO', 'cpu'),
    single('INFO', 'stats'),
    single('INFO', 'sentinel'),
    single('INFO', 'everything'),
    single('INFO', 'all'),
    single('INFO', 'default'),
    single('INFO', 'bogus'),
    single('INFO', 'keyspace'),
    single('INFO', 'replication'),
    single('INFO', 'SENTINEL'),
    single('INFO', 'server', 'sentinel'),
    single('ROLE'),

    // --- CLIENT
    {
      name: 'CLIENT SETNAME/GETNAME',
      steps: [
        A('CLIENT', 'GETNAME'),
        A('CLIENT', 'SETNAME', 'x'),
        A('CLIENT', 'GETNAME'),
        A('CLIENT', 'SETNAME', ''),
      ],
    },
    {
      name: 'CLIENT GETNAME after reset',
      steps: [A('CLIENT', 'SETNAME', 'x'), A('CLIENT', 'SETNAME', ''), A('CLIENT', 'GETNAME')],
    },
    single('CLIENT', 'SETNAME', 'a b'),
    single('CLIENT', 'SETNAME'),
    single('CLIENT', 'SETINFO', 'LIB-NAME', 'x'),
    single('CLIENT', 'SETINFO', 'LIB-VER', '1'),
    single('CLIENT', 'ID'),
    single('CLIENT', 'ID', 'x'),
    single('CLIENT', 'LIST'),
    single('CLIENT', 'LIST', 'TYPE', 'normal'),
    single('CLIENT', 'LIST', 'TYPE', 'pubsub'),
    single('CLIENT', 'LIST', 'TYPE', 'bogus'),
    {
      name: 'CLIENT LIST ID own',
      steps: [
        A('CLIENT', 'ID'),
        (c) => ({ args: ['CLIENT', 'LIST', 'ID', String(plain(c.last))], label: 'CLIENT LIST ID <own id>' }),
      ],
    },
    single('CLIENT', 'INFO'),
    single('CLIENT', 'KILL', '127.0.0.1:1'),
    single('CLIENT', 'KILL', 'ID', '999999'),
    single('CLIENT', 'KILL', 'ID', 'abc'),
    single('CLIENT', 'KILL', 'ADDR', '127.0.0.1:1'),
    single('CLIENT', 'KILL', 'LADDR', '127.0.0.1:1'),
    single('CLIENT', 'KILL', 'TYPE', 'master'),
    single('CLIENT', 'KILL', 'TYPE', 'bogus'),
    single('CLIENT', 'KILL', 'USER', 'nosuchuser'),
    single('CLIENT', 'KILL', 'SKIPME', 'maybe'),
    single('CLIENT', 'KILL', 'MAXAGE', '100'),
    single('CLIENT', 'KILL', 'bogus', 'x'),
    single('CLIENT', 'KILL'),
    {
      name: 'CLIENT KILL ID other',
      before: async (c) => {
        c.victim = await connect(c.ports.main, 'victim');
        c.victimId = plain(await c.victim.cmd('CLIENT', 'ID'));
      },
      steps: [
        (c) => ({ args: ['CLIENT', 'KILL', 'ID', String(c.victimId)], label: 'CLIENT KILL ID <other id>' }),
      ],
      after: (c) => c.victim.close(),
    },
    {
      name: 'CLIENT KILL addr other',
      before: async (c) => {
        c.victim = await connect(c.ports.main, 'victim');
        const info = plain(await c.victim.cmd('CLIENT', 'INFO'));
        c.victimAddr = /addr=(\S+)/.exec(info)[1];
      },
      steps: [(c) => ({ args: ['CLIENT', 'KILL', c.victimAddr], label: 'CLIENT KILL <other ip:port>' })],
      after: (c) => c.victim.close(),
    },
    {
      name: 'CLIENT KILL ID self (SKIPME no)',
      steps: [
        A('CLIENT', 'ID'),
        (c) => ({
          args: ['CLIENT', 'KILL', 'ID', String(plain(c.last)), 'SKIPME', 'no'],
          label: 'CLIENT KILL ID <own id> SKIPME no',
          waitClose: true,
        }),
      ],
    },
    {
      name: 'CLIENT KILL ID self (default SKIPME yes)',
      steps: [
        A('CLIENT', 'ID'),
        (c) => ({ args: ['CLIENT', 'KILL', 'ID', String(plain(c.last))], label: 'CLIENT KILL ID <own id>' }),
      ],
    },
    single('CLIENT', 'NO-EVICT', 'on'),
    single('CLIENT', 'NO-EVICT', 'off'),
    single('CLIENT', 'NO-EVICT', 'maybe'),
    single('CLIENT', 'NO-TOUCH', 'on'),
    single('CLIENT', 'REPLY', 'ON'),
    single('CLIENT', 'UNPAUSE'),
    single('CLIENT', 'GETREDIR'),
    single('CLIENT', 'TRACKINGINFO'),
    single('CLIENT', 'UNBLOCK', '999999'),
    single('CLIENT', 'CACHING', 'yes'),
    single('CLIENT', 'HELP'),
    single('CLIENT', 'bogus'),
    single('CLIENT', 'bogus', 'x'),

    // --- COMMAND
    single('COMMAND'),
    single('COMMAND', 'COUNT'),
    single('COMMAND', 'LIST'),
    single('COMMAND', 'DOCS'),
    single('COMMAND', 'DOCS', 'sentinel'),
    single('COMMAND', 'DOCS', 'ping', 'get'),
    single('COMMAND', 'INFO', 'get'),
    single('COMMAND', 'INFO', 'ping', 'sentinel'),
    single('COMMAND', 'INFO'),
    single('COMMAND', 'GETKEYS', 'ping'),
    single('COMMAND', 'HELP'),
    single('COMMAND', 'bogus'),
    single('COMMAND', 'COUNT', 'x'),

    // --- pub/sub
    {
      name: 'pubsub sequence',
      steps: [
        { args: ['SUBSCRIBE', 'foo', 'bar'], expect: 2 },
        A('PING'),
        A('PING', 'x'),
        A('SENTINEL', 'MASTERS'),
        A('CLIENT', 'ID'),
        { args: ['PSUBSCRIBE', 'foo*', 'bar*'], expect: 2 },
        A('UNSUBSCRIBE', 'foo'),
        { args: ['UNSUBSCRIBE'], expect: 1 },
        { args: ['PUNSUBSCRIBE'], expect: 2 },
        A('UNSUBSCRIBE'),
        A('PUNSUBSCRIBE'),
        A('UNSUBSCRIBE', 'never'),
        A('PING'),
      ],
    },
    { name: 'SUBSCRIBE then QUIT', steps: [A('SUBSCRIBE', 'foo'), { args: ['QUIT'], waitClose: true }] },
    { name: 'SUBSCRIBE then RESET', steps: [A('SUBSCRIBE', 'foo'), A('RESET')] },
    { name: 'SUBSCRIBE then HELLO', steps: [A('SUBSCRIBE', 'foo'), A('HELLO')] },
    { name: 'SSUBSCRIBE', steps: [A('SSUBSCRIBE', 'foo')] },
    single('PUBLISH', 'foo', 'bar'),
    single('PUBLISH', '__sentinel__:hello', 'not,a,valid,hello'),
    single('PUBLISH', '__sentinel__:hello', ''),
    single('PUBSUB', 'CHANNELS'),

    // --- ACL
    single('ACL', 'WHOAMI'),
    single('ACL', 'LIST'),
    single('ACL', 'USERS'),
    single('ACL', 'CAT'),
    single('ACL', 'CAT', 'read'),
    single('ACL', 'CAT', 'bogus'),
    single('ACL', 'GETUSER', 'default'),
    single('ACL', 'GETUSER', 'nosuchuser'),
    single('ACL', 'LOG'),
    single('ACL', 'DRYRUN', 'default', 'ping'),
    single('ACL', 'GENPASS'),
    single('ACL', 'SAVE'),
    single('ACL', 'LOAD'),
    single('ACL', 'HELP'),
    single('ACL', 'bogus'),
    single('ACL', 'WHOAMI', 'x'),
    {
      name: 'ACL SETUSER/DELUSER',
      steps: [
        A('ACL', 'SETUSER', 'capuser', 'on', '>pw', '~*', '+@all'),
        A('ACL', 'SETUSER', 'capuser', 'bogusrule'),
        A('ACL', 'USERS'),
        A('ACL', 'DELUSER', 'capuser'),
        A('ACL', 'DELUSER', 'capuser'),
        A('ACL', 'DELUSER', 'default'),
      ],
    },

    // --- SENTINEL read-only subcommands
    single('SENTINEL', 'MASTERS'),
    single('SENTINEL', 'MASTERS', 'x'),
    single('SENTINEL', 'MASTER', 'mymaster'),
    single('SENTINEL', 'MASTER', 'nosuch'),
    single('SENTINEL', 'MASTER'),
    single('SENTINEL', 'MASTER', 'mymaster', 'extra'),
    single('sentinel', 'master', 'mymaster'),
    single('SENTINEL', 'REPLICAS', 'mymaster'),
    single('SENTINEL', 'SLAVES', 'mymaster'),
    single('SENTINEL', 'REPLICAS', 'nosuch'),
    single('SENTINEL', 'REPLICAS'),
    single('SENTINEL', 'SENTINELS', 'mymaster'),
    single('SENTINEL', 'SENTINELS', 'nosuch'),
    single('SENTINEL', 'SENTINELS'),
    single('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'),
    single('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch'),
    single('SENTINEL', 'GET-MASTER-ADDR-BY-NAME'),
    single('SENTINEL', 'MYID'),
    single('SENTINEL', 'MYID', 'x'),
    single('SENTINEL', 'CKQUORUM', 'mymaster'),
    single('SENTINEL', 'CKQUORUM', 'nosuch'),
    single('SENTINEL', 'CKQUORUM'),
    single('SENTINEL', 'INFO-CACHE', 'mymaster'),
    single('SENTINEL', 'INFO-CACHE', 'nosuch'),
    single('SENTINEL', 'INFO-CACHE'),
    single('SENTINEL', 'PENDING-SCRIPTS'),
    single('SENTINEL', 'PENDING-SCRIPTS', 'x'),
    single('SENTINEL', 'HELP'),
    single('SENTINEL', 'HELP', 'x'),
    single('SENTINEL', 'bogus'),
    single('SENTINEL', 'bogus', 'x'),
    single('SENTINEL', 'FLUSHCONFIG'),
    single('SENTINEL', 'FLUSHCONFIG', 'x'),
    single('SENTINEL', 'RESET', 'nosuch*'),
    single('SENTINEL', 'RESET'),
    single('SENTINEL', 'FAILOVER', 'nosuch'),
    single('SENTINEL', 'FAILOVER'),

    // --- SENTINEL IS-MASTER-DOWN-BY-ADDR
    single('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, String(P.master), '0', '*'),
    single('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, '1', '0', '*'),
    single('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, 'abc', '0', '*'),
    single('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, String(P.master), 'abc', '*'),
    single('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, String(P.master), '0'),
    (() => {
      // A vote request with a real-looking run id and a fresh epoch: the sentinel votes for it
      // (emits +new-epoch and +vote-for-leader). RESP2 uses epoch 1, RESP3 epoch 2.
      let epoch = 0;
      return {
        name: 'SENTINEL IS-MASTER-DOWN-BY-ADDR vote',
        steps: [
          (c) => {
            epoch += 1;
            c.voteAt(Date.now());
            return {
              args: [
                'SENTINEL',
                'IS-MASTER-DOWN-BY-ADDR',
                HOST,
                String(P.master),
                String(epoch),
                'c0ffee'.padEnd(40, '0'),
              ],
              label: 'SENTINEL IS-MASTER-DOWN-BY-ADDR <master> <epoch+1> <runid> (vote granted)',
            };
          },
          () => ({
            args: [
              'SENTINEL',
              'IS-MASTER-DOWN-BY-ADDR',
              HOST,
              String(P.master),
              String(epoch),
              'deadbeef'.padEnd(40, '0'),
            ],
            label: 'SENTINEL IS-MASTER-DOWN-BY-ADDR <master> <same epoch> <other runid> (already voted)',
          }),
        ],
      };
    })(),

    // --- SENTINEL SIMULATE-FAILURE (every call first clears the flags; HELP clears them too)
    {
      name: 'SENTINEL SIMULATE-FAILURE',
      steps: [
        A('SENTINEL', 'SIMULATE-FAILURE', 'CRASH-AFTER-ELECTION'),
        A('SENTINEL', 'SIMULATE-FAILURE', 'CRASH-AFTER-PROMOTION'),
        A('SENTINEL', 'SIMULATE-FAILURE', 'crash-after-election', 'crash-after-promotion'),
        A('SENTINEL', 'SIMULATE-FAILURE', 'bogus'),
        A('SENTINEL', 'SIMULATE-FAILURE', 'HELP'),
        A('SENTINEL', 'SIMULATE-FAILURE'),
      ],
    },

    // --- SENTINEL DEBUG (values written back unchanged)
    single('SENTINEL', 'DEBUG'),
    single('SENTINEL', 'DEBUG', 'info-period', '10000'),
    single('SENTINEL', 'DEBUG', 'ping-period', '1000', 'ask-period', '1000'),
    single('SENTINEL', 'DEBUG', 'bogus', '1'),
    single('SENTINEL', 'DEBUG', 'info-period', 'abc'),
    single('SENTINEL', 'DEBUG', 'info-period', '-1'),
    single('SENTINEL', 'DEBUG', 'info-period'),
    single('SENTINEL', 'DEBUG'),

    // --- SENTINEL CONFIG (values written back as the defaults)
    single('SENTINEL', 'CONFIG', 'GET', '*'),
    single('SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames'),
    single('SENTINEL', 'CONFIG', 'GET', 'announce-*'),
    single('SENTINEL', 'CONFIG', 'GET', 'bogus'),
    single('SENTINEL', 'CONFIG', 'GET', 'loglevel'),
    single('SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'maybe'),
    single('SENTINEL', 'CONFIG', 'SET', 'announce-port', 'abc'),
    single('SENTINEL', 'CONFIG', 'SET', 'announce-port', '70000'),
    single('SENTINEL', 'CONFIG', 'SET', 'bogus', '1'),
    single('SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no', 'announce-hostnames', 'no'),
    single('SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames'),
    single('SENTINEL', 'CONFIG', 'GET'),
    single('SENTINEL', 'CONFIG', 'bogus', 'x'),
    single('SENTINEL', 'CONFIG'),
    single('SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no'),
    single('SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'no'),
    single('SENTINEL', 'CONFIG', 'SET', 'announce-ip', ''),
    single('SENTINEL', 'CONFIG', 'SET', 'announce-port', '0'),
    single('SENTINEL', 'CONFIG', 'SET', 'sentinel-user', ''),
    single('SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', ''),
    single('SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice'),
    single('SENTINEL', 'CONFIG', 'GET', '*'),

    // --- SENTINEL SET on mymaster (values written back unchanged)
    single('SENTINEL', 'SET', 'mymaster', 'notification-script', '/bin/true'),
    single('SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '/bin/true'),
    single('SENTINEL', 'SET', 'mymaster', 'bogus', '1'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum', '0'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum', 'abc'),
    single('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '0'),
    single('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', 'abc'),
    single('SENTINEL', 'SET', 'mymaster', 'failover-timeout', 'abc'),
    single('SENTINEL', 'SET', 'mymaster', 'parallel-syncs', 'abc'),
    single('SENTINEL', 'SET', 'mymaster', 'master-reboot-down-after-period', '-1'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum', '1', 'parallel-syncs'),
    single('SENTINEL', 'SET', 'nosuch', 'quorum', '1'),
    single('SENTINEL', 'SET', 'mymaster'),
    single('SENTINEL', 'SET'),
    single('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '1000'),
    single('SENTINEL', 'SET', 'mymaster', 'failover-timeout', '10000'),
    single('SENTINEL', 'SET', 'mymaster', 'parallel-syncs', '1'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum', '1'),
    single('SENTINEL', 'SET', 'mymaster', 'master-reboot-down-after-period', '0'),
    single('SENTINEL', 'SET', 'mymaster', 'quorum', '1', 'parallel-syncs', '1'),
    single('SENTINEL', 'MASTER', 'mymaster'),

    // --- SENTINEL MONITOR / SET on a second master / RESET / FAILOVER (no good slave) / REMOVE
    {
      name: 'SENTINEL MONITOR othermaster lifecycle',
      steps: [
        A('SENTINEL', 'MONITOR', 'othermaster', HOST, String(P.other), '1'),
        A('SENTINEL', 'MONITOR', 'othermaster', HOST, String(P.other), '1'),
        A('SENTINEL', 'MASTER', 'othermaster'),
        A('SENTINEL', 'MASTERS'),
        A('ROLE'),
        A('SENTINEL', 'SET', 'othermaster', 'auth-pass', 'secret'),
        A('SENTINEL', 'SET', 'othermaster', 'auth-user', 'someone'),
        A('SENTINEL', 'SET', 'othermaster', 'auth-pass', ''),
        A('SENTINEL', 'SET', 'othermaster', 'auth-user', ''),
        A('SENTINEL', 'SET', 'othermaster', 'rename-command', 'CONFIG', 'MYCONFIG'),
        A('SENTINEL', 'SET', 'othermaster', 'rename-command', 'CONFIG'),
        A('SENTINEL', 'SET', 'othermaster', 'quorum', '2'),
        A('SENTINEL', 'CKQUORUM', 'othermaster'),
        A('SENTINEL', 'RESET', 'othermaster'),
        A('SENTINEL', 'FAILOVER', 'othermaster'),
        A('SENTINEL', 'REPLICAS', 'othermaster'),
        A('SENTINEL', 'INFO-CACHE', 'othermaster'),
        A('SENTINEL', 'MONITOR', 'otheralias', HOST, String(P.other), '1'),
        A('SENTINEL', 'REMOVE', 'otheralias'),
        A('SENTINEL', 'REMOVE', 'othermaster'),
        A('SENTINEL', 'REMOVE', 'othermaster'),
        A('SENTINEL', 'REMOVE'),
      ],
    },
    single('SENTINEL', 'MONITOR', 'm2', HOST, String(P.other), '0'),
    single('SENTINEL', 'MONITOR', 'm2', HOST, String(P.other), 'abc'),
    single('SENTINEL', 'MONITOR', 'm2', HOST, '0', '1'),
    single('SENTINEL', 'MONITOR', 'm2', HOST, '70000', '1'),
    single('SENTINEL', 'MONITOR', 'm2', HOST, 'abc', '1'),
    single('SENTINEL', 'MONITOR', 'm2', 'not-an-ip', String(P.other), '1'),
    single('SENTINEL', 'MONITOR', 'mymaster', HOST, String(P.other), '1'),
    single('SENTINEL', 'MONITOR', 'm2', HOST, String(P.other)),
    single('SENTINEL', 'MONITOR', 'm2', HOST, String(P.other), '1', 'extra'),
    single('SENTINEL', 'REMOVE', 'm2'),
    single('SENTINEL', 'MASTERS'),
  ];
  return cases;
}

function authCases() {
  const pw = 'capture-secret';
  return [
    {
      name: 'before and after AUTH',
      target: 'auth',
      protos: [2],
      steps: [
        A('PING'),
        A('SENTINEL', 'MASTERS'),
        A('INFO'),
        A('CLIENT', 'ID'),
        A('GET', 'foo'),
        A('SENTINEL'),
        A('HELLO'),
        A('HELLO', '3'),
        A('AUTH', 'wrong'),
        A('AUTH', 'default', 'wrong'),
        A('AUTH', 'nosuchuser', pw),
        A('AUTH', pw),
        A('PING'),
        A('AUTH', 'default', pw),
        A('AUTH', 'wrong'),
        A('PING'),
        A('ACL', 'WHOAMI'),
        A('ACL', 'LIST'),
      ],
    },
    {
      name: 'HELLO with AUTH',
      target: 'auth',
      protos: [2],
      steps: [
        A('HELLO', '3', 'AUTH', 'default', 'wrong'),
        A('PING'),
        A('HELLO', '3', 'AUTH', 'default', pw),
        A('PING'),
        A('SENTINEL', 'MASTERS'),
      ],
    },
    {
      name: 'HELLO 2 with AUTH and SETNAME',
      target: 'auth',
      protos: [2],
      steps: [A('HELLO', '2', 'AUTH', 'default', pw, 'SETNAME', 'cap'), A('CLIENT', 'GETNAME')],
    },
    { name: 'SHUTDOWN before AUTH', target: 'auth', protos: [2], steps: [A('SHUTDOWN')] },
    { name: 'QUIT before AUTH', target: 'auth', protos: [2], steps: [{ args: ['QUIT'], waitClose: true }] },
    {
      name: 'unauthenticated multibulk length',
      target: 'auth',
      protos: [2],
      steps: [{ raw: '*20\r\n', waitClose: true }],
    },
    {
      name: 'unauthenticated bulk length',
      target: 'auth',
      protos: [2],
      steps: [{ raw: '*1\r\n$20000\r\n', waitClose: true }],
    },
    {
      name: 'inline PING before AUTH',
      target: 'auth',
      protos: [2],
      steps: [{ raw: 'PING\r\n' }, { raw: `AUTH ${pw}\r\n` }, { raw: 'PING\r\n' }],
    },
    {
      name: 'RESP3 after HELLO 3 AUTH',
      target: 'auth',
      protos: [3],
      hello: ['HELLO', '3', 'AUTH', 'default', pw],
      steps: [A('PING'), A('AUTH', 'wrong'), A('HELLO'), A('SENTINEL', 'MASTERS')],
    },
  ];
}

async function waitFor(desc, fn, timeoutMs, every = 250) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${desc}`);
    await sleep(every);
  }
}

async function sentinelQuery(port, ...args) {
  const c = await connect(port, 'poll');
  try {
    return await c.cmd(...args);
  } finally {
    c.close();
  }
}

async function replicasOf(port, name = 'mymaster') {
  const r = await sentinelQuery(port, 'SENTINEL', 'REPLICAS', name);
  if (!r || r.type !== 'array') return [];
  return r.value.map(fieldsOf);
}

async function captureBoth(ctx, name, args, label) {
  for (const proto of [2, 3]) {
    const conn = await connect(ctx.ports.main, name, proto);
    await runStep(
      conn,
      { args, label: label ?? `${describe(args)} (${name})` },
      { proto, target: 'main', ctx: {} },
    );
    conn.close();
  }
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  log(`temporary directory ${TMP}`);
  const [master, replica1, replica2, sentinel, peer, auth, throwaway2, throwaway3, other] =
    await freePorts(9);
  const ports = { master, replica1, replica2, main: sentinel, peer, auth, throwaway2, throwaway3, other };
  log('ports', JSON.stringify(ports));
  for (const [k, v] of Object.entries(ports)) portNamesByNumber.set(String(v), k);
  // A granted vote delays this sentinel's own next failover by 2 * failover-timeout.
  let lastVote = 0;
  const ctx = { ports, voteAt: (t) => (lastVote = t) };
  const procs = {};

  procs.master = startRedis('master', master);
  procs.other = startRedis('other', other);
  await waitReady(master);
  await waitReady(other);
  procs.replica1 = startRedis('replica1', replica1, master);
  procs.replica2 = startRedis('replica2', replica2, master);
  await waitReady(replica1);
  await waitReady(replica2);

  const mainConf = sentinelConf('sentinel', sentinel, [
    `sentinel monitor mymaster ${HOST} ${master} 1`,
    'sentinel down-after-milliseconds mymaster 1000',
    'sentinel failover-timeout mymaster 10000',
  ]);
  const sentinelStartedAt = Date.now();
  procs.sentinel = startSentinel('sentinel', mainConf);
  await waitReady(sentinel);
  const rec = new Recorder(sentinel, 2);
  await rec.start();
  const rec3 = new Recorder(sentinel, 3);
  await rec3.start();
  rec.setPhase('startup');
  rec3.setPhase('startup');
  const setPhase = (name) => {
    currentPhase = name;
    rec.setPhase(name);
    rec3.setPhase(name);
    log(`phase ${name}`);
  };

  await waitFor(
    'sentinel to list 2 replicas',
    async () => {
      const reps = await replicasOf(sentinel);
      return reps.length === 2 && reps.every((r) => !String(r.flags).includes('disconnected'));
    },
    30000,
  );
  await sleep(1500);

  const authConf = sentinelConf('sentinel-auth', auth, ['requirepass capture-secret']);
  procs.auth = startSentinel('sentinel-auth', authConf);
  await waitReady(auth);

  // ---- replies
  const startupMs = Date.now() - sentinelStartedAt;
  setPhase('replies');
  for (const c of commonCases(ctx)) await runCase(c, ctx);
  setPhase('replies-auth');
  for (const c of authCases()) await runCase(c, ctx);

  // ---- SHUTDOWN on throwaway sentinels
  setPhase('replies-shutdown');
  for (const proto of [2, 3]) {
    const port = proto === 2 ? throwaway2 : throwaway3;
    const conf = sentinelConf(`sentinel-throwaway${proto}`, port, []);
    const child = startSentinel(`sentinel-throwaway${proto}`, conf);
    await waitReady(port);
    await runCase(
      {
        name: 'SHUTDOWN on a throwaway sentinel',
        target: `throwaway${proto}`,
        protos: [proto],
        steps: [
          A('SHUTDOWN', 'bogus'),
          A('SHUTDOWN', 'ABORT'),
          A('SHUTDOWN', 'NOSAVE', 'SAVE'),
          { args: ['SHUTDOWN'], waitClose: true },
        ],
      },
      ctx,
    );
    const gone = await waitExit(child, 5000);
    log(`throwaway sentinel RESP${proto} exited after SHUTDOWN: ${gone}`);
  }

  // ---- peer sentinel: only to capture SENTINEL SENTINELS entries
  setPhase('peer-sentinel');
  const peerConf = sentinelConf('sentinel-peer', peer, [
    `sentinel monitor mymaster ${HOST} ${master} 1`,
    'sentinel down-after-milliseconds mymaster 1000',
    'sentinel failover-timeout mymaster 10000',
  ]);
  procs.peer = startSentinel('sentinel-peer', peerConf);
  await waitReady(peer);
  await waitFor(
    'main sentinel to discover the peer',
    async () => {
      const r = await sentinelQuery(sentinel, 'SENTINEL', 'SENTINELS', 'mymaster');
      return r?.type === 'array' && r.value.length === 1;
    },
    30000,
  );
  await sleep(2500);
  await captureBoth(ctx, 'with a peer sentinel', ['SENTINEL', 'SENTINELS', 'mymaster']);
  await captureBoth(ctx, 'with a peer sentinel', ['SENTINEL', 'MASTER', 'mymaster']);
  await captureBoth(ctx, 'with a peer sentinel', ['SENTINEL', 'CKQUORUM', 'mymaster']);
  await captureBoth(ctx, 'with a peer sentinel', ['INFO', 'sentinel']);
  {
    const conn = await connect(peer, 'peer', 2);
    await runStep(
      conn,
      { args: ['SENTINEL', 'MYID'], label: 'SENTINEL MYID (peer sentinel)' },
      { proto: 2, target: 'peer', ctx: {} },
    );
    conn.close();
  }
  procs.peer.kill('SIGTERM');
  await waitExit(procs.peer);
  await rec.waitFor((e) => e.channel === '+sdown' && e.payload.startsWith('sentinel '), 10000);
  await captureBoth(ctx, 'peer sentinel down', ['SENTINEL', 'SENTINELS', 'mymaster']);
  await captureBoth(ctx, 'peer sentinel down', ['SENTINEL', 'CKQUORUM', 'mymaster']);
  {
    // Forget the dead peer so the failover below is decided by the main sentinel alone.
    const c2 = await connect(sentinel, 'reset', 2);
    await runStep(c2, { args: ['SENTINEL', 'RESET', 'mymaster'] }, { proto: 2, target: 'main', ctx: {} });
    c2.close();
    const c3 = await connect(sentinel, 'reset', 3);
    await runStep(c3, { args: ['SENTINEL', 'RESET', '*'] }, { proto: 3, target: 'main', ctx: {} });
    c3.close();
  }
  await waitFor(
    'replicas rediscovered after RESET',
    async () => {
      const reps = await replicasOf(sentinel);
      const s = await sentinelQuery(sentinel, 'SENTINEL', 'SENTINELS', 'mymaster');
      return reps.length === 2 && reps.every((r) => r.flags === 'slave') && s?.value?.length === 0;
    },
    30000,
  );
  await sleep(1500);

  // ---- replica paused past down-after
  setPhase('replica-paused');
  const mark1 = rec.events.length;
  process.kill(procs.replica1.pid, 'SIGSTOP');
  const sd = await rec.waitFor(
    (e) => e.channel === '+sdown' && e.payload.includes(`${HOST} ${replica1}`),
    10000,
    mark1,
  );
  log(`+sdown for paused replica: ${!!sd}`);
  await captureBoth(ctx, 'one replica in sdown', ['SENTINEL', 'REPLICAS', 'mymaster']);
  await captureBoth(ctx, 'one replica in sdown', ['SENTINEL', 'MASTER', 'mymaster']);
  await sleep(1000);
  process.kill(procs.replica1.pid, 'SIGCONT');
  const usd = await rec.waitFor(
    (e) => e.channel === '-sdown' && e.payload.includes(`${HOST} ${replica1}`),
    15000,
    mark1,
  );
  log(`-sdown for resumed replica: ${!!usd}`);
  await sleep(2000);

  // ---- primary killed: automatic failover with quorum 1
  const wait = lastVote + 21000 - Date.now();
  if (wait > 0) {
    log(`waiting ${wait} ms so the vote granted earlier cannot delay the failover`);
    await sleep(wait);
  }
  setPhase('failover');
  const mark2 = rec.events.length;
  const duringCaptures = [];
  const captureOn = (channel, what) =>
    rec
      .waitFor((e) => e.channel === channel, 20000, mark2)
      .then((e) => {
        if (!e) return;
        duringCaptures.push(captureBoth(ctx, what, ['SENTINEL', 'MASTER', 'mymaster']));
        duringCaptures.push(captureBoth(ctx, what, ['INFO', 'sentinel']));
        duringCaptures.push(captureBoth(ctx, what, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']));
        duringCaptures.push(
          captureBoth(ctx, what, ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', HOST, String(master), '0', '*']),
        );
      });
  const c1 = captureOn('+odown', 'during failover, after +odown');
  const c2 = captureOn('+failover-state-reconf-slaves', 'during failover, reconf-slaves');
  procs.master.kill('SIGKILL');
  const sw = await rec.waitFor((e) => e.channel === '+switch-master', 40000, mark2);
  if (!sw) throw new Error('no +switch-master after killing the primary');
  await c1;
  await c2;
  await Promise.all(duringCaptures);
  const newMasterPort = Number(sw.payload.split(' ')[4]);
  log(`switch-master: ${sw.payload}`);
  await rec.waitFor(
    (e) => e.channel === '+sdown' && e.payload.includes(`${HOST} ${master}`),
    10000,
    rec.events.indexOf(sw),
  );
  await sleep(1500);
  await captureBoth(ctx, 'after failover, old primary down', ['SENTINEL', 'REPLICAS', 'mymaster']);
  await captureBoth(ctx, 'after failover', ['SENTINEL', 'MASTER', 'mymaster']);
  await captureBoth(ctx, 'after failover', ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']);
  await captureBoth(ctx, 'after failover', ['INFO', 'sentinel']);

  // ---- old primary back: sentinel turns it into a replica
  setPhase('old-primary-restart');
  const mark3 = rec.events.length;
  procs.master = startRedis('master', master);
  await waitReady(master);
  const conv = await rec.waitFor((e) => e.channel === '+convert-to-slave', 60000, mark3);
  log(`+convert-to-slave: ${!!conv}`);
  await sleep(3000);

  // ---- a replica restarted: +reboot
  setPhase('replica-restart');
  const mark4 = rec.events.length;
  const victimName = newMasterPort === replica1 ? 'replica2' : 'replica1';
  const victimPort = ports[victimName];
  procs[victimName].kill('SIGKILL');
  await waitExit(procs[victimName]);
  procs[victimName] = startRedis(victimName, victimPort, newMasterPort);
  await waitReady(victimPort);
  const reboot = await rec.waitFor(
    (e) => e.channel === '+reboot' && e.payload.includes(`${HOST} ${victimPort}`),
    30000,
    mark4,
  );
  log(`+reboot: ${!!reboot}`);
  await sleep(2000);

  // ---- manual failover (last: it changes the topology again)
  const healthy = async () => {
    const reps = await replicasOf(sentinel);
    return (
      reps.length >= 2 &&
      reps.filter(
        (r) => r.flags === 'slave' && r['master-link-status'] === 'ok' && r['role-reported'] === 'slave',
      ).length >= 2
    );
  };
  for (const proto of [2, 3]) {
    setPhase(`manual-failover-resp${proto}`);
    try {
      await waitFor('healthy replicas before manual failover', healthy, 45000);
    } catch (e) {
      log(e.message);
    }
    const mark = rec.events.length;
    const conn = await connect(sentinel, 'manual-failover', proto);
    await runStep(
      conn,
      { args: ['SENTINEL', 'FAILOVER', 'mymaster'], label: 'SENTINEL FAILOVER mymaster (ok)' },
      { proto, target: 'main', ctx: {} },
    );
    await runStep(
      conn,
      {
        args: ['SENTINEL', 'FAILOVER', 'mymaster'],
        label: 'SENTINEL FAILOVER mymaster (already in progress)',
      },
      { proto, target: 'main', ctx: {} },
    );
    conn.close();
    const sw2 = await rec.waitFor((e) => e.channel === '+switch-master', 30000, mark);
    log(`manual failover RESP${proto}: ${sw2 ? sw2.payload : 'no switch-master'}`);
    await rec.waitFor((e) => e.channel === '+convert-to-slave', 20000, mark);
    await sleep(2000);
  }

  setPhase('final');
  await captureBoth(ctx, 'final state', ['SENTINEL', 'MASTERS']);
  await captureBoth(ctx, 'final state', ['SENTINEL', 'REPLICAS', 'mymaster']);
  await captureBoth(ctx, 'final state', ['INFO', 'sentinel']);
  await sentinelQuery(sentinel, 'SENTINEL', 'FLUSHCONFIG');
  await sleep(300);

  // ---- pub/sub delivery formats (messages come from the recorders)
  for (const [proto, r] of [
    [2, rec],
    [3, rec3],
  ]) {
    if (r.subscribeReply) {
      replies.push({
        name: 'PSUBSCRIBE * (event recorder)',
        proto,
        request: 'PSUBSCRIBE *',
        requestRaw: encode(['PSUBSCRIBE', '*']),
        replyRaw: r.subscribeReply.raw,
        replyParsed: r.subscribeReply.parsed,
        replyCount: 1,
        closedAfter: false,
        target: 'main',
        phase: 'startup',
      });
    }
    if (r.firstMessage) {
      replies.push({
        name: 'pmessage delivery (sentinel event)',
        proto,
        request: '(none: event pushed to a PSUBSCRIBE * client)',
        requestRaw: '',
        replyRaw: r.firstMessage.raw,
        replyParsed: r.firstMessage.parsed,
        replyCount: 1,
        closedAfter: false,
        target: 'main',
        phase: 'events',
      });
    }
  }

  // ---- write everything
  const sentinelLog = fs.readFileSync(mainConf.log, 'latin1');
  writeOutputs({ ports, rec, rec3, mainConf, authConf, sentinelLog, startupMs });

  rec.conn.close();
  rec3.conn.close();
  killAll();
  for (const c of [...children]) await waitExit(c, 3000);
}

// JSON with short objects and arrays kept on one line (the layout prettier settles on), so that
// the deep reply trees stay readable and the file stays small.
function toJson(value, indent = '', lead = 0) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inline = prettyInline(value);
  if (indent.length + lead + inline.length + 1 <= 110) return inline;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + toJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  const body = keys.map(
    (k) => `${inner}${JSON.stringify(k)}: ${toJson(value[k], inner, JSON.stringify(k).length + 2)}`,
  );
  return `{\n${body.join(',\n')}\n${indent}}`;
}

function prettyInline(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(prettyInline).join(', ')}]`;
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${prettyInline(value[k])}`).join(', ')} }`;
}

function writeOutputs({ ports, rec, rec3, mainConf, authConf, sentinelLog, startupMs }) {
  const version = spawnSync(REDIS_SENTINEL, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const meta = {
    capturedWith: 'scripts/capture-sentinel-fixtures.mjs',
    redisVersion: version,
    capturedAt: new Date(T0).toISOString(),
    ports,
    encoding:
      'replyRaw/requestRaw hold the exact bytes, one JSON char per byte (latin1); the replies here are ASCII/UTF-8',
  };
  fs.writeFileSync(path.join(OUT, 'replies.json'), toJson(replies) + '\n');

  const events = rec.events.map(({ phase, tPhaseMs, tRunMs, channel, payload, raw }) => ({
    phase,
    tPhaseMs,
    tRunMs,
    channel,
    payload,
    raw,
  }));
  fs.writeFileSync(
    path.join(OUT, 'events.json'),
    toJson({
      meta: {
        ...meta,
        note: 'Received on a RESP2 connection subscribed with PSUBSCRIBE * to the main sentinel.',
      },
      events,
      resp3Sample: rec3.events.slice(0, 3).map(({ channel, payload, raw }) => ({ channel, payload, raw })),
    }) + '\n',
  );

  fs.writeFileSync(path.join(OUT, 'sentinel.log'), sentinelLog);
  fs.writeFileSync(path.join(OUT, 'initial-sentinel.conf'), mainConf.initial);
  fs.writeFileSync(path.join(OUT, 'rewritten-sentinel.conf'), fs.readFileSync(mainConf.file, 'latin1'));
  fs.writeFileSync(path.join(OUT, 'rewritten-sentinel-auth.conf'), fs.readFileSync(authConf.file, 'latin1'));
  fs.writeFileSync(path.join(OUT, 'events.md'), eventsMarkdown(events, sentinelLog, ports, startupMs));
  fs.writeFileSync(path.join(OUT, 'replies.md'), repliesMarkdown());

  const prettier = path.join(ROOT, 'node_modules/.bin/prettier');
  if (fs.existsSync(prettier)) {
    spawnSync(prettier, ['--write', path.join(OUT, '*.json')], { stdio: 'ignore', cwd: ROOT });
  }
  log(`wrote ${replies.length} replies and ${events.length} events to ${OUT}`);
}

function portNames(ports) {
  const m = new Map();
  for (const [k, v] of Object.entries(ports)) m.set(String(v), k);
  return m;
}

// "1234:X 22 Nov 2025 18:55:09.081 # ..." -> milliseconds (local time; only differences are used)
function logTime(line) {
  const m = /^\d+:X (\d+ \w+ \d+ \d+:\d+:\d+)\.(\d+)/.exec(line);
  return m ? Date.parse(m[1]) + Number(m[2]) : NaN;
}

function eventsMarkdown(events, sentinelLog, ports, startupMs) {
  const names = portNames(ports);
  const out = [];
  out.push('# Sentinel events captured from redis-sentinel 7.0.15');
  out.push('');
  out.push('Generated by `scripts/capture-sentinel-fixtures.mjs`; see README.md for the reading.');
  out.push(
    'Ports in this run: ' +
      Object.entries(ports)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') +
      '.',
  );
  out.push('Times are milliseconds since the phase started (as seen by a PSUBSCRIBE * client).');
  out.push('');
  out.push('## Start-up, from sentinel.log');
  out.push('');
  out.push('No client can be subscribed before the sentinel listens, so these come from its log:');
  out.push('');
  out.push('```');
  const lines = sentinelLog.split('\n').filter((l) => /^\d+:X /.test(l));
  const t0 = logTime(lines[0] ?? '');
  out.push(...lines.filter((l) => logTime(l) - t0 <= startupMs));
  out.push('```');
  let phase = null;
  for (const e of events) {
    if (e.phase !== phase) {
      phase = e.phase;
      out.push('');
      out.push(`## Phase: ${phase}`);
      out.push('');
      out.push('| +ms | channel | payload | ports |');
      out.push('| ---: | --- | --- | --- |');
    }
    const pnames = [
      ...new Set((e.payload.match(/\b\d{4,5}\b/g) ?? []).map((p) => names.get(p)).filter(Boolean)),
    ];
    out.push(`| ${e.tPhaseMs} | \`${e.channel}\` | \`${e.payload}\` | ${pnames.join(', ')} |`);
  }
  out.push('');
  return out.join('\n');
}

function repliesMarkdown() {
  const out = [];
  out.push('# Raw replies captured from redis-sentinel 7.0.15');
  out.push('');
  out.push(
    'Generated by `scripts/capture-sentinel-fixtures.mjs` from replies.json (long replies cut at 1500 bytes).',
  );
  out.push('CR LF is shown as `\\r\\n` followed by a line break.');
  out.push('');
  for (const r of replies) {
    const raw =
      r.replyRaw.length > 1500 ? r.replyRaw.slice(0, 1500) + `... (${r.replyRaw.length} bytes)` : r.replyRaw;
    out.push(`## ${r.name} — RESP${r.proto}${r.sequence ? ` (in sequence: ${r.sequence})` : ''}`);
    out.push('');
    out.push(
      `request: \`${JSON.stringify(r.request)}\`${r.closedAfter ? ' — server closed the connection' : ''}`,
    );
    out.push('');
    out.push('```');
    out.push(raw.length === 0 ? '(no bytes)' : raw.replace(/\r\n/g, '\\r\\n\n').replace(/\n$/, ''));
    out.push('```');
    out.push('');
  }
  return out.join('\n');
}

main()
  .then(() => {
    clearTimeout(deadlineTimer);
    killAll();
    process.exit(0);
  })
  .catch((e) => {
    console.error('capture failed:', e);
    killAll();
    process.exit(1);
  });
