// Speech-rate accuracy on synthesised speech at known rates. Skipped where
// espeak-ng is not installed (scripts/install-browser-deps installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFeatures, analyzeSpeaker } from '../dsp.js';
import { readWav, voicedSpan } from './wav.js';

const TEXT =
  'The patient described a quiet week at home with her family. ' +
  'She has been sleeping better since the new routine started, and her appetite has returned. ' +
  'Most mornings she walks to the market before breakfast.';
const WORDS = TEXT.split(/\s+/).length;

let espeak = true;
try {
  execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
} catch {
  espeak = false;
}

test('espeak-ng speech: rate within 20% of words/voiced time and ordered', { skip: !espeak && 'espeak-ng not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'attunio-espeak-'));
  try {
    const estimates = [];
    for (const speed of [100, 160, 230]) {
      const path = join(dir, `s${speed}.wav`);
      execFileSync('espeak-ng', ['-s', String(speed), '-w', path, TEXT]);
      const { samples, sampleRate } = readWav(path);
      const truth = (WORDS / voicedSpan(samples, sampleRate)) * 60;
      const est = analyzeSpeaker(extractFeatures(samples, sampleRate)).wordsPerMinute;
      assert.ok(Math.abs(est - truth) / truth < 0.2, `speed ${speed}: truth ${truth.toFixed(1)} est ${est.toFixed(1)}`);
      estimates.push(est);
    }
    assert.ok(estimates[0] < estimates[1] && estimates[1] < estimates[2], `ordered: ${estimates}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
