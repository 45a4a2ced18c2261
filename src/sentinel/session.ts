/** One connected client of the daemon: protocol version, identity, subscriptions. */
import type { Socket } from 'node:net';
import { encodeReply } from '../resp/encoder.js';
import { R, type ProtocolVersion, type Reply } from '../resp/reply.js';
import type { PubSubHub, Subscriber } from './pubsub.js';

/** Redis's pubsub hard limit is 32 MB. */
export const OUTPUT_BUFFER_LIMIT = 32 * 1024 * 1024;

export class Session implements Subscriber {
  proto: ProtocolVersion = 2;
  name = '';
  libName = '';
  libVer = '';
  user = 'default';
  authenticated: boolean;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  closed = false;
  /** Set by CLIENT KILL or protocol errors: reply, then close. */
  closeAfterReply = false;
  queryBufferBytes = 0;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly fd: number,
    private readonly hub: PubSubHub,
    needsAuth: boolean,
  ) {
    this.authenticated = !needsAuth;
  }

  get addr(): string {
    return formatAddr(this.socket.remoteAddress, this.socket.remotePort);
  }

  get laddr(): string {
    return formatAddr(this.socket.localAddress, this.socket.localPort);
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** In RESP2 a subscribed client may only run (P)(UN)SUBSCRIBE, PING and QUIT. */
  get inSubscribeMode(): boolean {
    return this.proto === 2 && this.subscriptionCount > 0;
  }

  write(reply: Reply): void {
    if (this.closed) return;
    // A client that does not read (a stuck subscriber) is disconnected, as Redis's
    // client-output-buffer-limit does, instead of growing the monitor's memory without bound.
    if (this.socket.writableLength > OUTPUT_BUFFER_LIMIT) {
      this.close();
      return;
    }
    this.socket.write(encodeReply(reply, this.proto));
  }

  deliverMessage(channel: string, payload: string): void {
    this.write(R.push([R.bulk('message'), R.bulk(channel), R.bulk(payload)]));
  }

  deliverPMessage(pattern: string, channel: string, payload: string): void {
    this.write(R.push([R.bulk('pmessage'), R.bulk(pattern), R.bulk(channel), R.bulk(payload)]));
  }

  dropSubscriptions(): void {
    for (const c of this.channels) this.hub.unsubscribe(this, c);
    for (const p of this.patterns) this.hub.punsubscribe(this, p);
    this.channels.clear();
    this.patterns.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropSubscriptions();
    this.socket.destroy();
  }
}

function formatAddr(host: string | undefined, port: number | undefined): string {
  const h = (host ?? '?').replace(/^::ffff:/, '');
  return h.includes(':') ? `${h}:${port ?? 0}` : `${h}:${port ?? 0}`;
}
