/**
 * ACL users for the daemon's own port: passwords, on/off, and command permissions by name or
 * category. Key and channel patterns are kept and shown (Sentinel has no keys), so `ACL LIST`
 * round-trips what operators write in `user` lines and ACL files.
 */
import { createHash } from 'node:crypto';

export interface AclUser {
  name: string;
  enabled: boolean;
  nopass: boolean;
  /** SHA-256 hex of each password. */
  passwords: Set<string>;
  /** Ordered command rules as written (+@all, -debug, ...), replayed to decide. */
  commandRules: string[];
  keyPatterns: string[];
  channelPatterns: string[];
}

export class AclError extends Error {}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function newUser(name: string): AclUser {
  return {
    name,
    enabled: false,
    nopass: false,
    passwords: new Set(),
    commandRules: ['-@all'],
    keyPatterns: [],
    channelPatterns: [],
  };
}

/** The categories the sentinel command set belongs to, as Redis 7.0 reports them. */
export type CategoryLookup = (command: string) => readonly string[];

export class Acl {
  readonly users = new Map<string, AclUser>();

  constructor(private readonly categories: CategoryLookup) {
    const d = newUser('default');
    d.enabled = true;
    d.nopass = true;
    d.commandRules = ['+@all'];
    d.keyPatterns = ['*'];
    d.channelPatterns = ['*'];
    this.users.set('default', d);
  }

  /** `requirepass` sets the default user's only password, as in Redis. */
  setRequirePass(pass: string | undefined): void {
    const d = this.users.get('default');
    if (!d) return;
    d.passwords.clear();
    if (pass === undefined || pass === '') {
      d.nopass = true;
    } else {
      d.nopass = false;
      d.passwords.add(sha256(pass));
    }
  }

  setUser(name: string, rules: readonly string[]): void {
    const existing = this.users.get(name);
    const u: AclUser = existing
      ? {
          ...existing,
          passwords: new Set(existing.passwords),
          commandRules: [...existing.commandRules],
          keyPatterns: [...existing.keyPatterns],
          channelPatterns: [...existing.channelPatterns],
        }
      : newUser(name);
    for (const raw of rules) this.applyRule(u, raw);
    this.users.set(name, u);
  }

  private applyRule(u: AclUser, raw: string): void {
    const r = raw.toLowerCase();
    if (r === 'on') u.enabled = true;
    else if (r === 'off') u.enabled = false;
    else if (r === 'nopass') {
      u.nopass = true;
      u.passwords.clear();
    } else if (r === 'resetpass') {
      u.nopass = false;
      u.passwords.clear();
    } else if (raw.startsWith('>')) {
      u.passwords.add(sha256(raw.slice(1)));
      u.nopass = false;
    } else if (raw.startsWith('<')) {
      u.passwords.delete(sha256(raw.slice(1)));
    } else if (raw.startsWith('#')) {
      const h = raw.slice(1).toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(h))
        throw new AclError(
          'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
        );
      u.passwords.add(h);
      u.nopass = false;
    } else if (raw.startsWith('!')) {
      u.passwords.delete(raw.slice(1).toLowerCase());
    } else if (r === 'allcommands' || r === '+@all') u.commandRules = ['+@all'];
    else if (r === 'nocommands' || r === '-@all') u.commandRules = ['-@all'];
    else if (raw.startsWith('+') || raw.startsWith('-')) u.commandRules.push(r);
    else if (r === 'allkeys' || raw === '~*') u.keyPatterns = ['*'];
    else if (r === 'resetkeys') u.keyPatterns = [];
    else if (raw.startsWith('~') || raw.startsWith('%'))
      u.keyPatterns.push(raw.replace(/^%[RW]*~/i, '').replace(/^~/, ''));
    else if (r === 'allchannels' || raw === '&*') u.channelPatterns = ['*'];
    else if (r === 'resetchannels') u.channelPatterns = [];
    else if (raw.startsWith('&')) u.channelPatterns.push(raw.slice(1));
    else if (r === 'reset') {
      const fresh = newUser(u.name);
      Object.assign(u, fresh, { channelPatterns: [] });
    } else if (r === 'sanitize-payload' || r === 'skip-sanitize-payload') {
      // Accepted for compatibility: there are no payloads to sanitize here.
    } else {
      throw new AclError(`Error in ACL SETUSER modifier '${raw}': Syntax error`);
    }
  }

  deleteUser(name: string): boolean {
    if (name === 'default') throw new AclError("The 'default' user cannot be removed");
    return this.users.delete(name);
  }

  /** Returns the user when name and password match an enabled user. */
  authenticate(name: string, pass: string): AclUser | undefined {
    const u = this.users.get(name);
    if (!u || !u.enabled) return undefined;
    if (u.nopass) return u;
    return u.passwords.has(sha256(pass)) ? u : undefined;
  }

  /** Whether `user` may run `command` (optionally `command|sub`). */
  allowed(userName: string, command: string, sub?: string): boolean {
    const u = this.users.get(userName);
    if (!u || !u.enabled) return false;
    const cmd = command.toLowerCase();
    const full = sub ? `${cmd}|${sub.toLowerCase()}` : cmd;
    const cats = this.categories(cmd);
    let ok = false;
    for (const rule of u.commandRules) {
      const allow = rule.startsWith('+');
      const what = rule.slice(1);
      if (what === '@all') ok = allow;
      else if (what.startsWith('@')) {
        if (cats.includes(what)) ok = allow;
      } else if (what === cmd || what === full) ok = allow;
    }
    return ok;
  }

  /** ACL LIST's line for a user. */
  describe(u: AclUser): string {
    const parts = [`user ${u.name}`, u.enabled ? 'on' : 'off'];
    if (u.nopass) parts.push('nopass');
    for (const h of u.passwords) parts.push(`#${h}`);
    parts.push(...u.keyPatterns.map((p) => `~${p}`));
    if (u.channelPatterns.length === 1 && u.channelPatterns[0] === '*') parts.push('&*');
    else parts.push('resetchannels', ...u.channelPatterns.map((p) => `&${p}`));
    parts.push(...u.commandRules);
    return parts.join(' ');
  }
}
