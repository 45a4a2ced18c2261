/** Errors of connections and commands, in words an operator can act on. */

/** An error reply from the server (the connection is still usable), not a lost connection. */
export function isReplyError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'ReplyError';
}
