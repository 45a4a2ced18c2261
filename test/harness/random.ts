// One seeded random generator for every test that draws random inputs: the same seed gives the
// same sequence, so a failure replays from the seed it prints.

/** Floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and well mixed enough for test inputs (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
