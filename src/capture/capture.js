// @attunio/capture: on-device speech-rate and response-latency extraction
// from WebRTC MediaStreams, sent to the Digital MSE API as derived numbers.
//
// Audio flows stream -> MediaStreamAudioSourceNode -> AudioWorklet
// (worklet.js), which posts two numbers per 10 ms frame back here. Nothing
// else about the audio exists outside the audio thread, and the only network
// request this module makes is the JSON POST in analyze().
import { DEFAULTS, FRAME_SEC, analyzeSpeaker, createVoiceActivity, mean, responseLatencies, singleStreamLatencies } from './dsp.js';

export { fromUserMedia, streamFromTracks, fromZoomTracks, fromDailyParticipant, fromTwilioTracks, fromVonagePublisher } from './adapters.js';
export { DEFAULTS } from './dsp.js';

const WORKLET_URL = new URL('./worklet.js', import.meta.url);
const ROLES = ['patient', 'clinician'];
// Field ranges of POST /v1/dmse/analyze; values are clamped into them.
const RANGES = {
  responseLatencySeconds: [0, 120],
  speechRateWpm: [0, 600],
  psychomotorFidgetEpisodes: [0, 1000],
  sustainedAttentionPct: [0, 100],
  sessionDurationSeconds: [0, 86400],
};
const UPDATE_MS = 250;

/** An error from the API or from the session, with the API's error code. */
export class AttunioError extends Error {
  constructor(code, message, { status = null, issues = [] } = {}) {
    super(message);
    this.name = 'AttunioError';
    this.code = code;
    this.status = status;
    this.issues = issues;
  }
}

function defaultBaseUrl() {
  // Served by the appliance at /sdk/capture.js: the API is on the same origin.
  try {
    const u = new URL(import.meta.url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
  } catch {
    /* bundled without a URL: baseUrl must be given */
  }
  return null;
}

/** `${base}/v1/dmse/analyze`, accepting a base with or without `/v1`. */
export function analyzeEndpoint(baseUrl) {
  const base = String(baseUrl).replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${base}/v1/dmse/analyze`;
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;
const clamp = (x, [lo, hi]) => Math.min(hi, Math.max(lo, x));

class Channel {
  constructor(role, stream, options) {
    this.role = role;
    this.stream = stream;
    this.db = [];
    this.voicing = [];
    this.speech = [];
    this.floor = [];
    this.t0 = null;
    this.vad = createVoiceActivity(options);
    this.speaking = false;
    this.levelDb = -Infinity;
    this.lastSpeechAt = null;
    this.node = null;
    this.source = null;
  }

  add({ t0, db, voicing }) {
    if (this.t0 === null) this.t0 = t0;
    for (let i = 0; i < db.length; i++) {
      this.db.push(db[i]);
      this.voicing.push(voicing[i]);
      this.speaking = this.vad.push(db[i]);
      this.speech.push(this.speaking ? 1 : 0);
      this.floor.push(this.vad.floor);
      if (this.speaking) this.lastSpeechAt = t0 + (i + 1) * FRAME_SEC;
    }
    this.levelDb = db.length ? db[db.length - 1] : this.levelDb;
  }

  get now() {
    return this.t0 === null ? null : this.t0 + this.db.length * FRAME_SEC;
  }

  analysis(options) {
    return analyzeSpeaker({ db: this.db, voicing: this.voicing, speech: this.speech, floor: this.floor }, options, this.t0 ?? 0);
  }
}

export class AttunioSession extends EventTarget {
  /**
   * @param {object} o
   * @param {string} o.publishableKey  att_pk_… key allow-listed for this page's origin
   * @param {string} [o.baseUrl]        appliance origin (default: where this module was served from)
   * @param {string} [o.sessionRef]     your correlation id, echoed back by the API
   * @param {object} [o.options]        DSP tuning, see DEFAULTS in dsp.js
   * @param {AudioContext} [o.audioContext] share an existing context
   */
  constructor({ publishableKey, baseUrl, sessionRef, options = {}, audioContext } = {}) {
    super();
    if (typeof publishableKey !== 'string' || !publishableKey.startsWith('att_pk_')) {
      throw new AttunioError(
        'invalid_key',
        publishableKey?.startsWith?.('att_sk_')
          ? 'Secret keys (att_sk_…) must never be used in a browser: use a publishable key (att_pk_…).'
          : 'A publishable key (att_pk_…) is required.',
      );
    }
    this.publishableKey = publishableKey;
    this.baseUrl = baseUrl ?? defaultBaseUrl();
    if (!this.baseUrl) throw new AttunioError('invalid_base_url', 'baseUrl is required when the SDK is bundled.');
    this.sessionRef = sessionRef;
    this.options = { ...DEFAULTS, ...options };
    this.channels = {};
    this.video = {};
    this.lastRequest = null;
    this.stopped = false;
    this._ctx = audioContext ?? null;
    this._ownsCtx = !audioContext;
    this._worklet = null;
    this._timer = null;
    this.ready = Promise.resolve();
  }

  /**
   * Start extracting from a MediaStream. `role: 'patient'` (default) is the
   * person being assessed; `role: 'clinician'` is the other side of the call
   * and enables two-stream response latency. Returns the session.
   */
  attach(stream, { role = 'patient' } = {}) {
    if (this.stopped) throw new AttunioError('stopped', 'This session has been stopped.');
    if (!ROLES.includes(role)) throw new TypeError(`role must be one of ${ROLES.join(', ')}`);
    if (!stream || typeof stream.getAudioTracks !== 'function' || stream.getAudioTracks().length === 0) {
      throw new TypeError('attach: expected a MediaStream with an audio track');
    }
    if (this.channels[role]) this._detach(this.channels[role]);
    const ch = new Channel(role, stream, this.options);
    this.channels[role] = ch;
    // One failed attach (say, a refused worklet) must not block the next.
    this.ready = this.ready.catch(() => {}).then(() => this._connect(ch));
    this.ready.catch((err) => this.dispatchEvent(new CustomEvent('error', { detail: err })));
    return this;
  }

  /**
   * Feed features computed elsewhere (e.g. offline with dsp.js from a
   * recording the patient keeps) instead of a live stream.
   */
  ingestFeatures(role, { t0 = 0, db, voicing }) {
    if (!ROLES.includes(role)) throw new TypeError(`role must be one of ${ROLES.join(', ')}`);
    this.channels[role] ??= new Channel(role, null, this.options);
    this.channels[role].add({ t0, db, voicing });
    return this;
  }

  /** The remote clinician's stream: shorthand for attach(stream, { role: 'clinician' }). */
  attachRemote(stream) {
    return this.attach(stream, { role: 'clinician' });
  }

  async _connect(ch) {
    // 'interactive' keeps each stream's input buffering short, so the two
    // speakers' timelines differ by ~10 ms rather than up to ~100 ms.
    if (!this._ctx) this._ctx = new AudioContext({ latencyHint: 'interactive' });
    const ctx = this._ctx;
    if (!this._worklet) this._worklet = ctx.audioWorklet.addModule(WORKLET_URL.href);
    await this._worklet;
    if (ctx.state === 'suspended') await ctx.resume();
    if (this.channels[ch.role] !== ch || this.stopped) return;
    ch.source = ctx.createMediaStreamSource(ch.stream);
    ch.node = new AudioWorkletNode(ctx, 'attunio-features', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    ch.node.port.onmessage = (e) => {
      if (e.data?.type === 'features') ch.add(e.data);
    };
    // The worklet writes silence; connecting it to the destination keeps the
    // graph pulling it, and nothing of the stream is played back.
    ch.source.connect(ch.node);
    ch.node.connect(ctx.destination);
    if (!this._timer) this._scheduleUpdate(UPDATE_MS);
  }

  _detach(ch) {
    try {
      ch.node?.port.postMessage({ type: 'stop' });
      ch.source?.disconnect();
      ch.node?.disconnect();
    } catch {
      /* already disconnected */
    }
  }

  /** Merge video-derived signals your own pipeline computes. */
  setVideoSignals({ psychomotorFidgetEpisodes, sustainedAttentionPct } = {}) {
    for (const [k, v] of Object.entries({ psychomotorFidgetEpisodes, sustainedAttentionPct })) {
      if (v === undefined) continue;
      if (v === null) {
        delete this.video[k];
        continue;
      }
      const [lo, hi] = RANGES[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
        throw new RangeError(`${k} must be a number from ${lo} to ${hi}`);
      }
      this.video[k] = v;
    }
    return this;
  }

  /** Everything measured so far, including detail that is never sent. */
  metrics() {
    const p = this.channels.patient;
    const c = this.channels.clinician;
    const pa = p?.t0 != null ? p.analysis(this.options) : null;
    const ca = c?.t0 != null ? c.analysis(this.options) : null;
    let latencies = [];
    let latencySource = null;
    if (pa && ca) {
      latencies = responseLatencies(ca.segments, pa.segments, this.options);
      latencySource = 'two-stream';
    } else if (pa && this.options.singleStreamLatency) {
      latencies = singleStreamLatencies(pa.segments, this.options);
      latencySource = 'single-stream';
    }
    const starts = Object.values(this.channels).map((ch) => ch.t0).filter((t) => t !== null);
    const ends = Object.values(this.channels).map((ch) => ch.now).filter((t) => t !== null);
    const duration = starts.length ? Math.max(...ends) - Math.min(...starts) : 0;
    const pauseDurations = pa ? pa.pauses.map((x) => x.duration) : [];
    return {
      speechRateWpm: pa?.wordsPerMinute ?? null,
      responseLatencySeconds: mean(latencies.map((l) => l.latency)),
      latencySource: latencies.length ? latencySource : null,
      latencies,
      sessionDurationSeconds: duration,
      syllables: pa?.syllables ?? 0,
      speakingSeconds: pa?.speakingSec ?? 0,
      pauses: pauseDurations.length,
      meanPauseSeconds: mean(pauseDurations),
      segments: pa?.segments ?? [],
      nucleiTimes: pa?.nucleiTimes ?? [],
      clinicianSegments: ca?.segments ?? [],
      noiseFloorDb: pa?.noiseFloorDb ?? null,
      ...this.video,
    };
  }

  /** Exactly the request body analyze() would POST now. */
  payload(m = this.metrics()) {
    const body = {};
    if (m.responseLatencySeconds !== null) body.responseLatencySeconds = round(clamp(m.responseLatencySeconds, RANGES.responseLatencySeconds), 2);
    if (m.speechRateWpm !== null) body.speechRateWpm = round(clamp(m.speechRateWpm, RANGES.speechRateWpm), 1);
    if (this.video.psychomotorFidgetEpisodes !== undefined) body.psychomotorFidgetEpisodes = this.video.psychomotorFidgetEpisodes;
    if (this.video.sustainedAttentionPct !== undefined) body.sustainedAttentionPct = this.video.sustainedAttentionPct;
    if (Object.keys(body).length && m.sessionDurationSeconds > 0) body.sessionDurationSeconds = round(clamp(m.sessionDurationSeconds, RANGES.sessionDurationSeconds), 1);
    if (this.sessionRef) body.sessionRef = String(this.sessionRef);
    return body;
  }

  /**
   * POST the derived numbers to /v1/dmse/analyze and return the Digital MSE
   * answer (the response's `data`). Throws AttunioError on any failure.
   */
  async analyze() {
    const body = this.payload();
    if (!['responseLatencySeconds', 'speechRateWpm', 'psychomotorFidgetEpisodes', 'sustainedAttentionPct'].some((k) => k in body)) {
      throw new AttunioError('no_signals', 'No speech has been detected yet, so there is nothing to analyse.');
    }
    this.lastRequest = body;
    let res;
    try {
      res = await fetch(analyzeEndpoint(this.baseUrl), {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
        headers: { Authorization: `Bearer ${this.publishableKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new AttunioError('network_error', `Could not reach the Attunio API: ${err.message}`);
    }
    let json = null;
    try {
      json = await res.json();
    } catch {
      /* handled below */
    }
    if (!res.ok || !json || json.ok !== true) {
      const e = json?.error ?? {};
      throw new AttunioError(e.code ?? 'server_error', e.message ?? `HTTP ${res.status}`, { status: res.status, issues: e.issues ?? [] });
    }
    this.dispatchEvent(new CustomEvent('analysis', { detail: json.data }));
    return json.data;
  }

  /** Live state of each attached stream, for indicators. */
  live() {
    const out = {};
    for (const ch of Object.values(this.channels)) {
      out[ch.role] = {
        speaking: ch.speaking,
        levelDb: ch.levelDb,
        noiseFloorDb: ch.vad.floor,
        silenceSeconds: ch.speaking || ch.lastSpeechAt === null ? 0 : ch.now - ch.lastSpeechAt,
        heardSpeech: ch.lastSpeechAt !== null,
      };
    }
    return out;
  }

  /** Frame energies (dB) of the last `seconds` of a stream, for level displays. */
  recentLevels(seconds = 30, role = 'patient') {
    const ch = this.channels[role];
    if (!ch || ch.t0 === null) return { t0: 0, end: 0, db: [] };
    const n = Math.min(ch.db.length, Math.round(seconds / FRAME_SEC));
    return { t0: ch.now - n * FRAME_SEC, end: ch.now, db: ch.db.slice(-n) };
  }

  _scheduleUpdate(delay) {
    this._timer = setTimeout(() => {
      const started = performance.now();
      this.dispatchEvent(new CustomEvent('update', { detail: { live: this.live(), metrics: this.metrics() } }));
      // Analysis cost grows with session length; keep it under ~10% of the
      // main thread, which the video call needs more.
      if (!this.stopped) this._scheduleUpdate(Math.max(UPDATE_MS, (performance.now() - started) * 10));
    }, delay);
  }

  /** Stop extracting. Measurements are kept, so analyze() still works. */
  stop() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this._timer);
    this._timer = null;
    for (const ch of Object.values(this.channels)) this._detach(ch);
    if (this._ownsCtx && this._ctx) this._ctx.close().catch(() => {});
  }
}
