// Loads a served appliance's /docs reference page in Debian's chromium (via playwright-core) and
// reports, as JSON, what the page rendered, every request it made, every console message, page
// error and CSP violation. The pytest module asserts.
//
// Usage: node docs_run.mjs CONFIG.json > RESULT.json   CONFIG: { chromium, baseUrl, outDir }
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const netLog = join(config.outDir, 'netlog-docs.json');
const profile = mkdtempSync(join(tmpdir(), 'attunio-chromium-docs-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: config.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--log-net-log=${netLog}`, '--net-log-capture-mode=Default'],
  viewport: { width: 1360, height: 940 },
});
const requests = [];
const consoleLog = [];
const cdpRequests = [];
try {
  context.on('request', (req) => requests.push({ method: req.method(), url: req.url(), type: req.resourceType() }));
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (e) => cdpRequests.push({ method: e.request.method, url: e.request.url }));
  await cdp.send('Network.enable');
  page.on('console', (m) => consoleLog.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLog.push(`pageerror: ${e.message}`));
  // A CSP violation is reported to the page as an event; record every one.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const answer = await page.goto(`${config.baseUrl}/docs`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 30000 });
  await page.waitForTimeout(300); // let any late request or console message arrive
  const rendered = await page.evaluate(() => ({
    state: document.body.dataset.state,
    title: document.getElementById('title').textContent,
    operations: [...document.querySelectorAll('[data-operation]')].map((n) => n.dataset.operation),
    statuses: [...document.querySelectorAll('[data-operation="relapse_risk"] [data-status]')].map((n) => n.dataset.status),
    schemas: document.querySelectorAll('section.schema').length,
    fieldRows: document.querySelectorAll('section.schema td.name').length,
    violations: window.__violations,
    text: document.body.innerText.slice(0, 20000),
  }));
  await page.screenshot({ path: join(config.outDir, 'docs.png'), fullPage: false });
  console.log(JSON.stringify({ status: answer.status(), csp: answer.headers()['content-security-policy'], ...rendered,
    requests, cdpRequests, console: consoleLog, netLog }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
