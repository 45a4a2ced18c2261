// globMatch must not backtrack exponentially: clients choose the patterns (SENTINEL CONFIG GET,
// PSUBSCRIBE, SENTINEL RESET) and the monitor matches them on its only thread.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch } from '../../src/sentinel/glob.js';

describe('globMatch on hostile patterns', () => {
  it('answers at once when many stars cannot match (as Redis since CVE-2022-36021)', () => {
    // A matcher that retries every star on longer stretches takes seconds here (and twice as
    // long for each further `*?`); event channels are up to 34 characters long.
    const start = performance.now();
    assert.equal(globMatch(`${'*?'.repeat(12)}x`, '+failover-state-wait-promotion'), false);
    assert.equal(globMatch(`${'*?'.repeat(12)}[^a-z]`, '-failover-abort-no-good-slave'), false);
    const ms = performance.now() - start;
    assert.ok(ms < 100, `took ${Math.round(ms)} ms`);
  });

  it('still finds the matches that need an earlier star to take more', () => {
    assert.equal(globMatch(`${'*?'.repeat(10)}x`, `${'y'.repeat(29)}x`), true);
    assert.equal(globMatch('*a*b*c', 'xaxbxcxaxbxc'), true);
    assert.equal(globMatch('*ab*cd', 'aXabYcabcd'), true);
    assert.equal(globMatch('a*b?c*', 'aaabxcb'), true);
    assert.equal(globMatch('*[0-9]-*-?', 'x1-2-3-4'), true);
    assert.equal(globMatch('*[0-9]-*-?', 'x1-2-34'), false);
  });
});
