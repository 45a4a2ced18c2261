/** Redis 7.0's error texts, so clients and scripts that match on them keep working. */
import { R, type Reply } from '../../resp/reply.js';

export function unknownCommand(argv: readonly string[]): Reply {
  const name = (argv[0] ?? '').slice(0, 128);
  let args = '';
  for (const a of argv.slice(1)) {
    if (args.length >= 128) break;
    args += `'${a.slice(0, 128 - args.length)}' `;
  }
  return R.error(`ERR unknown command '${name}', with args beginning with: ${args}`);
}

export function wrongArity(fullName: string): Reply {
  return R.error(`ERR wrong number of arguments for '${fullName.toLowerCase()}' command`);
}

export function unknownSubcommand(sub: string, cmd: string): Reply {
  return R.error(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`);
}

export const NOAUTH = R.error('NOAUTH Authentication required.');
export const WRONGPASS = R.error('WRONGPASS invalid username-password pair or user is disabled.');
export const NO_SUCH_MASTER = R.error('ERR No such master with that name');

export function notInteger(): Reply {
  return R.error('ERR value is not an integer or out of range');
}

export function syntaxError(): Reply {
  return R.error('ERR syntax error');
}

/** Strict integer parse as Redis's string2ll: no spaces, no '+', no leading zeros. */
export function parseInteger(s: string): number | undefined {
  if (!/^-?(0|[1-9]\d*)$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}
