/** SHUTDOWN, ACL and COMMAND. */
import { R, type Reply } from '../../resp/reply.js';
import { AclError } from '../acl.js';
import { unknownSubcommand, wrongArity } from './errors.js';
import { reference } from './reference.js';
import type { CommandSpec } from './types.js';

export const shutdown: CommandSpec = {
  name: 'shutdown',
  arity: -1,
  flags: ['admin', 'noscript', 'loading', 'stale', 'no-multi', 'sentinel', 'allow-busy'],
  categories: ['@admin', '@slow', '@dangerous'],
  handler: ({ daemon, argv, session }) => {
    for (const a of argv.slice(1)) {
      if (!['nosave', 'save', 'now', 'force', 'abort'].includes(a.toLowerCase()))
        return R.error('ERR syntax error');
    }
    if (argv.some((a) => a.toLowerCase() === 'abort')) return R.error('ERR No shutdown in progress.');
    session.closeAfterReply = true;
    void daemon.shutdown('User requested shutdown').then(() => process.exit(0));
    return undefined;
  },
};

export const acl: CommandSpec = {
  name: 'acl',
  arity: -2,
  flags: ['sentinel'],
  categories: ['@slow'],
  subcommands: [
    { name: 'whoami', arity: 2 },
    { name: 'users', arity: 2 },
    { name: 'list', arity: 2 },
    { name: 'setuser', arity: -3 },
    { name: 'deluser', arity: -3 },
    { name: 'cat', arity: -2 },
    { name: 'help', arity: 2 },
  ],
  handler: ({ daemon, argv, session }): Reply => {
    const sub = (argv[1] ?? '').toLowerCase();
    const spec = acl.subcommands?.find((s) => s.name === sub);
    if (!spec) return unknownSubcommand(argv[1] ?? '', 'acl');
    const n = argv.length;
    if ((spec.arity > 0 && n !== spec.arity) || (spec.arity < 0 && n < -spec.arity))
      return wrongArity(`acl|${sub}`);
    const a = daemon.acl;
    switch (sub) {
      case 'whoami':
        return R.bulk(session.user);
      case 'users':
        return R.bulks([...a.users.keys()].sort());
      case 'list':
        return R.bulks(
          [...a.users.values()].sort((x, y) => (x.name < y.name ? -1 : 1)).map((u) => a.describe(u)),
        );
      case 'setuser':
        try {
          a.setUser(argv[2] ?? '', argv.slice(3));
          return R.ok;
        } catch (e) {
          return R.error(`ERR ${(e as Error).message}`);
        }
      case 'deluser': {
        let n2 = 0;
        try {
          for (const name of argv.slice(2)) if (a.deleteUser(name)) n2++;
        } catch (e) {
          if (e instanceof AclError) return R.error(`ERR ${e.message}`);
          throw e;
        }
        for (const s of daemon.server.sessions.values()) {
          if (!a.users.has(s.user) && s !== session) s.close();
        }
        return R.int(n2);
      }
      case 'cat':
        return reference.aclCat;
      case 'help':
        return reference.aclHelp;
    }
    return unknownSubcommand(argv[1] ?? '', 'acl');
  },
};
