/**
 * Short-lived connections for commands that ask a node or a monitor something and report the
 * answer: the operator commands, a rollout's observations, a supervisor's handover.
 */
import type { Redis } from 'ioredis';
import type { Addr } from '../core/types.js';
import { createNodeClient } from './client.js';
import { describeError, errorMessage } from './errors.js';

export interface Credentials {
  user?: string | undefined;
  password?: string | undefined;
}

export interface ConnectOptions extends Credentials {
  connectTimeoutMs?: number;
  /** Default 3000 ms; 0: no deadline (a subscription). */
  commandTimeoutMs?: number;
}

/** An open connection that remembers where it goes (for messages). */
export interface Conn {
  readonly endpoint: Addr;
  readonly client: Redis;
  call(...args: (string | number)[]): Promise<unknown>;
  close(): void;
}

/**
 * Connects (no reconnection, short deadlines), then authenticates with AUTH sent as an ordinary
 * command, so that a wrong or superfluous password is reported as such and never printed by
 * the client library. Throws with a readable message.
 */
export async function connect(endpoint: Addr, opts: ConnectOptions = {}): Promise<Conn> {
  const client = createNodeClient({
    host: endpoint.host,
    port: endpoint.port,
    lazyConnect: true,
    readyCheck: false,
    maxRetriesPerRequest: 0,
    connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
    commandTimeoutMs: opts.commandTimeoutMs ?? 3000,
    // A frozen peer never acknowledges the close: do not keep the process waiting for it.
    disconnectTimeoutMs: 100,
  });
  let lastError: unknown;
  client.on('error', (e: unknown) => {
    lastError = e;
  });
  const close = (): void => {
    client.disconnect();
  };
  try {
    await client.connect();
  } catch (e) {
    close();
    throw new Error(describeError(lastError ?? e), { cause: e });
  }
  if (opts.password !== undefined) {
    const args = opts.user !== undefined ? [opts.user, opts.password] : [opts.password];
    try {
      await client.call('AUTH', ...args);
    } catch (e) {
      const msg = errorMessage(e);
      // Sentinel and Redis without a password configured: the password is simply not needed.
      if (!/without any password configured|no password is set/i.test(msg)) {
        close();
        throw new Error(msg, { cause: e });
      }
    }
  }
  return {
    endpoint,
    client,
    call: (...args) => client.call(String(args[0]), ...args.slice(1).map(String)),
    close,
  };
}
