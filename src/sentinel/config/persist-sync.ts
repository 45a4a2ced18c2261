/**
 * Synchronous atomic persistence. The monitor must have a vote on disk before the reply that
 * announces it leaves the process, so the write happens inline: temp file, fsync, rename,
 * fsync of the directory.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  fchmodSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { SentinelConfig } from './model.js';
import { renderConfig, type RenderOptions } from './rewrite.js';

export function writeFileAtomicSync(path: string, text: string): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    // No file yet: create it at `path`.
  }
  let mode = 0o644;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch {
    // New file.
  }
  const tmp = `${target}.tmp.${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
    throw e;
  }
  const dfd = openSync(dirname(target), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

export function rewriteConfigFileSync(
  path: string,
  cfg: SentinelConfig,
  options: RenderOptions = {},
): string {
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
  const text = renderConfig(old, cfg, options);
  writeFileAtomicSync(path, text);
  return text;
}
