/** Short-lived connections kept between calls to the same nodes (a rollout, a handover). */
import type { Addr } from '../core/types.js';
import { formatAddr } from './address.js';
import { connect, type Conn, type Credentials } from './connect.js';
import { isReplyError } from './errors.js';

/** One connection per address, opened on first use and dropped on the first error that is not a reply. */
export class ConnPool {
  private readonly conns = new Map<string, Promise<Conn>>();

  constructor(private readonly creds: Credentials) {}

  async call(addr: Addr, ...args: (string | number)[]): Promise<unknown> {
    const key = formatAddr(addr);
    let p = this.conns.get(key);
    if (!p) {
      p = connect(addr, { ...this.creds, connectTimeoutMs: 1000, commandTimeoutMs: 2000 });
      this.conns.set(key, p);
      p.catch(() => this.conns.delete(key));
    }
    const conn = await p;
    try {
      return await conn.call(...args);
    } catch (e) {
      // An error reply leaves the connection usable; anything else (closed, timed out) does not.
      if (!isReplyError(e)) {
        this.conns.delete(key);
        conn.close();
      }
      throw e;
    }
  }

  drop(addr: Addr): void {
    const key = formatAddr(addr);
    const p = this.conns.get(key);
    this.conns.delete(key);
    p?.then((c) => c.close()).catch(() => undefined);
  }

  close(): void {
    for (const p of this.conns.values()) p.then((c) => c.close()).catch(() => undefined);
    this.conns.clear();
  }
}
