/**
 * What redis-sentinel 7.0 answers to COMMAND, COMMAND DOCS and the HELP subcommands, recorded
 * from the real binary (scripts/capture-command-table.ts) and served verbatim: client libraries
 * inspect COMMAND output, and a hand-written copy would drift.
 */
import { readFileSync } from 'node:fs';
import type { Reply } from '../../resp/reply.js';

interface Reference {
  command: Reply;
  commandDocs: Reply;
  clientHelp: Reply;
  aclHelp: Reply;
  aclCat: Reply;
  commandHelp: Reply;
}

// dist/src/sentinel/commands/ -> the JSON stays in src/, next to this file's source.
const REFERENCE = JSON.parse(
  readFileSync(new URL('../../../../src/sentinel/commands/redis-sentinel-7.0.json', import.meta.url), 'utf8'),
) as Reference;

export const reference: Reference = REFERENCE;

function items(r: Reply): readonly Reply[] {
  return r.t === 'array' || r.t === 'set' ? r.v : [];
}

function str(r: Reply | undefined): string {
  return r && (r.t === 'bulk' || r.t === 'simple') ? String(r.v) : '';
}

/** COMMAND's entry for one command, by lower-case name. */
export function commandEntry(name: string): Reply | undefined {
  return items(reference.command).find((e) => str(items(e)[0]) === name);
}

export function commandNames(): string[] {
  return items(reference.command).map((e) => str(items(e)[0]));
}

/** ACL categories of a command (without the leading @). */
export function categoriesOf(name: string): string[] {
  const e = commandEntry(name);
  if (!e) return [];
  return items(items(e)[6] ?? { t: 'array', v: [] }).map((c) => str(c).replace(/^@/, ''));
}

/** COMMAND DOCS filtered to some commands, in the order asked. */
export function docsFor(names: readonly string[]): Reply {
  const all = reference.commandDocs;
  if (all.t !== 'map') return all;
  const pick = names.flatMap((n) => all.v.filter(([k]) => str(k) === n));
  return { t: 'map', v: pick };
}
