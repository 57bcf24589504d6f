import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULTS,
  createFrameExtractor,
  extractFeatures,
  voiceActivity,
  speechSegments,
  syllableNuclei,
  analyzeSpeaker,
  speakingTime,
  wordsPerMinute,
  responseLatencies,
  singleStreamLatencies,
} from '../dsp.js';
import { syllableTrain, noise, silence, concat, mix } from './synth.js';

const SR = 16000;

function near(actual, expected, tol, msg) {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected} ± ${tol}, got ${actual}`);
}

test('frame energy of a sine is its RMS level in dBFS', () => {
  const n = SR;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / SR);
  const { db } = extractFeatures(x, SR);
  assert.equal(db.length, 100);
  near(db[50], 20 * Math.log10(0.5 / Math.SQRT2), 0.2, 'dB');
});

test('voicing separates a harmonic source from white noise', () => {
  const voiced = extractFeatures(syllableTrain({ sampleRate: SR, rate: 1, count: 1, dipDepth: 1 }), SR).voicing;
  const unvoiced = extractFeatures(noise(SR, 1, 0.1), SR).voicing;
  const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  assert.ok(median(voiced.slice(5)) > 0.8, `voiced median ${median(voiced)}`);
  assert.ok(median(unvoiced.slice(5)) < DEFAULTS.voicingThreshold, `noise median ${median(unvoiced)}`);
});

test('streaming in odd block sizes gives the same features as one batch', () => {
  const x = concat(silence(SR, 0.3), syllableTrain({ sampleRate: 48000, rate: 4, count: 4 }));
  const batch = extractFeatures(x, 48000);
  const ex = createFrameExtractor(48000);
  const db = [];
  const vo = [];
  for (let i = 0, k = 0; i < x.length; k++) {
    const len = [128, 37, 1000, 5][k % 4];
    const f = ex.push(x.subarray(i, i + len));
    db.push(...f.db);
    vo.push(...f.voicing);
    i += len;
  }
  assert.deepEqual(db, batch.db);
  assert.deepEqual(vo, batch.voicing);
});

test('noise floor adapts to steady background noise and speech stands out', () => {
  const bg = noise(SR, 6, 0.003); // about -50 dBFS
  const speech = concat(silence(SR, 2), syllableTrain({ sampleRate: SR, rate: 4, count: 8 }));
  const x = mix(bg, speech);
  const { db } = extractFeatures(x, SR);
  const { speech: act, floor } = voiceActivity(db);
  near(floor[150], -50.5, 3, 'floor after 1.5 s of noise');
  assert.equal(act.slice(20, 195).some(Boolean), false, 'no speech in pure noise');
  const segs = speechSegments(act);
  assert.equal(segs.length, 1);
  near(segs[0].start, 2.0, 0.08, 'onset');
  near(segs[0].end, 4.0, 0.08, 'offset');
  assert.ok(floor[380] < -45, `floor stays low through speech: ${floor[380]}`);
});

test('pauses and segments come out at their known times', () => {
  const gaps = [0.4, 0.9, 1.5];
  const parts = [silence(SR, 0.5)];
  const starts = [];
  let t = 0.5;
  for (const g of [...gaps, 0]) {
    starts.push(t);
    parts.push(syllableTrain({ sampleRate: SR, rate: 4, count: 6 }));
    t += 1.5;
    if (g) {
      parts.push(silence(SR, g));
      t += g;
    }
  }
  const { db } = extractFeatures(concat(...parts), SR);
  const segs = speechSegments(voiceActivity(db).speech);
  assert.equal(segs.length, 4);
  segs.forEach((s, i) => near(s.start, starts[i], 0.05, `segment ${i} start`));
  for (let i = 0; i < gaps.length; i++) near(segs[i + 1].start - segs[i].end, gaps[i], 0.08, `gap ${i}`);
});

for (const rate of [2.5, 3.5, 4.5, 5.5, 6.5]) {
  test(`syllable nuclei: ${rate} syllables/s counted to within 5%`, () => {
    const count = Math.round(rate * 8);
    const x = concat(silence(SR, 0.5), syllableTrain({ sampleRate: SR, rate, count }), silence(SR, 0.5));
    const a = analyzeSpeaker(extractFeatures(x, SR));
    near(a.syllables, count, Math.ceil(count * 0.05), 'syllables');
    near(a.syllablesPerSec, rate, rate * 0.08, 'syllables/s');
  });
}

test('steady background noise 25 dB under the speech leaves the count within 10%', () => {
  const speech = concat(silence(SR, 1), syllableTrain({ sampleRate: SR, rate: 4.5, count: 36 }), silence(SR, 1));
  const x = mix(speech, noise(SR, speech.length / SR + 0.1, 0.006, 11));
  const a = analyzeSpeaker(extractFeatures(x, SR));
  near(a.syllables, 36, 3.6, 'syllables in noise');
  near(a.speakingSec, 8, 0.2, 'speaking time in noise');
});

test('unvoiced bursts are not syllables (voicing check)', () => {
  const burst = () => concat(noise(SR, 0.12, 0.08, 3), silence(SR, 0.13));
  const x = concat(silence(SR, 0.5), ...Array.from({ length: 10 }, burst), syllableTrain({ sampleRate: SR, rate: 4, count: 8 }));
  const a = analyzeSpeaker(extractFeatures(x, SR));
  near(a.syllables, 8, 1, 'only voiced nuclei');
});

test('peaks without a 2 dB dip between them are one nucleus (dip test)', () => {
  // Shallow envelope: dips of under 1 dB between syllable-rate bumps.
  const shallow = syllableTrain({ sampleRate: SR, rate: 4, count: 12, dipDepth: 0.9 });
  const deep = syllableTrain({ sampleRate: SR, rate: 4, count: 12, dipDepth: 0.05 });
  const s = analyzeSpeaker(extractFeatures(concat(silence(SR, 0.5), shallow), SR));
  const d = analyzeSpeaker(extractFeatures(concat(silence(SR, 0.5), deep), SR));
  assert.ok(s.syllables <= 2, `shallow: ${s.syllables}`);
  near(d.syllables, 12, 1, 'deep');
  const nuclei = syllableNuclei(extractFeatures(concat(silence(SR, 0.5), deep), SR), { minDipDb: 40 });
  assert.equal(nuclei.length, 1, 'an impossible dip leaves one nucleus');
});

test('speech rate in words per minute uses the documented syllables-per-word factor', () => {
  assert.equal(DEFAULTS.syllablesPerWord, 1.5);
  near(wordsPerMinute(30, 10), 120, 1e-9);
  near(wordsPerMinute(30, 10, 1.2), 150, 1e-9);
  assert.equal(wordsPerMinute(0, 10), null);
  assert.equal(wordsPerMinute(5, 0), null);
  // 4 syll/s at 1.5 syll/word is 160 wpm.
  const x = concat(silence(SR, 0.3), syllableTrain({ sampleRate: SR, rate: 4, count: 40 }), silence(SR, 0.3));
  near(analyzeSpeaker(extractFeatures(x, SR)).wordsPerMinute, 160, 160 * 0.06, 'wpm');
});

test('speaking time bridges pauses up to maxPauseSec and drops longer silences', () => {
  const segs = [
    { start: 0, end: 2 },
    { start: 2.5, end: 4 }, // 0.5 s pause: part of speaking
    { start: 10, end: 11 }, // 6 s silence: listening
  ];
  near(speakingTime(segs), 5, 1e-9);
  near(speakingTime(segs, { maxPauseSec: 10 }), 11, 1e-9);
});

test('two-stream latency: known turn gaps recovered within 30 ms', () => {
  const gaps = [0.35, 0.8, 1.4, 2.2];
  const clin = [];
  const pat = [];
  let t = 0.5;
  for (const g of gaps) {
    clin.push(syllableTrain({ sampleRate: SR, rate: 4, count: 8, f0: 110 }));
    pat.push(silence(SR, 2));
    t += 2;
    clin.push(silence(SR, g + 1.5));
    pat.push(silence(SR, g), syllableTrain({ sampleRate: SR, rate: 4, count: 6, f0: 200 }));
    t += g + 1.5;
  }
  const cf = extractFeatures(concat(...clin), SR);
  const pf = extractFeatures(concat(...pat), SR);
  const cs = speechSegments(voiceActivity(cf.db).speech);
  const ps = speechSegments(voiceActivity(pf.db).speech);
  const lat = responseLatencies(cs, ps);
  assert.equal(lat.length, gaps.length);
  lat.forEach((l, i) => near(l.latency, gaps[i], 0.03, `gap ${i}`));
});

test('latency pairing: continuation, interruption and opening turns', () => {
  const clin = [{ start: 1, end: 3 }, { start: 10, end: 12 }];
  const pat = [
    { start: 0, end: 0.8 }, // patient opens: no preceding clinician speech
    { start: 4, end: 6 }, // reply after 1 s
    { start: 6.5, end: 8 }, // same turn after a pause: not a reply
    { start: 11.5, end: 13 }, // interrupts: 0 s
  ];
  assert.deepEqual(responseLatencies(clin, pat).map((l) => l.latency), [1, 0]);
  assert.deepEqual(responseLatencies([{ start: 0, end: 1 }], [{ start: 40, end: 41 }]), []);
});

test('single-stream fallback counts only turn-sized silences', () => {
  const segs = [
    { start: 0, end: 2 },
    { start: 2.3, end: 4 }, // 0.3 s: within-turn pause
    { start: 5.2, end: 6 }, // 1.2 s: turn gap
    { start: 40, end: 41 }, // 34 s: not a conversational gap
  ];
  const l = singleStreamLatencies(segs);
  assert.equal(l.length, 1);
  near(l[0].latency, 1.2, 1e-9);
});
