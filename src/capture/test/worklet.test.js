// The AudioWorkletProcessor in node, with the few globals the audio thread
// provides: it must post only per-frame numbers, never samples, with times
// on the shared context clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syllableTrain } from './synth.js';

const SR = 48000;
let registered = null;
const posted = [];
globalThis.sampleRate = SR;
globalThis.currentFrame = 0;
globalThis.AudioWorkletProcessor = class {
  constructor() {
    this.port = { postMessage: (m) => posted.push(m), onmessage: null };
  }
};
globalThis.registerProcessor = (name, cls) => {
  registered = { name, cls };
};
await import('../worklet.js');

test('the processor posts energy and voicing per 10 ms frame, and nothing else', () => {
  assert.equal(registered.name, 'attunio-features');
  const proc = new registered.cls();
  const audio = syllableTrain({ sampleRate: SR, rate: 4, count: 4 });
  globalThis.currentFrame = 4800; // started 0.1 s into the context's life
  for (let off = 0; off + 128 <= audio.length; off += 128) {
    const block = audio.subarray(off, off + 128);
    assert.equal(proc.process([[block, block]], [[new Float32Array(128)]]), true);
    globalThis.currentFrame += 128;
  }
  assert.ok(posted.length > 10);
  let frames = 0;
  for (const [i, m] of posted.entries()) {
    assert.deepEqual(Object.keys(m).sort(), ['db', 't0', 'type', 'voicing']);
    assert.equal(m.type, 'features');
    assert.ok(m.db.length <= 10 && m.db.length === m.voicing.length, 'a few frames per message, not samples');
    assert.ok(Math.abs(m.t0 - (0.1 + frames * 0.01)) < 1e-9, `message ${i} t0 ${m.t0}`);
    frames += m.db.length;
  }
  // Every complete 10 ms hop is posted, in batches of five.
  const hops = Math.floor((Math.floor(audio.length / 128) * 128) / 480);
  assert.equal(frames, hops - (hops % 5));
});

test('a stream with no channels still advances the clock as silence', () => {
  posted.length = 0;
  const proc = new registered.cls();
  for (let i = 0; i < 40; i++) proc.process([[]], [[new Float32Array(128)]]);
  assert.ok(posted.length >= 1);
  assert.ok(posted.every((m) => Array.from(m.db).every((d) => d < -100)));
});

test('stop ends processing', () => {
  const proc = new registered.cls();
  proc.port.onmessage({ data: { type: 'stop' } });
  assert.equal(proc.process([[new Float32Array(128)]], []), false);
});
