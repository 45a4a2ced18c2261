/**
 * Server-side request parser: turns the byte stream a client sends into commands, following
 * Redis 7.0's `processInputBuffer`, `processMultibulkBuffer` and `processInlineBuffer`
 * (src/networking.c) and `sdssplitargs` (src/sds.c), including their error texts.
 *
 * Where Redis's outcome depends on how the stream happens to be split into reads, this parser
 * picks the outcome Redis has when the bytes arrive one at a time, so that the result never
 * depends on chunking:
 *  - a header or inline line is "too big" when no terminator appears within the first
 *    `maxInlineLength + 1` bytes of it, even if one arrives later in the same chunk;
 *  - the query buffer limit applies to each command as a whole (all its bytes on the wire,
 *    including arguments already parsed), so memory held for one client stays bounded.
 *
 * Like Redis, a header line or inline request is scanned with C string functions, so a NUL
 * byte before its terminator hides the terminator: the line can only end in a "too big" error.
 * Also like Redis, the two bytes after a header's `\r` and after each bulk payload are skipped
 * without being checked.
 */
import { R, type Reply } from './reply.js';

/** Redis defaults (proto-max-bulk-len, client-query-buffer-limit, PROTO_INLINE_MAX_SIZE). */
export const PROTOCOL_DEFAULTS = {
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxInlineLength: 64 * 1024,
  maxQueryBuffer: 1024 * 1024 * 1024,
} as const;

export interface RequestParserOptions {
  /** Largest accepted `$<len>` (proto-max-bulk-len). Default 512 MB. */
  readonly maxBulkLength?: number;
  /** Largest accepted `*<count>`. Default 1024 * 1024. */
  readonly maxMultibulkLength?: number;
  /** Longest inline request or `*`/`$` header line, in bytes (PROTO_INLINE_MAX_SIZE). Default 64 KB. */
  readonly maxInlineLength?: number;
  /**
   * Largest size of one command on the wire (client-query-buffer-limit). Going over it ends
   * the connection without a reply, as Redis does. Default 1 GB.
   */
  readonly maxQueryBuffer?: number;
}

/** The exact error texts Redis 7.0 sends (after `-ERR `). */
export const ProtocolErrors = {
  tooBigInline: 'Protocol error: too big inline request',
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
  tooBigMbulkCount: 'Protocol error: too big mbulk count string',
  invalidMultibulkLength: 'Protocol error: invalid multibulk length',
  tooBigBulkCount: 'Protocol error: too big bulk count string',
  invalidBulkLength: 'Protocol error: invalid bulk length',
  /**
   * `byte` is the first byte of the line where a `$` header was expected. Redis maps CR and
   * LF to spaces in error replies; any other byte appears as is (here as the Latin-1 char).
   */
  expectedDollar: (byte: number): string =>
    `Protocol error: expected '$', got '${byte === 0x0d || byte === 0x0a ? ' ' : String.fromCharCode(byte)}'`,
  /** Not sent to the client: Redis closes such a connection silently (and logs this). */
  queryBufferLimit: 'Closing client that reached max query buffer length',
} as const;

export type ParsedItem =
  | { readonly kind: 'command'; readonly argv: Buffer[] }
  | {
      readonly kind: 'protocolError';
      /** Error text without the `ERR ` prefix, e.g. "Protocol error: invalid bulk length". */
      readonly message: string;
      /**
       * True when Redis closes the connection without replying (query buffer limit). When
       * false, reply with `protocolErrorReply(message)` and close once it is written.
       */
      readonly silent: boolean;
    };

/** The reply Redis sends for a protocol error: `-ERR <message>`. */
export function protocolErrorReply(message: string): Reply {
  return R.error(`ERR ${message}`);
}

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const STAR = 0x2a;
const DOLLAR = 0x24;

const enum State {
  /** Between requests: the next byte decides inline or multibulk. */
  Start,
  Inline,
  MultibulkHeader,
  BulkHeader,
  BulkData,
  BulkTrailer,
}

/** Scratch storage is dropped when idle if it grew beyond this. */
const KEEP_SCRATCH = 16 * 1024;
/** A bulk payload's buffer starts at most this big and doubles as data arrives. */
const BULK_INITIAL = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Redis's `string2ll`: optional `-`, no `+`, no leading zeros (so no "-0"), no spaces, at most
 * 20 characters, within the 64-bit signed range. Returns null when invalid. Values beyond 2^53
 * come back rounded, which is harmless because they only ever get compared with limits.
 */
export function parseRedisInteger(buf: Buffer, start: number, end: number): number | null {
  const len = end - start;
  if (len <= 0 || len >= 21) return null;
  if (len === 1 && buf[start] === 0x30) return 0;
  let p = start;
  let negative = false;
  if (buf[p] === 0x2d) {
    negative = true;
    p++;
    if (p === end) return null;
  }
  const first = buf[p]!;
  if (first < 0x31 || first > 0x39) return null;
  for (let i = p + 1; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) return null;
  }
  const ndigits = end - p;
  if (ndigits < 16) {
    let v = 0;
    for (let i = p; i < end; i++) v = v * 10 + (buf[i]! - 0x30);
    return negative ? -v : v;
  }
  const big = BigInt(buf.toString('latin1', p, end));
  if (negative ? big > 9223372036854775808n : big > 9223372036854775807n) return null;
  return Number(negative ? -big : big);
}

function checkLimit(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
}

/**
 * Incremental request parser for one client connection. Feed it every chunk read from the
 * socket; it returns the commands completed by that chunk, in order. After it returns a
 * `protocolError` item it returns nothing more: the connection must be closed (after sending
 * the error reply unless the item is `silent`). Empty commands (`*0`, `*-1`, blank inline
 * lines) are skipped, as Redis does.
 *
 * The parser does not keep references to the chunks it is given; each argument is a Buffer
 * of its own.
 */
export class RequestParser {
  private readonly maxBulk: number;
  private readonly maxMultibulk: number;
  private readonly maxInline: number;
  private readonly queryLimit: number;

  // Unconsumed input is buf[pos, end). buf is either the chunk being fed (not owned: never
  // written) or the parser's own scratch (owned).
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  private owned = false;

  private state: State = State.Start;
  private failedFlag = false;
  /** Bytes of the current command consumed so far (for the query buffer limit). */
  private cmdBytes = 0;
  /** How much of the current line (from pos) is known to hold no terminator and no NUL. */
  private scanned = 0;
  /** A NUL sits before any terminator in the current line: it can never complete. */
  private blocked = false;

  private argv: Buffer[] = [];
  private argsLeft = 0;
  private bulk: Buffer = EMPTY;
  private bulkLen = 0;
  private bulkFilled = 0;
  private trailerLeft = 0;

  constructor(options: RequestParserOptions = {}) {
    this.maxBulk = checkLimit('maxBulkLength', options.maxBulkLength, PROTOCOL_DEFAULTS.maxBulkLength);
    this.maxMultibulk = checkLimit(
      'maxMultibulkLength',
      options.maxMultibulkLength,
      PROTOCOL_DEFAULTS.maxMultibulkLength,
    );
    this.maxInline = checkLimit(
      'maxInlineLength',
      options.maxInlineLength,
      PROTOCOL_DEFAULTS.maxInlineLength,
    );
    this.queryLimit = checkLimit('maxQueryBuffer', options.maxQueryBuffer, PROTOCOL_DEFAULTS.maxQueryBuffer);
  }

  /** True once a protocol error was returned; the parser ignores all further input. */
  get failed(): boolean {
    return this.failedFlag;
  }

  /** Bytes held for the command in progress (what Redis reports as qbuf, roughly). */
  get pendingBytes(): number {
    return this.failedFlag ? 0 : this.cmdBytes + (this.end - this.pos);
  }

  /** Parses `chunk` and returns the commands (and at most one protocol error) it completes. */
  feed(chunk: Buffer): ParsedItem[] {
    const out: ParsedItem[] = [];
    if (this.failedFlag || chunk.length === 0) return out;
    if (this.pos === this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
    } else {
      this.append(chunk);
    }
    this.run(out);
    this.keepTail();
    return out;
  }

  private append(chunk: Buffer): void {
    const live = this.end - this.pos;
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    if (this.owned && this.buf.length - live >= chunk.length && this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
    } else {
      // Double when growing by small appends; take big chunks at their exact size.
      const next = Buffer.allocUnsafe(Math.max(4096, live + chunk.length, live * 2));
      this.buf.copy(next, 0, this.pos, this.end);
      this.buf = next;
      this.owned = true;
    }
    this.pos = 0;
    this.end = live;
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** After parsing: release consumed input, copy an unfinished line out of the caller's chunk. */
  private keepTail(): void {
    const live = this.end - this.pos;
    if (this.failedFlag) {
      this.buf = EMPTY;
      this.pos = this.end = 0;
      this.owned = false;
      this.argv = [];
      this.bulk = EMPTY;
      return;
    }
    if (live === 0) {
      if (!this.owned || this.buf.length > KEEP_SCRATCH) {
        this.buf = EMPTY;
        this.owned = false;
      }
      this.pos = this.end = 0;
      return;
    }
    if (this.owned && (this.buf.length <= KEEP_SCRATCH || live * 4 >= this.buf.length)) {
      if (this.pos > 0) {
        this.buf.copyWithin(0, this.pos, this.end);
        this.pos = 0;
        this.end = live;
      }
      return;
    }
    // The chunk is the caller's (or an oversized scratch): keep a copy of just the tail.
    const next = Buffer.allocUnsafe(Math.max(4096, live * 2));
    this.buf.copy(next, 0, this.pos, this.end);
    this.buf = next;
    this.owned = true;
    this.pos = 0;
    this.end = live;
  }

  private fail(out: ParsedItem[], message: string, silent = false): void {
    this.failedFlag = true;
    out.push({ kind: 'protocolError', message, silent });
  }

  /** Consumes n bytes of the current command. */
  private consume(n: number): void {
    this.pos += n;
    this.cmdBytes += n;
    this.scanned = 0;
    this.blocked = false;
  }

  private finishCommand(out: ParsedItem[] | null, argv: Buffer[] | null): void {
    if (out !== null && argv !== null && argv.length > 0) out.push({ kind: 'command', argv });
    this.cmdBytes = 0;
    this.state = State.Start;
  }

  private run(out: ParsedItem[]): void {
    for (;;) {
      const avail = this.end - this.pos;
      if (avail === 0) return;
      const allowed = this.queryLimit - this.cmdBytes;
      // Never look past the query buffer limit: what the parser decides must not depend on
      // bytes a byte-at-a-time reader would have rejected the command before seeing.
      const wend = this.pos + Math.min(avail, allowed);
      const progressed = this.step(out, wend);
      if (this.failedFlag) return;
      if (!progressed) {
        if (avail > allowed) this.fail(out, ProtocolErrors.queryBufferLimit, true);
        return;
      }
    }
  }

  /** One parsing step over buf[pos, wend). Returns false when it needs more input. */
  private step(out: ParsedItem[], wend: number): boolean {
    switch (this.state) {
      case State.Start:
        if (wend === this.pos) return false;
        this.state = this.buf[this.pos] === STAR ? State.MultibulkHeader : State.Inline;
        return true;
      case State.Inline:
        return this.stepInline(out, wend);
      case State.MultibulkHeader:
        return this.stepMultibulkHeader(out, wend);
      case State.BulkHeader:
        return this.stepBulkHeader(out, wend);
      case State.BulkData:
        return this.stepBulkData(wend);
      case State.BulkTrailer:
        return this.stepBulkTrailer(out, wend);
    }
  }

  /**
   * Finds `term` in the current line, looking at no more than maxInline + 1 bytes and stopping
   * at a NUL (Redis uses strchr). Returns its index, or -1 when the line is not (and, if
   * `blocked`, never will be) terminated within what is visible.
   */
  private findTerminator(term: number, wend: number): number {
    if (this.blocked) return -1;
    const buf = this.buf;
    const limit = Math.min(wend, this.pos + this.maxInline + 1);
    let i = this.pos + this.scanned;
    for (; i < limit; i++) {
      const c = buf[i];
      if (c === term) return i;
      if (c === NUL) {
        this.blocked = true;
        return -1;
      }
    }
    this.scanned = i - this.pos;
    return -1;
  }

  /** Header line at pos: returns the index of its `\r` once the byte after it is visible. */
  private headerLine(out: ParsedItem[], wend: number, tooBig: string): number | null {
    const cr = this.findTerminator(CR, wend);
    if (cr < 0) {
      if (wend - this.pos > this.maxInline) this.fail(out, tooBig);
      return null;
    }
    if (cr + 1 >= wend) return null; // the byte after \r (skipped unchecked) is not here yet
    return cr;
  }

  private stepMultibulkHeader(out: ParsedItem[], wend: number): boolean {
    const cr = this.headerLine(out, wend, ProtocolErrors.tooBigMbulkCount);
    if (cr === null) return false;
    const n = parseRedisInteger(this.buf, this.pos + 1, cr);
    if (n === null || n > this.maxMultibulk) {
      this.fail(out, ProtocolErrors.invalidMultibulkLength);
      return false;
    }
    this.consume(cr + 2 - this.pos);
    if (n <= 0) {
      this.finishCommand(null, null);
    } else {
      this.argsLeft = n;
      this.argv = [];
      this.state = State.BulkHeader;
    }
    return true;
  }

  private stepBulkHeader(out: ParsedItem[], wend: number): boolean {
    const cr = this.headerLine(out, wend, ProtocolErrors.tooBigBulkCount);
    if (cr === null) return false;
    const first = this.buf[this.pos]!;
    if (first !== DOLLAR) {
      this.fail(out, ProtocolErrors.expectedDollar(first));
      return false;
    }
    const n = parseRedisInteger(this.buf, this.pos + 1, cr);
    if (n === null || n < 0 || n > this.maxBulk) {
      this.fail(out, ProtocolErrors.invalidBulkLength);
      return false;
    }
    this.consume(cr + 2 - this.pos);
    this.bulkLen = n;
    this.bulkFilled = 0;
    // Size the buffer by what has arrived, not by what the header claims, so a client cannot
    // make us allocate 512 MB with a dozen bytes.
    const visible = this.end - this.pos;
    this.bulk = n === 0 ? EMPTY : Buffer.allocUnsafe(Math.min(n, Math.max(BULK_INITIAL, visible)));
    this.state = State.BulkData;
    return true;
  }

  private stepBulkData(wend: number): boolean {
    const want = this.bulkLen - this.bulkFilled;
    const n = Math.min(want, wend - this.pos);
    if (n > 0) {
      if (this.bulk.length - this.bulkFilled < n) {
        const grown = Buffer.allocUnsafe(
          Math.min(this.bulkLen, Math.max(this.bulk.length * 2, this.bulkFilled + n)),
        );
        this.bulk.copy(grown, 0, 0, this.bulkFilled);
        this.bulk = grown;
      }
      this.buf.copy(this.bulk, this.bulkFilled, this.pos, this.pos + n);
      this.bulkFilled += n;
      this.consume(n);
    }
    if (this.bulkFilled < this.bulkLen) return false;
    this.trailerLeft = 2;
    this.state = State.BulkTrailer;
    return true;
  }

  private stepBulkTrailer(out: ParsedItem[], wend: number): boolean {
    const n = Math.min(this.trailerLeft, wend - this.pos);
    if (n > 0) {
      this.consume(n);
      this.trailerLeft -= n;
    }
    if (this.trailerLeft > 0) return false;
    // bulk.length === bulkLen here: growth is capped at bulkLen and stops once it is filled.
    this.argv.push(this.bulk);
    this.bulk = EMPTY;
    this.argsLeft--;
    if (this.argsLeft === 0) {
      const argv = this.argv;
      this.argv = [];
      this.finishCommand(out, argv);
    } else {
      this.state = State.BulkHeader;
    }
    return true;
  }

  private stepInline(out: ParsedItem[], wend: number): boolean {
    const lf = this.findTerminator(LF, wend);
    if (lf < 0) {
      if (wend - this.pos > this.maxInline) this.fail(out, ProtocolErrors.tooBigInline);
      return false;
    }
    const lineEnd = lf > this.pos && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const argv = splitArgs(this.buf, this.pos, lineEnd);
    if (argv === null) {
      this.fail(out, ProtocolErrors.unbalancedQuotes);
      return false;
    }
    this.consume(lf + 1 - this.pos);
    this.finishCommand(out, argv);
    return true;
  }
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c >= 0x61) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

/** C isspace() in the C locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * Redis's `sdssplitargs` over buf[start, end) (which holds no NUL). Returns null for
 * unbalanced quotes, including a closing quote followed by something other than a space.
 *
 * Unquoted tokens end at space, tab, CR or LF only (so \v and \f stay inside a token), while
 * blanks between tokens are anything isspace() accepts. Quotes may start in the middle of a
 * token (`a"b c"` is one argument, `ab c`). Inside double quotes: \n \r \t \b \a, \xHH and
 * backslash-anything-else for that char; inside single quotes only \' is an escape.
 */
export function splitArgs(buf: Buffer, start: number, end: number): Buffer[] | null {
  // C string semantics: a NUL ends the line.
  const nul = buf.subarray(start, end).indexOf(NUL);
  if (nul >= 0) end = start + nul;
  const args: Buffer[] = [];
  // Every argument is at most as long as the line: decode into one scratch, then copy out.
  const scratch = Buffer.allocUnsafe(end - start);
  let p = start;
  const at = (i: number): number => (i < end ? buf[i]! : NUL);
  for (;;) {
    while (p < end && isSpace(buf[p]!)) p++;
    if (p >= end) return args;
    let len = 0;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (c === 0x5c && at(p + 1) === 0x78 && isHexDigit(at(p + 2)) && isHexDigit(at(p + 3))) {
          scratch[len++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === 0x5c && p + 1 < end) {
          p++;
          const e = buf[p]!;
          scratch[len++] =
            e === 0x6e
              ? 0x0a
              : e === 0x72
                ? 0x0d
                : e === 0x74
                  ? 0x09
                  : e === 0x62
                    ? 0x08
                    : e === 0x61
                      ? 0x07
                      : e;
        } else if (c === 0x22) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return null;
          done = true;
        } else if (p >= end) {
          return null;
        } else {
          scratch[len++] = c;
        }
      } else if (inSingle) {
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          scratch[len++] = 0x27;
        } else if (c === 0x27) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return null;
          done = true;
        } else if (p >= end) {
          return null;
        } else {
          scratch[len++] = c;
        }
      } else if (p >= end || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        scratch[len++] = c;
      }
      if (p < end) p++;
    }
    args.push(Buffer.from(scratch.subarray(0, len)));
  }
}
