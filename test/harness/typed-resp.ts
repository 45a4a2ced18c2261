// A RESP2/RESP3 client that keeps every reply's wire type (simple vs bulk string, map vs array,
// push frames), for tests that compare reply shapes byte-type for byte-type across servers.
import net from 'node:net';
import { encodeCommand, type RespArg } from './resp.js';

export type Typed =
  | { t: 'simple' | 'error' | 'bulk' | 'verbatim' | 'double' | 'bignum'; v: string }
  | { t: 'int'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'null' | 'nullbulk' | 'nullarray' }
  | { t: 'array' | 'set' | 'push'; v: Typed[] }
  | { t: 'map'; v: [Typed, Typed][] };

type Step = { value: Typed; next: number } | undefined;

function line(buf: Buffer, pos: number): { text: string; next: number } | undefined {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  return { text: buf.toString('utf8', pos + 1, eol), next: eol + 2 };
}

function parseAggregate(
  buf: Buffer,
  start: number,
  count: number,
): { items: Typed[]; next: number } | undefined {
  const items: Typed[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const s = parseTyped(buf, pos);
    if (!s) return undefined;
    items.push(s.value);
    pos = s.next;
  }
  return { items, next: pos };
}

export function parseTyped(buf: Buffer, pos: number): Step {
  if (pos >= buf.length) return undefined;
  const kind = String.fromCharCode(buf[pos] ?? 0);
  const l = line(buf, pos);
  if (!l) return undefined;
  switch (kind) {
    case '+':
      return { value: { t: 'simple', v: l.text }, next: l.next };
    case '-':
      return { value: { t: 'error', v: l.text }, next: l.next };
    case ':':
      return { value: { t: 'int', v: Number(l.text) }, next: l.next };
    case ',':
      return { value: { t: 'double', v: l.text }, next: l.next };
    case '(':
      return { value: { t: 'bignum', v: l.text }, next: l.next };
    case '#':
      return { value: { t: 'bool', v: l.text === 't' }, next: l.next };
    case '_':
      return { value: { t: 'null' }, next: l.next };
    case '$':
    case '=': {
      const n = Number(l.text);
      if (n < 0) return { value: { t: 'nullbulk' }, next: l.next };
      if (buf.length < l.next + n + 2) return undefined;
      const text = buf.toString('utf8', l.next, l.next + n);
      return { value: { t: kind === '$' ? 'bulk' : 'verbatim', v: text }, next: l.next + n + 2 };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(l.text);
      if (n < 0) return { value: { t: 'nullarray' }, next: l.next };
      const agg = parseAggregate(buf, l.next, n);
      if (!agg) return undefined;
      return {
        value: { t: kind === '*' ? 'array' : kind === '~' ? 'set' : 'push', v: agg.items },
        next: agg.next,
      };
    }
    case '%': {
      const n = Number(l.text);
      const agg = parseAggregate(buf, l.next, n * 2);
      if (!agg) return undefined;
      const pairs: [Typed, Typed][] = [];
      for (let i = 0; i < agg.items.length; i += 2) pairs.push([agg.items[i]!, agg.items[i + 1]!]);
      return { value: { t: 'map', v: pairs }, next: agg.next };
    }
    default:
      throw new Error(`unexpected RESP type byte '${kind}' at ${pos}`);
  }
}

/** One connection; `call` sends a command and resolves with its typed reply. */
export class TypedConnection {
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (v: Typed) => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    const fail = () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
    };
    sock.on('close', fail);
    sock.on('error', fail);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TypedConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host }, () => resolve(new TypedConnection(sock)));
      sock.once('error', reject);
    });
  }

  private drain(): void {
    for (;;) {
      const w = this.waiters[0];
      if (!w) return;
      const s = parseTyped(this.buf, 0);
      if (!s) return;
      this.buf = this.buf.subarray(s.next);
      this.waiters.shift();
      w.resolve(s.value);
    }
  }

  /** Read the next reply without sending anything (pub/sub pushes, multi-reply commands). */
  next(timeoutMs = 3000): Promise<Typed> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      const t = setTimeout(() => reject(new Error('no reply within deadline')), timeoutMs);
      this.waiters.push({
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.drain();
    });
  }

  call(args: readonly RespArg[], timeoutMs = 3000): Promise<Typed> {
    const p = this.next(timeoutMs);
    this.sock.write(encodeCommand(args));
    return p;
  }

  raw(bytes: string | Buffer, timeoutMs = 3000): Promise<Typed> {
    const p = this.next(timeoutMs);
    this.sock.write(bytes);
    return p;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A compact, readable rendering of a typed reply (used in assertion messages and goldens). */
export function show(v: Typed): string {
  switch (v.t) {
    case 'null':
    case 'nullbulk':
    case 'nullarray':
      return v.t;
    case 'int':
      return `int(${v.v})`;
    case 'bool':
      return `bool(${v.v})`;
    case 'array':
    case 'set':
    case 'push':
      return `${v.t}[${v.v.map(show).join(', ')}]`;
    case 'map':
      return `map{${v.v.map(([k, x]) => `${show(k)}: ${show(x)}`).join(', ')}}`;
    default:
      return `${v.t}(${JSON.stringify(v.v)})`;
  }
}
