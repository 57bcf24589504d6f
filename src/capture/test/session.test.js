import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AttunioSession, AttunioError, analyzeEndpoint } from '../capture.js';
import { extractFeatures } from '../dsp.js';
import { syllableTrain, silence, concat } from './synth.js';

const SR = 16000;
const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function features(...parts) {
  return extractFeatures(concat(...parts), SR);
}

test('publishable keys only: secret keys are refused in the browser', () => {
  assert.throws(() => new AttunioSession({ publishableKey: 'att_sk_test_x', baseUrl: 'http://a' }), /Secret keys/);
  assert.throws(() => new AttunioSession({ baseUrl: 'http://a' }), AttunioError);
  assert.ok(new AttunioSession({ publishableKey: 'att_pk_test_x', baseUrl: 'http://a' }));
});

test('endpoint accepts a base with or without /v1', () => {
  assert.equal(analyzeEndpoint('https://h.example/'), 'https://h.example/v1/dmse/analyze');
  assert.equal(analyzeEndpoint('https://h.example/api/v1'), 'https://h.example/api/v1/dmse/analyze');
});

test('video signals are range-checked', () => {
  const s = new AttunioSession({ publishableKey: 'att_pk_test_x', baseUrl: 'http://a' });
  assert.throws(() => s.setVideoSignals({ sustainedAttentionPct: 101 }), RangeError);
  assert.throws(() => s.setVideoSignals({ psychomotorFidgetEpisodes: '4' }), RangeError);
  s.setVideoSignals({ psychomotorFidgetEpisodes: 4, sustainedAttentionPct: 72 });
  assert.deepEqual(s.payload(), { psychomotorFidgetEpisodes: 4, sustainedAttentionPct: 72 });
  s.setVideoSignals({ sustainedAttentionPct: 60 }); // leaves the other one alone
  s.setVideoSignals({ psychomotorFidgetEpisodes: null }); // null removes
  assert.deepEqual(s.payload(), { sustainedAttentionPct: 60 });
});

test('analyze() POSTs exactly the documented fields and returns data', async () => {
  const s = new AttunioSession({ publishableKey: 'att_pk_test_abc', baseUrl: 'https://appliance.example', sessionRef: 'visit_1' });
  // Clinician asks, patient answers 1.2 s later; twice.
  const q = syllableTrain({ sampleRate: SR, rate: 4, count: 8, f0: 110 });
  const a = syllableTrain({ sampleRate: SR, rate: 4, count: 12, f0: 210 });
  s.ingestFeatures('clinician', features(silence(SR, 0.5), q, silence(SR, 4.2), q, silence(SR, 4.2)));
  s.ingestFeatures('patient', features(silence(SR, 2.5), silence(SR, 1.2), a, silence(SR, 2), silence(SR, 1.2), a));
  let seen;
  globalThis.fetch = async (url, init) => {
    seen = { url, init };
    return new Response(JSON.stringify({ ok: true, data: { object: 'dmse.analysis', signalsPresent: 2 } }), { status: 200 });
  };
  const data = await s.analyze();
  assert.equal(data.object, 'dmse.analysis');
  assert.equal(seen.url, 'https://appliance.example/v1/dmse/analyze');
  assert.equal(seen.init.method, 'POST');
  assert.equal(seen.init.credentials, 'omit');
  assert.equal(seen.init.headers.Authorization, 'Bearer att_pk_test_abc');
  assert.equal(seen.init.headers['Content-Type'], 'application/json');
  const body = JSON.parse(seen.init.body);
  assert.deepEqual(Object.keys(body).sort(), ['responseLatencySeconds', 'sessionDurationSeconds', 'sessionRef', 'speechRateWpm']);
  assert.ok(Math.abs(body.responseLatencySeconds - 1.2) < 0.05, `latency ${body.responseLatencySeconds}`);
  assert.ok(Math.abs(body.speechRateWpm - 160) < 16, `rate ${body.speechRateWpm}`);
  assert.deepEqual(s.lastRequest, body);
  assert.equal(s.metrics().latencySource, 'two-stream');
});

test('analyze() surfaces API errors with their code and issues', async () => {
  const s = new AttunioSession({ publishableKey: 'att_pk_test_abc', baseUrl: 'http://a' });
  s.setVideoSignals({ sustainedAttentionPct: 50 });
  globalThis.fetch = async () =>
    new Response(JSON.stringify({ ok: false, error: { code: 'forbidden', message: 'This origin is not allowed' } }), { status: 403 });
  await assert.rejects(s.analyze(), (e) => e instanceof AttunioError && e.code === 'forbidden' && e.status === 403);
});

test('analyze() refuses to send an empty request', async () => {
  const s = new AttunioSession({ publishableKey: 'att_pk_test_abc', baseUrl: 'http://a' });
  s.ingestFeatures('patient', features(silence(SR, 2)));
  globalThis.fetch = async () => assert.fail('must not POST');
  await assert.rejects(s.analyze(), (e) => e.code === 'no_signals');
});

test('one stream: latency falls back to turn-sized silences, or is left out when disabled', () => {
  const a = syllableTrain({ sampleRate: SR, rate: 4, count: 8 });
  const track = features(silence(SR, 0.5), a, silence(SR, 1.5), a, silence(SR, 0.3), a, silence(SR, 0.5));
  const s = new AttunioSession({ publishableKey: 'att_pk_test_abc', baseUrl: 'http://a' });
  s.ingestFeatures('patient', track);
  const m = s.metrics();
  assert.equal(m.latencySource, 'single-stream');
  assert.ok(Math.abs(m.responseLatencySeconds - 1.5) < 0.05, `latency ${m.responseLatencySeconds}`);
  const off = new AttunioSession({ publishableKey: 'att_pk_test_abc', baseUrl: 'http://a', options: { singleStreamLatency: false } });
  off.ingestFeatures('patient', track);
  assert.equal(off.metrics().latencySource, null);
  assert.equal('responseLatencySeconds' in off.payload(), false);
  assert.ok(off.payload().speechRateWpm > 0);
});
