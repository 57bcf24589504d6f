// Minimal 16-bit PCM WAV reader for tests (espeak-ng and sox write these).
import { readFileSync } from 'node:fs';

export function readWav(path) {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmt = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    // espeak-ng writing to a pipe leaves chunk sizes at 0x7fffffff; clamp.
    const size = Math.min(buf.readUInt32LE(off + 4), buf.length - off - 8);
    if (id === 'fmt ') {
      fmt = {
        channels: buf.readUInt16LE(off + 10),
        sampleRate: buf.readUInt32LE(off + 12),
        bits: buf.readUInt16LE(off + 22),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.bits !== 16) throw new Error(`${path}: only 16-bit PCM is supported`);
      const n = Math.floor(size / 2 / fmt.channels);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let c = 0; c < fmt.channels; c++) acc += buf.readInt16LE(off + 8 + 2 * (i * fmt.channels + c));
        out[i] = acc / fmt.channels / 32768;
      }
      return { sampleRate: fmt.sampleRate, samples: out };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/** Seconds from the first to the last sample above `threshold` in magnitude. */
export function voicedSpan(samples, sampleRate, threshold = 1e-3) {
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? 0 : (last - first + 1) / sampleRate;
}
