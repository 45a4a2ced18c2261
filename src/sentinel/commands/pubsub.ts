/** SUBSCRIBE family and the monitor's PUBLISH (hello messages only). */
import { HELLO_CHANNEL } from '../../core/constants.js';
import { R, type Reply } from '../../resp/reply.js';
import type { Session } from '../session.js';
import type { CommandContext, CommandSpec } from './types.js';

function ack(kind: string, name: string | undefined, count: number): Reply {
  return R.push([R.bulk(kind), name === undefined ? R.null : R.bulk(name), R.int(count)]);
}

function subscribeLike(kind: 'subscribe' | 'psubscribe') {
  return (ctx: CommandContext): undefined => {
    const s: Session = ctx.session;
    for (const name of ctx.argv.slice(1)) {
      if (kind === 'subscribe') {
        if (!s.channels.has(name)) {
          s.channels.add(name);
          ctx.daemon.hub.subscribe(s, name);
        }
      } else if (!s.patterns.has(name)) {
        s.patterns.add(name);
        ctx.daemon.hub.psubscribe(s, name);
      }
      s.write(ack(kind, name, s.subscriptionCount));
    }
    return undefined;
  };
}

function unsubscribeLike(kind: 'unsubscribe' | 'punsubscribe') {
  return (ctx: CommandContext): undefined => {
    const s = ctx.session;
    const set = kind === 'unsubscribe' ? s.channels : s.patterns;
    const names = ctx.argv.length > 1 ? ctx.argv.slice(1) : [...set];
    if (names.length === 0) {
      s.write(ack(kind, undefined, s.subscriptionCount));
      return undefined;
    }
    for (const name of names) {
      if (set.delete(name)) {
        if (kind === 'unsubscribe') ctx.daemon.hub.unsubscribe(s, name);
        else ctx.daemon.hub.punsubscribe(s, name);
      }
      s.write(ack(kind, name, s.subscriptionCount));
    }
    return undefined;
  };
}

const PUBSUB_FLAGS = ['pubsub', 'noscript', 'loading', 'stale', 'sentinel'];

export const subscribe: CommandSpec = {
  name: 'subscribe',
  arity: -2,
  flags: PUBSUB_FLAGS,
  categories: ['@pubsub', '@slow'],
  handler: subscribeLike('subscribe'),
};
export const psubscribe: CommandSpec = {
  name: 'psubscribe',
  arity: -2,
  flags: PUBSUB_FLAGS,
  categories: ['@pubsub', '@slow'],
  handler: subscribeLike('psubscribe'),
};
export const unsubscribe: CommandSpec = {
  name: 'unsubscribe',
  arity: -1,
  flags: PUBSUB_FLAGS,
  categories: ['@pubsub', '@slow'],
  handler: unsubscribeLike('unsubscribe'),
};
export const punsubscribe: CommandSpec = {
  name: 'punsubscribe',
  arity: -1,
  flags: PUBSUB_FLAGS,
  categories: ['@pubsub', '@slow'],
  handler: unsubscribeLike('punsubscribe'),
};

export const publish: CommandSpec = {
  name: 'publish',
  arity: 3,
  flags: ['pubsub', 'loading', 'stale', 'fast', 'may-replicate', 'sentinel'],
  categories: ['@pubsub', '@fast'],
  handler: (ctx) => {
    if (ctx.argv[1] !== HELLO_CHANNEL)
      return R.error('ERR Only HELLO messages are accepted by Sentinel instances.');
    const d = ctx.daemon;
    d.runtime.observe(() => d.core.hello(ctx.now, ctx.argv[2] ?? ''));
    return R.int(1);
  },
};
