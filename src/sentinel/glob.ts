/** Redis's glob matching (util.c stringmatchlen): *, ?, [set], [^set], [a-z], and \ escapes. */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const s = nocase ? text.toLowerCase() : text;
  return match(p, 0, s, 0, 0, { skipLongerMatches: false });
}

const MAX_NESTING = 1000;

interface MatchState {
  /** Set once the pattern after some star matched no suffix of the text: the match has failed. */
  skipLongerMatches: boolean;
}

function match(p: string, pi: number, s: string, si: number, depth: number, st: MatchState): boolean {
  if (depth > MAX_NESTING) return false;
  while (pi < p.length) {
    const c = p[pi];
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) {
        if (match(p, pi + 1, s, k, depth + 1, st)) return true;
        if (st.skipLongerMatches) return false;
      }
      // The rest of the pattern matches no suffix of s from si on. Letting an earlier star
      // match more would only bring this star in at a later position, so nothing can match:
      // say so to every enclosing star instead of retrying (as Redis's stringmatchlen does
      // since the fix for CVE-2022-36021). Without this, a pattern like `*?*?*?*?*?*?*?*?*?*?x`
      // takes exponential time: a client could stall the monitor with one SENTINEL CONFIG GET
      // pipeline, or with a PSUBSCRIBE pattern matched against every event channel.
      st.skipLongerMatches = true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let matched = false;
      for (;;) {
        if (pi >= p.length) {
          pi--;
          break;
        }
        if (p[pi] === '\\' && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (p[pi] === ']') {
          break;
        } else if (p[pi + 1] === '-' && pi + 2 < p.length) {
          let start = p.charCodeAt(pi);
          let end = p.charCodeAt(pi + 2);
          if (start > end) [start, end] = [end, start];
          const x = s.charCodeAt(si);
          pi += 2;
          if (x >= start && x <= end) matched = true;
        } else if (p[pi] === s[si]) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      pi++;
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}
