/** Durable file writes: the monitor's config, the supervisor's records, the history log. */
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replace the file at `path` with `text` so that a crash at any moment leaves either the old or
 * the new content: write `<path>.tmp.<pid>` in the same directory, fsync it, rename it over the
 * target, fsync the directory. The file keeps its permission bits (a new file gets 0644 less the
 * umask). A symbolic link at `path` is followed: its target is replaced, the link stays.
 *
 * Synchronous on purpose: a monitor's vote must be on disk before the reply that announces it
 * leaves the process, and one writer at a time per file follows from that.
 */
export function writeFileAtomic(path: string, text: string): void {
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
      // Nothing to remove.
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
