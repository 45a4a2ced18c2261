/** Asking the monitors for a coordinated switchover, as a rollout and a stopping supervisor do. */
import type { Addr } from '../core/types.js';
import { formatAddr } from './address.js';
import { describeError, isReplyError } from './errors.js';
import type { ConnPool } from './pool.js';

export type SwitchoverRequest =
  | { ok: true; monitor: Addr }
  /** A failover is already running (-INPROG): wait for it, it is not an error. */
  | { ok: false; kind: 'inprog'; message: string }
  /** The monitor answered no (no eligible replica, primary down, ...). */
  | { ok: false; kind: 'refused'; message: string }
  | { ok: false; kind: 'unreachable'; message: string };

/**
 * SENTINEL FAILOVER <name> COORDINATED [TO host port] [TIMEOUT ms], to the first monitor that
 * answers. The monitor wins an election before it touches anything, so a request that races
 * another monitor's failover is turned down, never run twice.
 */
export async function requestSwitchover(
  pool: ConnPool,
  monitors: readonly Addr[],
  name: string,
  opts: { to?: Addr | undefined; timeoutMs?: number | undefined } = {},
): Promise<SwitchoverRequest> {
  const args: string[] = ['SENTINEL', 'FAILOVER', name, 'COORDINATED'];
  if (opts.to) args.push('TO', opts.to.host, String(opts.to.port));
  if (opts.timeoutMs !== undefined) args.push('TIMEOUT', String(opts.timeoutMs));
  const unreachable: string[] = [];
  for (const m of monitors) {
    try {
      await pool.call(m, ...args);
      return { ok: true, monitor: m };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/^INPROG/.test(msg)) return { ok: false, kind: 'inprog', message: msg };
      if (isReplyError(e)) {
        if (/unknown subcommand|syntax error/i.test(msg))
          return {
            ok: false,
            kind: 'refused',
            message: `${formatAddr(m)} does not support coordinated switchovers: it is not a Vigil monitor`,
          };
        return { ok: false, kind: 'refused', message: `${formatAddr(m)}: ${msg}` };
      }
      unreachable.push(`${formatAddr(m)} (${describeError(e)})`);
    }
  }
  return { ok: false, kind: 'unreachable', message: `no monitor answered: ${unreachable.join(', ')}` };
}
