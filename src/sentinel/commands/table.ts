/** The daemon's command table: one descriptor per command, as redis-sentinel exposes them. */
import { R, type Reply } from '../../resp/reply.js';
import { acl, shutdown } from './admin.js';
import { auth, client, hello, ping, quit } from './connection.js';
import { info, role } from './info.js';
import { psubscribe, publish, punsubscribe, subscribe, unsubscribe } from './pubsub.js';
import { sentinelCommand } from './sentinel.js';
import { unknownSubcommand } from './errors.js';
import type { CommandSpec } from './types.js';

function commandInfo(c: CommandSpec): Reply {
  return R.array([
    R.bulk(c.name),
    R.int(c.arity),
    R.set(c.flags.map((f) => R.simple(f))),
    R.int(c.firstKey ?? 0),
    R.int(c.lastKey ?? 0),
    R.int(c.step ?? 0),
    R.set(c.categories.map((x) => R.simple(x))),
    R.array([]),
    R.array([]),
    R.array(
      (c.subcommands ?? []).map((s) =>
        R.array([
          R.bulk(`${c.name}|${s.name}`),
          R.int(s.arity),
          R.set(c.flags.map((f) => R.simple(f))),
          R.int(0),
          R.int(0),
          R.int(0),
          R.set(c.categories.map((x) => R.simple(x))),
          R.array([]),
          R.array([]),
          R.array([]),
        ]),
      ),
    ),
  ]);
}

export const command: CommandSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale', 'sentinel'],
  categories: ['@slow', '@connection'],
  handler: ({ argv }) => {
    if (argv.length === 1) return R.array(ALL.map(commandInfo));
    const sub = (argv[1] ?? '').toLowerCase();
    if (sub === 'count') return R.int(ALL.length);
    if (sub === 'info') {
      const names = argv.slice(2);
      if (names.length === 0) return R.array(ALL.map(commandInfo));
      return R.array(
        names.map((n) => {
          const c = findCommand(n.toLowerCase());
          return c ? commandInfo(c) : R.nullArray;
        }),
      );
    }
    if (sub === 'docs') {
      const names = argv.length > 2 ? argv.slice(2).map((n) => n.toLowerCase()) : ALL.map((c) => c.name);
      const out: [string, Reply][] = [];
      for (const n of names) {
        const c = findCommand(n);
        if (!c) continue;
        out.push([
          c.name,
          R.strMap([
            ['summary', R.bulk(`The ${c.name.toUpperCase()} command`)],
            ['since', R.bulk('1.0.0')],
            ['group', R.bulk(c.name === 'sentinel' ? 'sentinel' : 'connection')],
          ]),
        ]);
      }
      return R.strMap(out);
    }
    if (sub === 'list') return R.bulks(ALL.map((c) => c.name));
    return unknownSubcommand(argv[1] ?? '', 'command');
  },
};

const ALL: CommandSpec[] = [
  sentinelCommand,
  ping,
  auth,
  hello,
  quit,
  client,
  info,
  role,
  subscribe,
  psubscribe,
  unsubscribe,
  punsubscribe,
  publish,
  shutdown,
  acl,
  command,
];

const BY_NAME = new Map(ALL.map((c) => [c.name, c]));

export function findCommand(lowerName: string): CommandSpec | undefined {
  return BY_NAME.get(lowerName);
}

export function commandCategories(name: string): readonly string[] {
  return BY_NAME.get(name)?.categories ?? [];
}

/** The subcommand word that ACL rules may name (`client|kill`). */
export function subcommandOf(spec: CommandSpec, argv: readonly string[]): string | undefined {
  if (!spec.subcommands && spec.name !== 'sentinel') return undefined;
  return argv[1]?.toLowerCase();
}
