/** The daemon's command table: one descriptor per command, as redis-sentinel exposes them. */
import { R } from '../../resp/reply.js';
import { acl, shutdown } from './admin.js';
import { auth, client, hello, ping } from './connection.js';
import { info, role } from './info.js';
import { psubscribe, publish, punsubscribe, subscribe, unsubscribe } from './pubsub.js';
import { sentinelCommand } from './sentinel.js';
import { unknownSubcommand, wrongArity } from './errors.js';
import { categoriesOf, commandEntry, commandNames, docsFor, reference } from './reference.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale', 'sentinel'],
  categories: ['@slow', '@connection'],
  handler: ({ argv }) => {
    if (argv.length === 1) return reference.command;
    const sub = (argv[1] ?? '').toLowerCase();
    switch (sub) {
      case 'count':
        return argv.length === 2 ? R.int(commandNames().length) : wrongArity('command|count');
      case 'list':
        return R.bulks(commandNames());
      case 'info':
        if (argv.length === 2) return reference.command;
        return R.array(argv.slice(2).map((n) => commandEntry(n.toLowerCase()) ?? R.null));
      case 'docs':
        return argv.length === 2 ? reference.commandDocs : docsFor(argv.slice(2).map((n) => n.toLowerCase()));
      case 'help':
        return reference.commandHelp;
      default:
        return unknownSubcommand(argv[1] ?? '', 'command');
    }
  },
};

const ALL: CommandSpec[] = [
  sentinelCommand,
  ping,
  auth,
  hello,
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
  return categoriesOf(name).map((c) => `@${c}`);
}

/** The subcommand word that ACL rules may name (`client|kill`). */
export function subcommandOf(spec: CommandSpec, argv: readonly string[]): string | undefined {
  if (!spec.subcommands && spec.name !== 'sentinel') return undefined;
  return argv[1]?.toLowerCase();
}
