// Watches every node's ROLE every few milliseconds and records each moment two or more of them
// answered as a primary: the windows in which a client could have had writes acknowledged by a
// node whose data the group was about to throw away. With `probeWrites`, a node answering as a
// primary is also sent a small write (a key of its own, expiring at once), so that a fenced
// primary (writes paused) is told from a writable one.
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
  private currentWritable: DualWindow | undefined;
  readonly windows: DualWindow[] = [];
  /** Windows in which two or more nodes took a write. */
  readonly writableWindows: DualWindow[] = [];
  polls = 0;

  constructor(
    private readonly nodes: readonly RedisServer[],
    private readonly periodMs = 10,
    private readonly probeWrites = false,
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
      this.clients.map(async (c, i) => {
        try {
          const r = (await c.call('ROLE')) as unknown[];
          if (r[0] !== 'master') return { master: false, writable: false };
          if (!this.probeWrites) return { master: true, writable: true };
          const port = this.nodes[i]!.port;
          const ok = await Promise.race([
            c.set(`__vigil_probe__:${port}`, '1', 'PX', 1).then(
              () => true,
              () => false,
            ),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
          ]);
          return { master: true, writable: ok };
        } catch {
          return { master: false, writable: false };
        }
      }),
    );
    this.polls++;
    const at = nowMs();
    const masters = this.nodes.filter((_, i) => roles[i]!.master).map((n) => n.port);
    const writable = this.nodes.filter((_, i) => roles[i]!.writable).map((n) => n.port);
    this.current = track(this.current, this.windows, masters, at);
    this.currentWritable = track(this.currentWritable, this.writableWindows, writable, at);
  }

  async stop(): Promise<DualWindow[]> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.current) this.windows.push(this.current);
    if (this.currentWritable) this.writableWindows.push(this.currentWritable);
    this.current = undefined;
    this.currentWritable = undefined;
    for (const c of this.clients) c.disconnect();
    await Promise.resolve();
    return this.windows;
  }

  /** The longest window, in ms (0 when none). */
  longest(): number {
    return Math.max(0, ...this.windows.map((w) => w.to - w.from));
  }

  /** The longest window in which two nodes took writes, in ms (0 when none). */
  longestWritable(): number {
    return Math.max(0, ...this.writableWindows.map((w) => w.to - w.from));
  }
}

/** Extends, opens or closes a window after a poll that found `ports`. */
function track(
  current: DualWindow | undefined,
  done: DualWindow[],
  ports: number[],
  at: number,
): DualWindow | undefined {
  if (ports.length >= 2) {
    if (!current) return { from: at, to: at, ports, seen: 1 };
    current.to = at;
    current.seen++;
    for (const p of ports) if (!current.ports.includes(p)) current.ports.push(p);
    return current;
  }
  if (current) done.push(current);
  return undefined;
}
