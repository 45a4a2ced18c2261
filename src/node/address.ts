/** How an address is written in messages and plans: `host:port`, or `[v6]:port`. */
import type { Addr } from '../core/types.js';

export function formatAddr(a: Addr): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
