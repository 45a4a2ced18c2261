/**
 * A reply value, independent of protocol version. The encoder turns it into RESP2 or RESP3
 * bytes; RESP3-only types fall back to their RESP2 forms the way Redis does
 * (map -> flat array, set -> array, double -> bulk string, bool -> integer, push -> array,
 * null -> $-1 or *-1 depending on `nullArray`).
 */
export type Reply =
  | { readonly t: 'simple'; readonly v: string }
  | { readonly t: 'error'; readonly v: string }
  | { readonly t: 'int'; readonly v: number | bigint }
  | { readonly t: 'bulk'; readonly v: string | Buffer }
  | { readonly t: 'null' }
  | { readonly t: 'nullArray' }
  | { readonly t: 'array'; readonly v: readonly Reply[] }
  | { readonly t: 'map'; readonly v: readonly (readonly [Reply, Reply])[] }
  | { readonly t: 'set'; readonly v: readonly Reply[] }
  | { readonly t: 'double'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'verbatim'; readonly format: string; readonly v: string }
  | { readonly t: 'push'; readonly v: readonly Reply[] };

export type ProtocolVersion = 2 | 3;

export const R = {
  ok: { t: 'simple', v: 'OK' } as Reply,
  simple: (v: string): Reply => ({ t: 'simple', v }),
  error: (v: string): Reply => ({ t: 'error', v }),
  int: (v: number | bigint): Reply => ({ t: 'int', v }),
  bulk: (v: string | Buffer): Reply => ({ t: 'bulk', v }),
  null: { t: 'null' } as Reply,
  nullArray: { t: 'nullArray' } as Reply,
  array: (v: readonly Reply[]): Reply => ({ t: 'array', v }),
  bulks: (v: readonly string[]): Reply => ({ t: 'array', v: v.map((s) => ({ t: 'bulk', v: s })) }),
  map: (v: readonly (readonly [Reply, Reply])[]): Reply => ({ t: 'map', v }),
  /** A map whose keys are bulk strings: the common shape of SENTINEL MASTER and friends. */
  strMap: (v: readonly (readonly [string, Reply])[]): Reply => ({
    t: 'map',
    v: v.map(([k, val]) => [{ t: 'bulk', v: k }, val] as const),
  }),
  set: (v: readonly Reply[]): Reply => ({ t: 'set', v }),
  double: (v: number): Reply => ({ t: 'double', v }),
  bool: (v: boolean): Reply => ({ t: 'bool', v }),
  verbatim: (v: string, format = 'txt'): Reply => ({ t: 'verbatim', format, v }),
  push: (v: readonly Reply[]): Reply => ({ t: 'push', v }),
} as const;
