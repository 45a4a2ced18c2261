/**
 * Argument splitting and quoting with the exact rules of Redis's sds.c (`sdssplitargs`,
 * `sdscatrepr`), so that a line Vigil writes reads back the same in redis-sentinel and the other
 * way round. Redis works on bytes; here a `\xHH` escape adds a raw byte and each argument is
 * decoded as UTF-8 once complete, so any valid UTF-8 value survives a write/read round trip.
 */

/** C `isspace` in the "C" locale. */
function isCSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isHexDigit(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Accumulates an argument as bytes, so `\xHH` escapes compose with the UTF-8 text around them. */
class ArgBuilder {
  private readonly parts: Buffer[] = [];
  private text = '';

  addText(s: string): void {
    this.text += s;
  }

  addByte(b: number): void {
    this.flush();
    this.parts.push(Buffer.from([b]));
  }

  private flush(): void {
    if (this.text !== '') {
      this.parts.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
  }

  done(): string {
    if (this.parts.length === 0) return this.text;
    this.flush();
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/**
 * Split a config line into arguments like Redis's `sdssplitargs`: blanks separate arguments,
 * "double quotes" allow `\n \r \t \b \a \\ \" \xHH` escapes, 'single quotes' allow only `\'`, and
 * a closing quote must be followed by a blank or the end of the line. Returns null on unbalanced
 * quotes (Redis: "Unbalanced quotes in configuration line").
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isCSpace(line[i]!)) i++;
    if (i >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    const cur = new ArgBuilder();
    while (!done) {
      const c = line[i];
      if (inq) {
        if (c === '\\' && line[i + 1] === 'x' && isHexDigit(line[i + 2]) && isHexDigit(line[i + 3])) {
          cur.addByte(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i]!;
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };
          cur.addText(map[e] ?? e);
        } else if (c === '"') {
          if (i + 1 < n && !isCSpace(line[i + 1]!)) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          cur.addText(c);
        }
      } else if (insq) {
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur.addText("'");
        } else if (c === "'") {
          if (i + 1 < n && !isCSpace(line[i + 1]!)) return null;
          done = true;
        } else if (c === undefined) {
          return null;
        } else {
          cur.addText(c);
        }
      } else {
        switch (c) {
          case undefined:
          case ' ':
          case '\n':
          case '\r':
          case '\t':
            done = true;
            break;
          case '"':
            inq = true;
            break;
          case "'":
            insq = true;
            break;
          default:
            cur.addText(c);
        }
      }
      if (i < n) i++;
    }
    out.push(cur.done());
  }
}

/**
 * Redis's `sdscatrepr`: a double-quoted string with C escapes; bytes outside printable ASCII
 * become `\xHH` (non-ASCII characters are escaped byte by byte from their UTF-8 form).
 */
export function reprArg(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    switch (b) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
    }
  }
  return out + '"';
}

/**
 * True when `s` would not read back as one identical argument if written bare. redis-sentinel
 * writes most values bare (so a password with a space corrupts its own file); Vigil writes them
 * bare too, unless this says so, and then uses `reprArg`.
 */
export function needsQuoting(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return s === '' || /[\s"'\x00-\x1f\x7f]/.test(s);
}

/** An argument as Vigil writes it: bare when that is safe (byte-identical to Redis), quoted otherwise. */
export function formatArg(s: string): string {
  return needsQuoting(s) ? reprArg(s) : s;
}
