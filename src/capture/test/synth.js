// Synthetic test signals with known ground truth.

/** Deterministic PRNG so failures reproduce. */
export function rng(seed = 1) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A voiced "utterance": a harmonic source (F0 with slight vibrato, 6
 * harmonics) under a raised-cosine envelope per syllable, so every syllable
 * has one intensity peak and a deep dip to its neighbour.
 */
export function syllableTrain({ sampleRate = 16000, rate = 4, count = 20, f0 = 130, amp = 0.3, dipDepth = 0.05 }) {
  const sylLen = 1 / rate;
  const n = Math.round(count * sylLen * sampleRate);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const f = f0 * (1 + 0.03 * Math.sin(2 * Math.PI * 5 * t));
    phase += (2 * Math.PI * f) / sampleRate;
    let src = 0;
    for (let h = 1; h <= 6; h++) src += Math.sin(h * phase) / h;
    const pos = (t % sylLen) / sylLen;
    const env = dipDepth + (1 - dipDepth) * 0.5 * (1 - Math.cos(2 * Math.PI * pos));
    out[i] = amp * 0.5 * src * env;
  }
  return out;
}

/** White noise at a given RMS. */
export function noise(sampleRate, seconds, rms, seed = 7) {
  const r = rng(seed);
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * rms * Math.sqrt(3);
  return out;
}

export function silence(sampleRate, seconds) {
  return new Float32Array(Math.round(seconds * sampleRate));
}

export function concat(...parts) {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Adds `b` into a copy of `a` (b may be shorter). */
export function mix(a, b) {
  const out = Float32Array.from(a);
  for (let i = 0; i < Math.min(a.length, b.length); i++) out[i] += b[i];
  return out;
}
