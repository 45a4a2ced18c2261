/** PING, HELLO, AUTH, QUIT and CLIENT. */
import { R, type Reply } from '../../resp/reply.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import type { Session } from '../session.js';
import { parseInteger, unknownSubcommand, WRONGPASS, wrongArity } from './errors.js';
import { reference } from './reference.js';
import type { CommandContext, CommandSpec } from './types.js';

export const ping: CommandSpec = {
  name: 'ping',
  arity: -1,
  flags: ['fast', 'sentinel'],
  categories: ['@fast', '@connection'],
  handler: ({ argv, session }) => {
    if (argv.length > 2) return wrongArity('ping');
    if (session.inSubscribeMode) return R.array([R.bulk('pong'), R.bulk(argv[1] ?? '')]);
    return argv.length === 2 ? R.bulk(argv[1] ?? '') : R.simple('PONG');
  },
};

function tryAuth(ctx: CommandContext, user: string, pass: string): boolean {
  const u = ctx.daemon.acl.authenticate(user, pass);
  if (!u) return false;
  ctx.session.user = u.name;
  ctx.session.authenticated = true;
  return true;
}

export const auth: CommandSpec = {
  name: 'auth',
  arity: -2,
  noAuth: true,
  flags: ['noscript', 'loading', 'stale', 'fast', 'no-auth', 'sentinel', 'allow-busy'],
  categories: ['@fast', '@connection'],
  handler: (ctx) => {
    const { argv } = ctx;
    if (argv.length > 3) return R.error('ERR syntax error');
    const def = ctx.daemon.acl.users.get('default');
    if (argv.length === 2 && def?.nopass && def.passwords.size === 0) {
      return R.error(
        'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
      );
    }
    const [user, pass] = argv.length === 3 ? [argv[1] ?? '', argv[2] ?? ''] : ['default', argv[1] ?? ''];
    return tryAuth(ctx, user, pass) ? R.ok : WRONGPASS;
  },
};

export function helloReply(session: Session, clientId: number): Reply {
  return R.strMap([
    ['server', R.bulk('redis')],
    ['version', R.bulk(REDIS_COMPAT_VERSION)],
    ['proto', R.int(session.proto)],
    ['id', R.int(clientId)],
    // In sentinel mode Redis sends no `role` field.
    ['mode', R.bulk('sentinel')],
    ['modules', R.array([])],
  ]);
}

export const hello: CommandSpec = {
  name: 'hello',
  arity: -1,
  noAuth: true,
  flags: ['noscript', 'loading', 'stale', 'fast', 'no-auth', 'sentinel', 'allow-busy'],
  categories: ['@fast', '@connection'],
  handler: (ctx) => {
    const { argv, session } = ctx;
    let ver: number | undefined;
    let next = 1;
    if (argv.length >= 2) {
      const v = parseInteger(argv[1] ?? '');
      if (v === undefined) return R.error('ERR Protocol version is not an integer or out of range');
      ver = v;
      next = 2;
      if (v < 2 || v > 3) return R.error('NOPROTO unsupported protocol version');
    }
    let authUser: string | undefined;
    let authPass: string | undefined;
    let setName: string | undefined;
    for (let j = next; j < argv.length; j++) {
      const opt = (argv[j] ?? '').toLowerCase();
      const more = argv.length - 1 - j;
      if (opt === 'auth' && more >= 2) {
        authUser = argv[++j];
        authPass = argv[++j];
      } else if (opt === 'setname' && more >= 1) {
        setName = argv[++j];
      } else {
        return R.error(`ERR Syntax error in HELLO option '${argv[j] ?? ''}'`);
      }
    }
    if (authUser !== undefined && !tryAuth(ctx, authUser, authPass ?? '')) return WRONGPASS;
    if (!session.authenticated) {
      return R.error(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      );
    }
    if (setName !== undefined) {
      const err = validateName(setName);
      if (err) return err;
      session.name = setName;
    }
    if (ver !== undefined) session.proto = ver === 3 ? 3 : 2;
    return helloReply(session, session.id);
  },
};

function validateName(name: string): Reply | undefined {
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    if (c < 33 || c > 126) {
      return R.error('ERR Client names cannot contain spaces, newlines or special characters.');
    }
  }
  return undefined;
}

export function clientInfoLine(s: Session, now: number): string {
  const age = Math.floor((now - s.createdAt) / 1000);
  const idle = Math.floor((now - s.lastInteraction) / 1000);
  const flags = s.subscriptionCount > 0 ? 'P' : 'N';
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${s.fd} name=${s.name} age=${age} idle=${idle} ` +
    `flags=${flags} db=0 sub=${s.channels.size} psub=${s.patterns.size} ssub=0 multi=-1 qbuf=0 qbuf-free=0 ` +
    `argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${s.lastCommand} ` +
    `user=${s.user} redir=-1 resp=${s.proto}`
  );
}

function clientKill(ctx: CommandContext): Reply {
  const { argv, session, daemon } = ctx;
  const sessions = [...daemon.server.sessions.values()];
  if (argv.length === 3) {
    const target = sessions.find((s) => s.addr === argv[2]);
    if (!target) return R.error('ERR No such client');
    target.closeAfterReply = target === session;
    if (target !== session) target.close();
    return R.ok;
  }
  let addr: string | undefined;
  let laddr: string | undefined;
  let type: string | undefined;
  let user: string | undefined;
  let id: number | undefined;
  let skipMe = true;
  for (let j = 2; j < argv.length; j += 2) {
    const opt = (argv[j] ?? '').toLowerCase();
    const val = argv[j + 1];
    if (val === undefined) return R.error('ERR syntax error');
    if (opt === 'addr') addr = val;
    else if (opt === 'laddr') laddr = val;
    else if (opt === 'type') {
      type = val.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
        return R.error(`ERR Unknown client type '${val}'`);
      }
    } else if (opt === 'user') user = val;
    else if (opt === 'skipme') {
      if (val.toLowerCase() === 'yes') skipMe = true;
      else if (val.toLowerCase() === 'no') skipMe = false;
      else return R.error('ERR syntax error');
    } else if (opt === 'id') {
      const v = parseInteger(val);
      if (v === undefined || v <= 0) return R.error('ERR client-id should be greater than 0');
      id = v;
    } else return R.error('ERR syntax error');
  }
  let killed = 0;
  for (const s of sessions) {
    if (addr !== undefined && s.addr !== addr) continue;
    if (laddr !== undefined && s.laddr !== laddr) continue;
    if (user !== undefined && s.user !== user) continue;
    if (id !== undefined && s.id !== id) continue;
    if (type !== undefined) {
      const t = s.subscriptionCount > 0 ? 'pubsub' : 'normal';
      if (type !== t) continue;
    }
    if (s === session && skipMe) continue;
    if (s === session) session.closeAfterReply = true;
    else s.close();
    killed++;
  }
  return R.int(killed);
}

export const client: CommandSpec = {
  name: 'client',
  arity: -2,
  flags: ['sentinel'],
  categories: ['@slow', '@connection'],
  subcommands: [
    { name: 'getname', arity: 2 },
    { name: 'id', arity: 2 },
    { name: 'info', arity: 2 },
    { name: 'kill', arity: -3 },
    { name: 'list', arity: -2 },
    { name: 'setname', arity: 3 },
    { name: 'setinfo', arity: 4 },
    { name: 'help', arity: 2 },
  ],
  handler: (ctx) => {
    const { argv, session, daemon, now } = ctx;
    const sub = (argv[1] ?? '').toLowerCase();
    const spec = client.subcommands?.find((s) => s.name === sub);
    if (!spec) return unknownSubcommand(argv[1] ?? '', 'client');
    const n = argv.length;
    if ((spec.arity > 0 && n !== spec.arity) || (spec.arity < 0 && n < -spec.arity)) {
      return wrongArity(`client|${sub}`);
    }
    switch (sub) {
      case 'help':
        return reference.clientHelp;
      case 'getname':
        return session.name === '' ? R.null : R.bulk(session.name);
      case 'id':
        return R.int(session.id);
      case 'info':
        return R.verbatim(clientInfoLine(session, now) + '\n');
      case 'setname': {
        const err = validateName(argv[2] ?? '');
        if (err) return err;
        session.name = argv[2] ?? '';
        return R.ok;
      }
      case 'setinfo': {
        const attr = (argv[2] ?? '').toLowerCase();
        const val = argv[3] ?? '';
        if (attr !== 'lib-name' && attr !== 'lib-ver') {
          return R.error(`ERR Unrecognized option '${argv[2] ?? ''}'`);
        }
        if (/[\s]/.test(val) || [...val].some((c) => c.charCodeAt(0) < 33 || c.charCodeAt(0) > 126)) {
          return R.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
        }
        if (attr === 'lib-name') session.libName = val;
        else session.libVer = val;
        return R.ok;
      }
      case 'list': {
        let sessions = [...daemon.server.sessions.values()];
        if (n > 2) {
          const opt = (argv[2] ?? '').toLowerCase();
          if (opt === 'type' && n === 4) {
            const t = (argv[3] ?? '').toLowerCase();
            if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) {
              return R.error(`ERR Unknown client type '${argv[3] ?? ''}'`);
            }
            sessions = sessions.filter((s) => (s.subscriptionCount > 0 ? 'pubsub' : 'normal') === t);
          } else if (opt === 'id' && n >= 4) {
            const ids = new Set<number>();
            for (const a of argv.slice(3)) {
              const v = parseInteger(a);
              if (v === undefined || v <= 0) return R.error('ERR Invalid client ID');
              ids.add(v);
            }
            sessions = sessions.filter((s) => ids.has(s.id));
          } else {
            return R.error('ERR syntax error');
          }
        }
        return R.verbatim(sessions.map((s) => clientInfoLine(s, now) + '\n').join(''));
      }
      case 'kill':
        return clientKill(ctx);
    }
    return unknownSubcommand(argv[1] ?? '', 'client');
  },
};
