/** Errors of connections and commands, in words an operator can act on. */

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error behind a failed connection or command. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT' || /connect ETIMEDOUT/.test(e.message)) return 'connection timed out';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (/Command timed out/i.test(e.message)) return 'no reply (timed out)';
  return e.message;
}

/** An error reply from the server (the connection is still usable), not a lost connection. */
export function isReplyError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'ReplyError';
}
