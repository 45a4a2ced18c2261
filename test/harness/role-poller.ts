// Watches every node's ROLE every few milliseconds and records each moment two or more of them
// answered as a primary: the windows in which a client could have had writes acknowledged by a
// node whose data the group was about to throw away.
import { Redis } from 'ioredis';
import type { RedisServer } from './redis-server.js';
import { nowMs } from './wait.js';

export interface DualWindow {
  from: number;
  to: number;
  /** The ports that answered as primaries during it. */
  ports: number[];
  /** Polls that saw it: a window seen once lasted anything up to one poll period. */
  seen: number;
}

export class RolePoller {
  private readonly clients: Redis[];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: DualWindow | undefined;
  readonly windows: DualWindow[] = [];
  polls = 0;

  constructor(
    private readonly nodes: readonly RedisServer[],
    private readonly periodMs = 10,
  ) {
    this.clients = nodes.map((n) => {
      const c = new Redis({
        host: '127.0.0.1',
        port: n.port,
        lazyConnect: true,
        enableOfflineQueue: false,
        commandTimeout: 200,
        connectTimeout: 200,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 20,
        enableReadyCheck: false,
      });
      c.on('error', () => undefined);
      return c;
    });
  }

  start(): void {
    this.running = true;
    for (const c of this.clients) c.connect().catch(() => undefined);
    const loop = async (): Promise<void> => {
      if (!this.running) return;
      await this.pollOnce();
      if (this.running) this.timer = setTimeout(() => void loop(), this.periodMs);
    };
    void loop();
  }

  private async pollOnce(): Promise<void> {
    const roles = await Promise.all(
      this.clients.map(async (c) => {
        try {
          const r = (await c.call('ROLE')) as unknown[];
          return r[0] === 'master';
        } catch {
          return false;
        }
      }),
    );
    this.polls++;
    const at = nowMs();
    const ports = this.nodes.filter((_, i) => roles[i]).map((n) => n.port);
    if (ports.length >= 2) {
      if (this.current) {
        this.current.to = at;
        this.current.seen++;
        for (const p of ports) if (!this.current.ports.includes(p)) this.current.ports.push(p);
      } else {
        this.current = { from: at, to: at, ports, seen: 1 };
      }
    } else if (this.current) {
      this.windows.push(this.current);
      this.current = undefined;
    }
  }

  async stop(): Promise<DualWindow[]> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.current) this.windows.push(this.current);
    this.current = undefined;
    for (const c of this.clients) c.disconnect();
    await Promise.resolve();
    return this.windows;
  }

  /** The longest window, in ms (0 when none). */
  longest(): number {
    return Math.max(0, ...this.windows.map((w) => w.to - w.from));
  }
}
