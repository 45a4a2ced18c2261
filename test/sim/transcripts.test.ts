/**
 * Every scenario under test/sim/testdata/: its commands are run on the simulated world and what
 * they print must match the file. VIGIL_REWRITE_TRANSCRIPTS=1 writes the new output instead.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseTranscript, renderTranscript, TranscriptRunner } from './transcript.js';

// Compiled to dist/test/sim: the data files stay in the source tree.
const DIR = fileURLToPath(new URL('../../../test/sim/testdata/', import.meta.url));
const REWRITE = process.env.VIGIL_REWRITE_TRANSCRIPTS === '1';

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('core transcripts', () => {
  it('has scenarios to run', () => assert.ok(files.length >= 5, `${files.length} files in ${DIR}`));
  for (const file of files) {
    it(file.replace(/\.txt$/, ''), () => {
      const path = DIR + file;
      const blocks = parseTranscript(readFileSync(path, 'utf8'));
      const runner = new TranscriptRunner();
      const outputs = blocks.map((b) => runner.exec(b.command));
      if (REWRITE) {
        writeFileSync(path, renderTranscript(blocks, outputs));
        return;
      }
      blocks.forEach((b, i) => assert.equal(outputs[i], b.expected, `${file}: '${b.command}'`));
    });
  }
});
