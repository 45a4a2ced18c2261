/**
 * RESP2/RESP3 reply encoder, byte-compatible with what Redis 7.0 writes for the same reply.
 *
 * Encoding is two-pass: `replyByteLength` computes the exact size, `writeReply` fills a buffer
 * of that size. `encodeReply` does both for one reply; `ReplyWriter` batches many replies
 * (pipelined answers) into a few large chunks for one socket write.
 */
import type { ProtocolVersion, Reply } from './reply.js';

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;

function hasNewline(s: string): boolean {
  return s.includes('\r') || s.includes('\n');
}

/**
 * Redis never lets CR or LF into a status or error line (it would desynchronise the client),
 * so they become spaces, as `addReplyErrorFormat`/`addReplyStatusFormat` do.
 */
export function sanitizeLine(s: string): string {
  return hasNewline(s) ? s.replace(/[\r\n]/g, ' ') : s;
}

/** The text of an error line: `-` is added unless the caller already supplied it. */
function errorLine(v: string): string {
  const s = sanitizeLine(v);
  return s.startsWith('-') ? s : `-${s}`;
}

/** The three-byte format of a verbatim string: truncated or space-padded, ASCII only. */
function verbatimFormat(format: string): string {
  let out = '';
  for (let i = 0; i < 3; i++) {
    const c = i < format.length ? format.charCodeAt(i) : SPACE;
    out += c >= 0x21 && c < 0x7f && c !== 0x3a ? String.fromCharCode(c) : ' ';
  }
  return out;
}

function intText(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isInteger(v)) throw new RangeError(`integer reply is not an integer: ${String(v)}`);
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

// ---------------------------------------------------------------------------------------------
// Doubles, formatted exactly as C's printf("%.17g") (what Redis 7.0's addReplyDouble uses).
// ---------------------------------------------------------------------------------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The exact decimal value of a finite, nonzero, positive double as `digits × 10^-scale`. */
function exactDecimal(d: number): { digits: string; scale: number } {
  f64[0] = d;
  const hi = LITTLE_ENDIAN ? u32[1]! : u32[0]!;
  const lo = LITTLE_ENDIAN ? u32[0]! : u32[1]!;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return { digits: (mantissa << BigInt(exp)).toString(), scale: 0 };
  // m × 2^exp = m × 5^-exp / 10^-exp
  return { digits: (mantissa * 5n ** BigInt(-exp)).toString(), scale: -exp };
}

/**
 * `printf("%.17g", d)`: 17 significant digits rounded half-to-even from the exact binary value
 * (as glibc does), trailing zeros removed, exponent form when the exponent is < -4 or >= 17.
 * Infinities and NaN are spelled `inf`, `-inf` and `nan`.
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const P = 17;
  const sign = d < 0 ? '-' : '';
  const { digits, scale } = exactDecimal(Math.abs(d));
  // value = 0.digits × 10^(digits.length - scale); decimal exponent of the leading digit:
  let x = digits.length - 1 - scale;
  let sig: string;
  if (digits.length <= P) {
    sig = digits.padEnd(P, '0');
  } else {
    const head = digits.slice(0, P);
    const first = digits.charCodeAt(P) - 48;
    let roundUp: boolean;
    if (first > 5) roundUp = true;
    else if (first < 5) roundUp = false;
    else if (/[1-9]/.test(digits.slice(P + 1))) roundUp = true;
    else roundUp = (head.charCodeAt(P - 1) - 48) % 2 === 1; // exact tie: to even
    if (roundUp) {
      const bumped = (BigInt(head) + 1n).toString();
      if (bumped.length > P) {
        sig = bumped.slice(0, P);
        x += 1;
      } else {
        sig = bumped;
      }
    } else {
      sig = head;
    }
  }
  if (x < -4 || x >= P) {
    const frac = sig.slice(1).replace(/0+$/, '');
    const e = Math.abs(x);
    return `${sign}${sig[0]}${frac ? `.${frac}` : ''}e${x < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  let int: string;
  let frac: string;
  if (x >= 0) {
    int = sig.slice(0, x + 1);
    frac = sig.slice(x + 1);
  } else {
    int = '0';
    frac = '0'.repeat(-x - 1) + sig;
  }
  frac = frac.replace(/0+$/, '');
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Sizing and writing
// ---------------------------------------------------------------------------------------------

function digitsOf(n: number): number {
  // n >= 0, an integer length or count
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Bytes of `<prefix><n>\r\n` for a non-negative count. */
function headerLength(n: number): number {
  return 1 + digitsOf(n) + 2;
}

function bulkPayloadLength(v: string | Buffer): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

function aggregateLength(items: readonly Reply[], proto: ProtocolVersion): number {
  let n = headerLength(items.length);
  for (const item of items) n += replyByteLength(item, proto);
  return n;
}

/** The exact number of bytes `writeReply` produces for `reply`. */
export function replyByteLength(reply: Reply, proto: ProtocolVersion): number {
  switch (reply.t) {
    case 'simple':
      return 1 + Buffer.byteLength(sanitizeLine(reply.v), 'utf8') + 2;
    case 'error':
      return Buffer.byteLength(errorLine(reply.v), 'utf8') + 2;
    case 'int':
      return 1 + intText(reply.v).length + 2;
    case 'bulk': {
      const len = bulkPayloadLength(reply.v);
      return headerLength(len) + len + 2;
    }
    case 'null':
      return proto === 3 ? 3 : 5; // _\r\n | $-1\r\n
    case 'nullArray':
      return proto === 3 ? 3 : 5; // _\r\n | *-1\r\n
    case 'array':
    case 'set':
    case 'push':
      return aggregateLength(reply.v, proto);
    case 'map': {
      let n = headerLength(proto === 3 ? reply.v.length : reply.v.length * 2);
      for (const [k, v] of reply.v) n += replyByteLength(k, proto) + replyByteLength(v, proto);
      return n;
    }
    case 'double': {
      const text = formatDouble(reply.v);
      return proto === 3 ? 1 + text.length + 2 : headerLength(text.length) + text.length + 2;
    }
    case 'bool':
      return 4; // #t\r\n (RESP3) | :1\r\n (RESP2)
    case 'verbatim': {
      const len = Buffer.byteLength(reply.v, 'utf8');
      return proto === 3 ? headerLength(len + 4) + len + 4 + 2 : headerLength(len) + len + 2;
    }
  }
}

function putAscii(buf: Buffer, off: number, s: string): number {
  // Header text is pure ASCII: write it byte by byte, which beats buf.write for tiny strings.
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
  return off + s.length;
}

function putCrlf(buf: Buffer, off: number): number {
  buf[off] = CR;
  buf[off + 1] = LF;
  return off + 2;
}

function putHeader(buf: Buffer, off: number, prefix: string, n: number): number {
  off = putAscii(buf, off, prefix);
  off = putAscii(buf, off, String(n));
  return putCrlf(buf, off);
}

function putBulk(buf: Buffer, off: number, v: string | Buffer): number {
  if (typeof v === 'string') {
    const len = Buffer.byteLength(v, 'utf8');
    off = putHeader(buf, off, '$', len);
    off += buf.write(v, off, len, 'utf8');
  } else {
    off = putHeader(buf, off, '$', v.length);
    off += v.copy(buf, off);
  }
  return putCrlf(buf, off);
}

function putItems(
  buf: Buffer,
  off: number,
  prefix: string,
  items: readonly Reply[],
  p: ProtocolVersion,
): number {
  off = putHeader(buf, off, prefix, items.length);
  for (const item of items) off = writeReply(buf, off, item, p);
  return off;
}

/**
 * Writes `reply` into `buf` at `offset` and returns the offset just past it. `buf` must have
 * `replyByteLength(reply, proto)` bytes free at `offset`.
 */
export function writeReply(buf: Buffer, offset: number, reply: Reply, proto: ProtocolVersion): number {
  let off = offset;
  switch (reply.t) {
    case 'simple': {
      buf[off++] = 0x2b; // +
      off += buf.write(sanitizeLine(reply.v), off, 'utf8');
      return putCrlf(buf, off);
    }
    case 'error': {
      off += buf.write(errorLine(reply.v), off, 'utf8');
      return putCrlf(buf, off);
    }
    case 'int': {
      buf[off++] = 0x3a; // :
      off = putAscii(buf, off, intText(reply.v));
      return putCrlf(buf, off);
    }
    case 'bulk':
      return putBulk(buf, off, reply.v);
    case 'null':
      return putAscii(buf, off, proto === 3 ? '_\r\n' : '$-1\r\n');
    case 'nullArray':
      return putAscii(buf, off, proto === 3 ? '_\r\n' : '*-1\r\n');
    case 'array':
      return putItems(buf, off, '*', reply.v, proto);
    case 'set':
      return putItems(buf, off, proto === 3 ? '~' : '*', reply.v, proto);
    case 'push':
      return putItems(buf, off, proto === 3 ? '>' : '*', reply.v, proto);
    case 'map': {
      off = putHeader(buf, off, proto === 3 ? '%' : '*', proto === 3 ? reply.v.length : reply.v.length * 2);
      for (const [k, v] of reply.v) {
        off = writeReply(buf, off, k, proto);
        off = writeReply(buf, off, v, proto);
      }
      return off;
    }
    case 'double': {
      const text = formatDouble(reply.v);
      if (proto === 2) return putBulk(buf, off, text);
      buf[off++] = 0x2c; // ,
      off = putAscii(buf, off, text);
      return putCrlf(buf, off);
    }
    case 'bool':
      if (proto === 3) return putAscii(buf, off, reply.v ? '#t\r\n' : '#f\r\n');
      return putAscii(buf, off, reply.v ? ':1\r\n' : ':0\r\n');
    case 'verbatim': {
      if (proto === 2) return putBulk(buf, off, reply.v);
      const len = Buffer.byteLength(reply.v, 'utf8');
      off = putHeader(buf, off, '=', len + 4);
      off = putAscii(buf, off, verbatimFormat(reply.format));
      buf[off++] = 0x3a; // :
      off += buf.write(reply.v, off, len, 'utf8');
      return putCrlf(buf, off);
    }
  }
}

/**
 * Encodes one reply. RESP3-only types fall back to their RESP2 forms as Redis does.
 * Throws RangeError for an `int` reply holding a non-integer number (a programming error).
 */
export function encodeReply(reply: Reply, proto: ProtocolVersion): Buffer {
  const buf = Buffer.allocUnsafe(replyByteLength(reply, proto));
  const end = writeReply(buf, 0, reply, proto);
  if (end !== buf.length) throw new Error(`reply encoder size mismatch: ${end} != ${buf.length}`);
  return buf;
}

/** Encodes several replies back to back into one buffer (answers to pipelined commands). */
export function encodeReplies(replies: readonly Reply[], proto: ProtocolVersion): Buffer {
  let total = 0;
  for (const r of replies) total += replyByteLength(r, proto);
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (const r of replies) off = writeReply(buf, off, r, proto);
  if (off !== total) throw new Error(`reply encoder size mismatch: ${off} != ${total}`);
  return buf;
}

/**
 * Accumulates encoded replies into chunks of about `chunkSize` bytes, so a burst of small
 * replies becomes one or a few socket writes. A reply larger than a chunk gets a chunk of its
 * own. The protocol version may change between writes (HELLO switches it mid-connection).
 */
export class ReplyWriter {
  private chunks: Buffer[] = [];
  private cur: Buffer | null = null;
  private curLen = 0;
  private total = 0;

  constructor(
    public proto: ProtocolVersion,
    private readonly chunkSize = 16 * 1024,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 64) throw new RangeError('chunkSize must be >= 64');
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.total;
  }

  write(reply: Reply): this {
    const size = replyByteLength(reply, this.proto);
    if (size > this.chunkSize / 2) {
      // Big replies get an exact buffer of their own rather than a copy through the scratch.
      this.flush();
      this.chunks.push(encodeReply(reply, this.proto));
    } else {
      if (this.cur === null) {
        this.cur = Buffer.allocUnsafe(this.chunkSize);
      } else if (this.cur.length - this.curLen < size) {
        // Nearly full: hand the used part over as is and start a fresh scratch buffer.
        this.chunks.push(this.cur.subarray(0, this.curLen));
        this.cur = Buffer.allocUnsafe(this.chunkSize);
        this.curLen = 0;
      }
      const end = writeReply(this.cur, this.curLen, reply, this.proto);
      if (end - this.curLen !== size) throw new Error('reply encoder size mismatch');
      this.curLen = end;
    }
    this.total += size;
    return this;
  }

  /** Returns the chunks written so far, in order, and empties the writer. */
  take(): Buffer[] {
    this.flush();
    const out = this.chunks;
    this.chunks = [];
    this.total = 0;
    return out;
  }

  /** Returns everything written so far as one buffer and empties the writer. */
  takeBuffer(): Buffer {
    const chunks = this.take();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks);
  }

  /** Moves the partly filled scratch contents to `chunks` (copied, so the scratch is reused). */
  private flush(): void {
    if (this.cur !== null && this.curLen > 0) {
      this.chunks.push(Buffer.from(this.cur.subarray(0, this.curLen)));
      this.curLen = 0;
    }
  }
}
