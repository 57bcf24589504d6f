// The /demo page: microphone -> on-device measures -> Digital MSE answer.
// The key comes from the form or the page URL's fragment (#key=…, which no
// server or proxy sees); the appliance is always the origin that served the
// page: a link cannot point a session's telemetry elsewhere (the CSP's
// connect-src 'self' enforces the same in the browser).
import { AttunioSession, fromUserMedia, DEFAULTS } from './capture.js';

const $ = (id) => document.getElementById(id);
const WINDOW_SEC = 30;

const demo = {
  session: null,
  stream: null,
  lastRequest: null,
  lastResult: null,
  lastError: null,
  get state() {
    return document.body.dataset.state;
  },
};
// Read by the browser test and handy from the console.
window.attunioDemo = demo;

function setState(state) {
  document.body.dataset.state = state;
  $('start').disabled = state !== 'idle';
  $('analyze').disabled = state !== 'capturing';
  $('reset').hidden = !['done', 'error'].includes(state);
  $('key').disabled = $('base').disabled = state === 'capturing' || state === 'analyzing';
}

function setStatus(text, cls) {
  const el = $('status');
  el.textContent = text;
  el.className = `pill ${cls}`;
}

function showError(err) {
  demo.lastError = { code: err.code ?? 'error', message: err.message };
  const el = $('error');
  const issues = (err.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ');
  const hint = err.code === 'forbidden' ? ` This page's origin is ${location.origin}.` : '';
  el.textContent = `${err.message}${issues ? ` (${issues})` : ''}${hint}`;
  el.hidden = false;
}

function readUrlParams() {
  const params = new URLSearchParams(location.hash.slice(1));
  $('key').value = params.get('key') ?? '';
  $('base').value = location.origin;
  $('base').readOnly = true;
}

const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
function clock(sec) {
  const s = Math.floor(sec);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A measure, or a dash without its unit while there is nothing to show. */
function setStat(id, value, digits) {
  const el = $(id);
  el.textContent = fmt(value, digits);
  const unit = el.nextElementSibling;
  if (unit) unit.hidden = value === null || value === undefined;
}

function renderLive({ live, metrics }) {
  const p = live.patient;
  if (p) {
    if (p.speaking) setStatus('Speaking', 'speaking');
    else if (p.heardSpeech && p.silenceSeconds <= DEFAULTS.maxPauseSec) setStatus(`Pause · ${p.silenceSeconds.toFixed(1)} s`, 'pause');
    else setStatus(p.heardSpeech ? 'Listening' : 'Waiting for speech', 'listening');
    // Map -90..0 dBFS onto the bar.
    const pct = (db) => `${Math.max(0, Math.min(100, ((db + 90) / 90) * 100))}%`;
    $('level').style.width = pct(p.levelDb);
    if (p.noiseFloorDb !== null) $('floor').style.left = pct(p.noiseFloorDb);
  }
  setStat('m-rate', metrics.speechRateWpm, 0);
  setStat('m-latency', metrics.responseLatencySeconds, 2);
  $('m-speaking').textContent = fmt(metrics.speakingSeconds, 1);
  $('m-pauses').textContent = String(metrics.pauses);
  $('m-pause-mean').textContent = metrics.meanPauseSeconds ? `avg ${metrics.meanPauseSeconds.toFixed(2)} s` : '';
  $('m-syll').textContent = String(metrics.syllables);
  $('m-session').textContent = clock(metrics.sessionDurationSeconds);
  $('latency-note').textContent =
    metrics.latencySource === 'single-stream'
      ? 'Latency from one stream: silences before each new utterance (attach the other party’s stream for true turn-taking latency).'
      : metrics.latencySource === 'two-stream'
        ? 'Latency from both streams: end of the other speaker’s turn to the start of the reply.'
        : '';
  drawTimeline(metrics);
}

function drawTimeline(metrics) {
  const canvas = $('timeline');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth * dpr;
  const h = canvas.clientHeight * dpr;
  if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, w, h);
  const { t0, end, db } = demo.session.recentLevels(WINDOW_SEC);
  const start = end - WINDOW_SEC;
  const x = (t) => ((t - start) / WINDOW_SEC) * w;
  for (const s of metrics.segments) {
    if (s.end < start) continue;
    g.fillStyle = 'rgba(20,184,166,0.18)';
    g.fillRect(x(s.start), 0, x(s.end) - x(s.start), h);
  }
  const segs = metrics.segments;
  for (let i = 1; i < segs.length; i++) {
    const gap = segs[i].start - segs[i - 1].end;
    if (segs[i].start < start || gap > DEFAULTS.maxPauseSec) continue;
    g.fillStyle = 'rgba(245,158,11,0.35)';
    g.fillRect(x(segs[i - 1].end), h - 6 * dpr, x(segs[i].start) - x(segs[i - 1].end), 6 * dpr);
  }
  g.strokeStyle = '#0f766e';
  g.lineWidth = 1.5 * dpr;
  g.beginPath();
  db.forEach((v, i) => {
    const px = x(t0 + i * 0.01);
    const py = h - (Math.max(0, Math.min(90, v + 90)) / 90) * (h - 8 * dpr) - 6 * dpr;
    if (i === 0) g.moveTo(px, py);
    else g.lineTo(px, py);
  });
  g.stroke();
  g.fillStyle = '#0b1f2a';
  for (const t of metrics.nucleiTimes) if (t >= start) g.fillRect(x(t) - dpr, 2 * dpr, 2 * dpr, 8 * dpr);
}

function interpretationClass(sig) {
  if (!sig.present) return 'absent';
  const i = String(sig.interpretation ?? '').toLowerCase();
  if (/attention|elevated|high|marked|abnormal|concern/.test(i)) return 'attention';
  if (/watch|monitor|borderline|mild|moderate/.test(i)) return 'watch';
  if (/normal|typical|within|expected|none/.test(i)) return 'typical';
  return '';
}

const humanize = (s) => String(s ?? '').replace(/[_-]+/g, ' ').replace(/^\w/, (c) => c.toUpperCase());

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderResult(data, sent) {
  const list = $('signals');
  list.replaceChildren();
  for (const sig of data.signals ?? []) {
    const li = el('li', `signal ${interpretationClass(sig)}`);
    const row = el('div', 'row');
    row.append(el('span', 'label', sig.label ?? humanize(sig.signalKey)));
    const value = el('span', 'value', sig.present === false || sig.metricValue === null || sig.metricValue === undefined ? '—' : String(sig.metricValue));
    if (sig.present !== false && sig.metricUnit) value.append(el('small', '', sig.metricUnit));
    row.append(value);
    li.append(row);
    li.append(el('div', 'detail', sig.present === false ? 'Not measured in this session.' : sig.detail ?? sig.mseLine ?? ''));
    if (sig.present !== false && sig.interpretation) li.append(el('span', 'chip', humanize(sig.interpretation)));
    list.append(li);
  }
  const narrative = $('narrative');
  narrative.replaceChildren(...(data.mseNarrative ?? []).map((line) => el('li', '', line)));
  if (!narrative.children.length) narrative.append(el('li', '', 'No clinical-attention findings; borderline readings, if any, are listed with each signal.'));
  $('disclaimer').textContent = data.disclaimer ?? '';
  $('sent').textContent = `POST /v1/dmse/analyze\n${JSON.stringify(sent, null, 2)}`;
  // Shown open: the whole request is a few numbers, and seeing that is the point.
  $('sent').closest('details').open = true;
  const conf = $('confidence');
  if (data.overallConfidence) {
    conf.textContent = `${humanize(data.overallConfidence)} confidence · ${data.signalsPresent ?? 0} signal${data.signalsPresent === 1 ? '' : 's'}`;
    conf.className = `pill ${String(data.overallConfidence).toLowerCase()}`;
    conf.hidden = false;
  }
  $('empty').hidden = true;
  $('result').hidden = false;
}

async function start() {
  $('error').hidden = true;
  if (!window.isSecureContext || !navigator.mediaDevices || !window.AudioWorkletNode) {
    showError({ message: 'This browser cannot capture here: the microphone and AudioWorklet need HTTPS (or localhost) and a current browser.' });
    return;
  }
  try {
    const session = new AttunioSession({ publishableKey: $('key').value.trim(), baseUrl: location.origin });
    setState('capturing');
    setStatus('Starting…', 'busy');
    demo.stream = await fromUserMedia({ audio: true });
    demo.session = session;
    session.addEventListener('update', (e) => renderLive(e.detail));
    session.attach(demo.stream);
    await session.ready;
    setStatus('Waiting for speech', 'listening');
  } catch (err) {
    stopStream();
    setState('idle');
    setStatus('Ready', 'idle');
    showError(err.name === 'NotAllowedError' ? { message: 'Microphone access was refused. Allow it in the browser and try again.' } : err);
  }
}

function stopStream() {
  demo.stream?.getTracks().forEach((t) => t.stop());
  demo.stream = null;
}

async function analyze() {
  const session = demo.session;
  session.stop();
  stopStream();
  setState('analyzing');
  setStatus('Analysing…', 'busy');
  renderLive({ live: session.live(), metrics: session.metrics() });
  setStatus('Analysing…', 'busy');
  try {
    const data = await session.analyze();
    demo.lastRequest = session.lastRequest;
    demo.lastResult = data;
    renderResult(data, session.lastRequest);
    setStatus('Analysis complete', 'speaking');
    setState('done');
  } catch (err) {
    demo.lastRequest = session.lastRequest;
    showError(err);
    setStatus('Not analysed', 'idle');
    setState('error');
  }
}

function reset() {
  demo.session = null;
  demo.lastResult = null;
  $('error').hidden = true;
  $('result').hidden = true;
  $('empty').hidden = false;
  $('confidence').hidden = true;
  setStatus('Ready', 'idle');
  setState('idle');
}

readUrlParams();
window.addEventListener('hashchange', readUrlParams);
$('start').addEventListener('click', start);
$('analyze').addEventListener('click', analyze);
$('reset').addEventListener('click', reset);
setState('idle');
