/** The daemon's own pub/sub: where events are published and clients subscribe. */
import { globMatch } from './glob.js';

export interface Subscriber {
  deliverMessage(channel: string, payload: string): void;
  deliverPMessage(pattern: string, channel: string, payload: string): void;
}

export class PubSubHub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly patterns = new Map<string, Set<Subscriber>>();

  subscribe(sub: Subscriber, channel: string): void {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(sub);
  }

  unsubscribe(sub: Subscriber, channel: string): void {
    const set = this.channels.get(channel);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.channels.delete(channel);
  }

  psubscribe(sub: Subscriber, pattern: string): void {
    let set = this.patterns.get(pattern);
    if (!set) this.patterns.set(pattern, (set = new Set()));
    set.add(sub);
  }

  punsubscribe(sub: Subscriber, pattern: string): void {
    const set = this.patterns.get(pattern);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.patterns.delete(pattern);
  }

  /** Returns the number of receivers, as PUBLISH does. */
  publish(channel: string, payload: string): number {
    let n = 0;
    for (const sub of this.channels.get(channel) ?? []) {
      sub.deliverMessage(channel, payload);
      n++;
    }
    for (const [pattern, subs] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const sub of subs) {
        sub.deliverPMessage(pattern, channel, payload);
        n++;
      }
    }
    return n;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get patternCount(): number {
    return this.patterns.size;
  }
}
