// AudioWorkletProcessor for @attunio/capture.
//
// Runs on the audio rendering thread. It turns each 10 ms of audio into two
// numbers (energy in dB and a voicing score) with the same extractor the
// unit tests exercise, and posts only those numbers to the main thread in
// small batches. Samples are never posted, stored or sent anywhere.
import { createFrameExtractor } from './dsp.js';

// Five 10 ms frames per message: live indicators stay responsive without a
// message per render quantum.
const BATCH_FRAMES = 5;

class AttunioFeatureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.extractor = createFrameExtractor(sampleRate);
    this.startFrame = -1;
    this.emitted = 0;
    this.db = [];
    this.voicing = [];
    this.mono = new Float32Array(128);
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data && e.data.type === 'stop') this.running = false;
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const channels = inputs[0] || [];
    const n = channels.length ? channels[0].length : 128;
    if (this.mono.length !== n) this.mono = new Float32Array(n);
    const mono = this.mono;
    mono.fill(0);
    // A stream whose track is muted or ended still advances the clock as
    // zeros, so the two speakers' timelines stay aligned.
    for (const ch of channels) for (let i = 0; i < n; i++) mono[i] += ch[i] / channels.length;
    if (this.startFrame < 0) this.startFrame = currentFrame;
    const f = this.extractor.push(mono);
    for (let i = 0; i < f.db.length; i++) {
      this.db.push(f.db[i]);
      this.voicing.push(f.voicing[i]);
    }
    if (this.db.length >= BATCH_FRAMES) {
      const hop = this.extractor.hopSamples;
      this.port.postMessage({
        type: 'features',
        // Context time of the first frame in the batch: shared by every
        // processor in the same AudioContext, so speakers can be compared.
        t0: (this.startFrame + this.emitted * hop) / sampleRate,
        db: Float32Array.from(this.db),
        voicing: Float32Array.from(this.voicing),
      });
      this.emitted += this.db.length;
      this.db.length = 0;
      this.voicing.length = 0;
    }
    return true;
  }
}

registerProcessor('attunio-features', AttunioFeatureProcessor);
