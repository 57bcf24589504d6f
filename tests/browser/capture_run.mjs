// Drives Debian's chromium (via playwright-core) against a served appliance's
// /demo page and reports what happened as JSON; the pytest module asserts.
//
// Usage: node capture_run.mjs CONFIG.json > RESULT.json
// CONFIG: { chromium, baseUrl, key, outDir,
//           rateCases: [{ name, wav, timeoutSec, key?, screenshot? }],
//           twoStream: { patientWav, clinicianWav, durationSec } | null,
//           screenshotCase }
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// Flags required for a hermetic run: no network chatter of Chromium's own,
// no GPU, and a fake microphone fed from a WAV played once (%noloop).
let launches = 0;
function argsFor(wav) {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ];
  if (wav) args.push(`--use-file-for-fake-audio-capture=${wav}%noloop`);
  // Chromium's own record of every request any part of it made (page,
  // worklets, the browser process), independent of the driver.
  if (config.outDir) args.push(`--log-net-log=${join(config.outDir, `netlog-${launches++}.json`)}`, '--net-log-capture-mode=Default');
  return args;
}

async function withBrowser(wav, fn) {
  const profile = mkdtempSync(join(tmpdir(), 'attunio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium,
    headless: true,
    args: argsFor(wav),
    viewport: { width: 1360, height: 940 },
  });
  const network = [];
  const pending = [];
  // Every request the page makes, with headers and body, so the test can
  // prove nothing but the derived-number POST reaches the API.
  context.on('request', (req) => {
    pending.push(
      (async () => {
        const buf = req.postDataBuffer();
        network.push({
          method: req.method(),
          url: req.url(),
          resourceType: req.resourceType(),
          headers: await req.allHeaders().catch(() => req.headers()),
          bodyBytes: buf ? buf.length : 0,
          body: buf ? buf.toString('utf8') : null,
        });
      })(),
    );
  });
  const consoleLog = [];
  // Chromium's own view too: it also sees worklet module fetches and CORS
  // preflights, which Playwright's request event does not report.
  const cdpNetwork = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (e) => {
      cdpNetwork.push({
        method: e.request.method,
        url: e.request.url,
        type: e.type ?? null,
        headers: e.request.headers,
        hasPostData: Boolean(e.request.hasPostData),
        postData: e.request.postData ?? null,
      });
    });
    await cdp.send('Network.enable');
    page.on('console', (m) => consoleLog.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLog.push(`pageerror: ${e.message}`));
    const out = await fn(page);
    await Promise.all(pending);
    return { ...out, network, cdpNetwork, console: consoleLog, netLog: config.outDir ? join(config.outDir, `netlog-${launches - 1}.json`) : null };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const demoUrl = (key = config.key) => `${config.baseUrl}/demo#key=${encodeURIComponent(key)}`;

async function rateCase(c) {
  return withBrowser(c.wav, async (page) => {
    await page.goto(demoUrl(c.key), { waitUntil: 'load' });
    // Every state the live indicator passes through, as a person would see it.
    await page.evaluate(() => {
      window.__statusSeen = new Set();
      const el = document.getElementById('status');
      new MutationObserver(() => window.__statusSeen.add(el.className.replace('pill', '').trim())).observe(el, {
        attributes: true,
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('#start');
    // Speech is over once something was heard and the stream has been quiet
    // for longer than any pause inside the utterance.
    await page.waitForFunction(
      () => {
        const p = window.attunioDemo.session?.live().patient;
        return p && p.heardSpeech && p.silenceSeconds > 1.8;
      },
      null,
      { timeout: c.timeoutSec * 1000, polling: 200 },
    );
    await page.click('#analyze');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 20000 });
    const state = await page.evaluate(() => ({
      state: window.attunioDemo.state,
      request: window.attunioDemo.lastRequest,
      result: window.attunioDemo.lastResult,
      error: window.attunioDemo.lastError,
      statusSeen: [...window.__statusSeen],
      metrics: (({ segments, nucleiTimes, clinicianSegments, ...m }) => ({ ...m, segments }))(window.attunioDemo.session.metrics()),
    }));
    if (config.screenshotCase === c.name || c.screenshot) {
      await page.waitForTimeout(300);
      const file = c.screenshot ?? 'demo-after-analysis.png';
      await page.screenshot({ path: join(config.outDir, file), fullPage: true });
    }
    state.errorShown = await page.locator('#error').isVisible() ? await page.locator('#error').textContent() : null;
    return { name: c.name, ...state };
  });
}

async function twoStream(t) {
  const wavs = {
    patient: readFileSync(t.patientWav).toString('base64'),
    clinician: readFileSync(t.clinicianWav).toString('base64'),
  };
  return withBrowser(null, async (page) => {
    await page.goto(demoUrl(), { waitUntil: 'load' });
    // A click gives the page user activation, so AudioContexts may start.
    await page.click('#key');
    const state = await page.evaluate(
      async ({ wavs, key, baseUrl, durationSec }) => {
        const { AttunioSession } = await import('/sdk/capture.js');
        // Two MediaStreams built in-page from known audio: what a call would
        // give for the local patient and the remote clinician.
        const ctx = new AudioContext();
        const streams = {};
        const sources = [];
        for (const role of ['patient', 'clinician']) {
          const bytes = Uint8Array.from(atob(wavs[role]), (ch) => ch.charCodeAt(0));
          const buffer = await ctx.decodeAudioData(bytes.buffer);
          const src = new AudioBufferSourceNode(ctx, { buffer });
          const dest = ctx.createMediaStreamDestination();
          src.connect(dest);
          streams[role] = dest.stream;
          sources.push(src);
        }
        const session = new AttunioSession({ publishableKey: key, baseUrl, sessionRef: 'browser-two-stream' });
        session.attach(streams.patient);
        session.attachRemote(streams.clinician);
        await session.ready;
        const at = ctx.currentTime + 0.3;
        for (const s of sources) s.start(at);
        await new Promise((r) => setTimeout(r, (durationSec + 1.5) * 1000));
        session.stop();
        const metrics = session.metrics();
        let result = null;
        let error = null;
        try {
          result = await session.analyze();
        } catch (e) {
          error = { code: e.code, message: e.message };
        }
        await ctx.close();
        return {
          request: session.lastRequest,
          result,
          error,
          latencies: metrics.latencies.map((l) => l.latency),
          latencySource: metrics.latencySource,
          patientSegments: metrics.segments,
          clinicianSegments: metrics.clinicianSegments,
        };
      },
      { wavs, key: config.key, baseUrl: config.baseUrl, durationSec: t.durationSec },
    );
    return { name: 'two-stream', ...state };
  });
}

const results = { rateCases: [], twoStream: null };
for (const c of config.rateCases) results.rateCases.push(await rateCase(c));
if (config.twoStream) results.twoStream = await twoStream(config.twoStream);
process.stdout.write(JSON.stringify(results, null, 1));
