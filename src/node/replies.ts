/** Reply shapes of SENTINEL MASTER, REPLICAS, SENTINELS, CANDIDATES and CONFIG GET (RESP2). */

/** A flat [k1, v1, k2, v2, ...] reply (RESP2 map) as a record of strings. */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** An array of flat maps (SENTINEL REPLICAS, SENTINELS, CANDIDATES). */
export function pairsList(reply: unknown): Record<string, string>[] {
  return Array.isArray(reply) ? reply.map(pairs) : [];
}
