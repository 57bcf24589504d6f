// Pure signal-processing core of the capture SDK.
//
// Everything here works on plain numbers and Float32Arrays: no Web Audio, no
// DOM. The AudioWorklet runs `createFrameExtractor` on the audio thread and
// the session runs the analysis functions on the features it receives, so
// the same code is exercised by `node --test` and in the browser.
//
// Pipeline: samples -> 10 ms frames {energy dB, voicing} -> voice activity
// against an adaptive noise floor -> speech segments -> syllable nuclei
// (de Jong & Wempe 2009) -> speech rate; segments of two speakers -> latency.

export const FRAME_SEC = 0.01;

export const DEFAULTS = Object.freeze({
  // Voice activity: a frame is speech when it rises this far above the noise
  // floor; it stays speech until it falls below floor + vadOffDb (hysteresis
  // stops chatter on decaying vowels).
  vadOnDb: 10,
  vadOffDb: 6,
  // Digital silence would drag an adaptive floor to -inf and make any dither
  // "speech"; real microphones never go below this.
  floorMinDb: -85,
  // Bursts shorter than this are clicks or bumps, not speech.
  minSpeechSec: 0.05,
  // Gaps shorter than this are stop closures inside a word, not pauses.
  minPauseSec: 0.15,
  // Silences longer than this are listening or turn-taking, not part of the
  // speaker's own speaking time, so they are left out of the rate.
  maxPauseSec: 2.0,
  // Syllable nuclei (de Jong & Wempe 2009): peaks must lie within this many
  // dB of the loud end of the contour, be separated by a dip of at least
  // minDipDb, and sit on a voiced frame.
  silenceDb: -25,
  minDipDb: 2,
  voicingThreshold: 0.45,
  // Mean syllables per word of conversational English; converts syllables
  // to words per minute. Documented in docs/capture-sdk.md.
  syllablesPerWord: 1.5,
  // Single-stream latency fallback: silences in this range that precede a
  // new utterance are taken as turn gaps.
  turnGapMinSec: 0.7,
  turnGapMaxSec: 20,
  singleStreamLatency: true, // false: send no latency without the other party's stream
  // Two-stream latency: a reply this long after the other speaker stopped is
  // not a reply to them.
  maxLatencySec: 20,
});

/**
 * Streaming feature extractor: push blocks of mono samples of any length,
 * get one feature per complete 10 ms hop.
 *
 * Features: `db` is the hop's mean-square energy in dBFS; `voicing` is the
 * peak normalised autocorrelation (0..1) over pitch lags 75-500 Hz in the
 * 40 ms window ending at the hop, computed on a decimated copy so it stays
 * cheap on the audio thread.
 */
export function createFrameExtractor(sampleRate) {
  const hop = Math.max(1, Math.round(sampleRate * FRAME_SEC));
  const decim = Math.max(1, Math.floor(sampleRate / 8000));
  const dRate = sampleRate / decim;
  const winLen = Math.round(dRate * 0.04);
  const minLag = Math.max(1, Math.floor(dRate / 500));
  const maxLag = Math.min(winLen - 8, Math.ceil(dRate / 75));
  const ring = new Float32Array(winLen); // decimated history, oldest first
  const win = new Float32Array(winLen);
  let hopPos = 0;
  let hopEnergy = 0;
  let decPos = 0;
  let decAcc = 0;
  let filled = 0;

  function voicing() {
    if (filled < winLen) return 0;
    let mean = 0;
    for (let i = 0; i < winLen; i++) mean += ring[i];
    mean /= winLen;
    for (let i = 0; i < winLen; i++) win[i] = ring[i] - mean;
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let xy = 0;
      let xx = 0;
      let yy = 0;
      for (let i = 0; i + lag < winLen; i++) {
        const a = win[i];
        const b = win[i + lag];
        xy += a * b;
        xx += a * a;
        yy += b * b;
      }
      const den = Math.sqrt(xx * yy);
      if (den > 1e-12) {
        const r = xy / den;
        if (r > best) best = r;
      }
    }
    return best;
  }

  return {
    sampleRate,
    hopSamples: hop,
    /** @returns {{db:number[], voicing:number[]}} features for completed hops */
    push(samples) {
      const db = [];
      const vo = [];
      for (let i = 0; i < samples.length; i++) {
        const x = samples[i];
        hopEnergy += x * x;
        decAcc += x;
        if (++decPos === decim) {
          // Box-average decimation: crude low-pass, enough for pitch lags.
          ring.copyWithin(0, 1);
          ring[winLen - 1] = decAcc / decim;
          if (filled < winLen) filled++;
          decPos = 0;
          decAcc = 0;
        }
        if (++hopPos === hop) {
          db.push(10 * Math.log10(hopEnergy / hop + 1e-12));
          vo.push(voicing());
          hopPos = 0;
          hopEnergy = 0;
        }
      }
      return { db, voicing: vo };
    },
  };
}

/** Batch form of the extractor, for tests and offline use. */
export function extractFeatures(samples, sampleRate) {
  return createFrameExtractor(sampleRate).push(samples);
}

/**
 * Online voice-activity tracker over frame energies (dB).
 *
 * The noise floor follows quiet frames quickly downwards and slowly upwards,
 * and barely moves during speech, so a long utterance does not raise it.
 */
export function createVoiceActivity(options = {}) {
  const o = { ...DEFAULTS, ...options };
  let floor = null;
  let speaking = false;
  return {
    get floor() {
      return floor;
    },
    push(db) {
      const e = Math.max(db, o.floorMinDb);
      if (floor === null) floor = Math.max(Math.min(e, -50), o.floorMinDb);
      if (e < floor) floor += 0.3 * (e - floor);
      else if (e < floor + o.vadOffDb) floor += 0.02 * (e - floor);
      else floor += 0.0005 * (e - floor); // ~recovers from a step in noise over tens of seconds
      floor = Math.max(floor, o.floorMinDb);
      speaking = speaking ? e > floor + o.vadOffDb : e > floor + o.vadOnDb;
      return speaking;
    },
  };
}

/** Voice activity for a whole energy track: {speech: Uint8Array (0/1), floor: Float32Array}. */
export function voiceActivity(db, options = {}) {
  const vad = createVoiceActivity(options);
  const speech = new Uint8Array(db.length);
  const floor = new Float32Array(db.length);
  for (let i = 0; i < db.length; i++) {
    speech[i] = vad.push(db[i]) ? 1 : 0;
    floor[i] = vad.floor;
  }
  return { speech, floor };
}

/**
 * Speech segments from per-frame activity, in seconds from `t0`: bursts
 * shorter than minSpeechSec are dropped and gaps shorter than minPauseSec
 * are bridged.
 */
export function speechSegments(speech, options = {}, t0 = 0) {
  const o = { ...DEFAULTS, ...options };
  const raw = [];
  let start = -1;
  for (let i = 0; i <= speech.length; i++) {
    const on = i < speech.length && speech[i];
    if (on && start < 0) start = i;
    else if (!on && start >= 0) {
      raw.push([start, i]);
      start = -1;
    }
  }
  const bridged = [];
  for (const s of raw) {
    const last = bridged.at(-1);
    if (last && (s[0] - last[1]) * FRAME_SEC < o.minPauseSec) last[1] = s[1];
    else bridged.push([...s]);
  }
  return bridged
    .filter(([a, b]) => (b - a) * FRAME_SEC >= o.minSpeechSec)
    .map(([a, b]) => ({ start: t0 + a * FRAME_SEC, end: t0 + b * FRAME_SEC }));
}

/** Silences between consecutive segments: [{start, end, duration}]. */
export function pausesBetween(segments) {
  const out = [];
  for (let i = 1; i < segments.length; i++) {
    const start = segments[i - 1].end;
    const end = segments[i].start;
    out.push({ start, end, duration: end - start });
  }
  return out;
}

/** Intensity contour (dB): energy averaged over a 50 ms Hann window. */
export function intensityContour(db) {
  const n = db.length;
  const power = new Float64Array(n);
  const k = Math.LN10 / 10;
  for (let i = 0; i < n; i++) power[i] = Math.exp(db[i] * k);
  const w = [0.25, 0.75, 1, 0.75, 0.25];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    let ws = 0;
    for (let k = -2; k <= 2; k++) {
      const j = i + k;
      if (j < 0 || j >= n) continue;
      acc += w[k + 2] * power[j];
      ws += w[k + 2];
    }
    out[i] = 10 * Math.log10(acc / ws + 1e-12);
  }
  return out;
}

/**
 * q-quantile of the values where mask is set, from a 0.1 dB histogram: linear
 * time, so live updates stay cheap on hour-long sessions.
 */
function maskedQuantile(values, mask, q) {
  const lo = -130;
  const bins = new Uint32Array(1500); // -130 .. +20 dB
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!mask[i]) continue;
    const b = Math.min(bins.length - 1, Math.max(0, Math.floor((values[i] - lo) * 10)));
    bins[b]++;
    count++;
  }
  if (count === 0) return -Infinity;
  const target = Math.floor(q * (count - 1));
  let seen = 0;
  for (let b = 0; b < bins.length; b++) {
    seen += bins[b];
    if (seen > target) return lo + (b + 0.5) / 10;
  }
  return lo + bins.length / 10;
}

/**
 * Syllable nuclei after de Jong & Wempe (2009): intensity peaks that
 * (1) exceed a threshold set relative to the loud end of the contour
 *     (0.99 quantile + silenceDb) and above the noise floor,
 * (2) are separated from the neighbouring nucleus by an intensity dip of at
 *     least minDipDb on both sides (otherwise the two peaks are one nucleus
 *     and the higher survives), and
 * (3) are voiced, which rejects fricative and burst energy.
 * Returns frame indices of the nuclei.
 */
export function syllableNuclei(features, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const { db, voicing } = features;
  const vad = options.speech && options.floor ? options : voiceActivity(db, o);
  const { speech, floor } = vad;
  const inten = intensityContour(db);
  const loud = maskedQuantile(inten, speech, 0.99);
  const thresh = loud + o.silenceDb;
  const peaks = [];
  for (let i = 1; i < inten.length - 1; i++) {
    const v = inten[i];
    if (v > inten[i - 1] && v >= inten[i + 1] && v > thresh && v > floor[i] + o.vadOnDb) peaks.push(i);
  }
  const nuclei = [];
  for (const p of peaks) {
    const prev = nuclei.at(-1);
    if (prev === undefined) {
      nuclei.push(p);
      continue;
    }
    let dip = Infinity;
    for (let j = prev; j <= p; j++) dip = Math.min(dip, inten[j]);
    if (inten[p] - dip >= o.minDipDb && inten[prev] - dip >= o.minDipDb) nuclei.push(p);
    else if (inten[p] > inten[prev]) nuclei[nuclei.length - 1] = p;
  }
  return nuclei.filter((i) => isVoiced(voicing, i, o.voicingThreshold));
}

function isVoiced(voicing, i, threshold) {
  for (let k = Math.max(0, i - 2); k <= Math.min(voicing.length - 1, i + 2); k++) {
    if (voicing[k] >= threshold) return true;
  }
  return false;
}

/**
 * Speaking time: segments joined across pauses up to maxPauseSec, summed.
 * For one continuous utterance this is first-voiced to last-voiced frame.
 */
export function speakingTime(segments, options = {}) {
  const o = { ...DEFAULTS, ...options };
  let total = 0;
  let runStart = null;
  let runEnd = null;
  for (const s of segments) {
    if (runStart !== null && s.start - runEnd <= o.maxPauseSec) runEnd = s.end;
    else {
      if (runStart !== null) total += runEnd - runStart;
      runStart = s.start;
      runEnd = s.end;
    }
  }
  if (runStart !== null) total += runEnd - runStart;
  return total;
}

/**
 * Full single-speaker analysis of a feature track starting at time t0:
 * segments, pauses, syllable nuclei, speaking time and speech rate.
 * `features` may carry `speech` and `floor` from createVoiceActivity.
 */
export function analyzeSpeaker(features, options = {}, t0 = 0) {
  const o = { ...DEFAULTS, ...options };
  // A live session has already run the (sequential) VAD frame by frame.
  const { speech, floor } = features.speech && features.floor ? features : voiceActivity(features.db, o);
  const segments = speechSegments(speech, o, t0);
  const nuclei = syllableNuclei(features, { ...o, speech, floor });
  const speakingSec = speakingTime(segments, o);
  const syllables = nuclei.length;
  const syllablesPerSec = speakingSec > 0 ? syllables / speakingSec : null;
  return {
    segments,
    pauses: pausesBetween(segments).filter((p) => p.duration <= o.maxPauseSec),
    nucleiTimes: nuclei.map((i) => t0 + (i + 0.5) * FRAME_SEC),
    syllables,
    speakingSec,
    syllablesPerSec,
    wordsPerMinute: wordsPerMinute(syllables, speakingSec, o.syllablesPerWord),
    noiseFloorDb: floor.length ? floor[floor.length - 1] : null,
  };
}

/** Syllables over speaking time -> words per minute, or null without speech. */
export function wordsPerMinute(syllables, speakingSec, syllablesPerWord = DEFAULTS.syllablesPerWord) {
  if (!(speakingSec > 0) || syllables === 0) return null;
  return (syllables / syllablesPerWord / speakingSec) * 60;
}

/**
 * Two-stream response latency: for each patient turn (a run of patient
 * segments with no clinician speech between them) that follows clinician
 * speech, the gap from the end of the clinician's last segment to the start
 * of the turn. A patient starting while the clinician is still talking
 * counts as 0 s (an interruption is not a delay).
 */
export function responseLatencies(clinician, patient, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const out = [];
  let lastPatientEnd = -Infinity;
  let turnOpen = false;
  for (const p of patient) {
    const spokeSince = clinician.filter((c) => c.end > lastPatientEnd && c.start < p.start);
    if (spokeSince.length === 0 && turnOpen) {
      lastPatientEnd = p.end;
      continue; // same turn, continuing after a pause
    }
    turnOpen = true;
    lastPatientEnd = p.end;
    if (spokeSince.length === 0) continue; // patient opened the conversation
    const cEnd = Math.max(...spokeSince.map((c) => c.end));
    const gap = Math.max(0, p.start - cEnd);
    if (gap <= o.maxLatencySec) out.push({ at: p.start, latency: gap });
  }
  return out;
}

/**
 * Single-stream fallback: with only one stream there is no way to see who
 * spoke last, so silences between turnGapMinSec and turnGapMaxSec before a
 * new utterance are taken as turn gaps. On a stream carrying both voices
 * these are the response latencies; on a patient-only stream they also hold
 * the other party's speaking time and overestimate (see the docs).
 */
export function singleStreamLatencies(segments, options = {}) {
  const o = { ...DEFAULTS, ...options };
  return pausesBetween(segments)
    .filter((p) => p.duration >= o.turnGapMinSec && p.duration <= o.turnGapMaxSec)
    .map((p) => ({ at: p.end, latency: p.duration }));
}

export function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
