// A Debian Chromium (via playwright-core) that the pytest module steers line by line: it reads one
// JSON command per line on stdin and answers one JSON line on stdout, so the Python test can act in
// the browser, make its own HTTP requests and the CLI calls between steps, and assert on each answer.
// Every wait is on a selector, a text or a response, never on time.
//
// Usage: node driver.mjs CONFIG.json   CONFIG: { chromium, baseUrl, outDir }
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// One node_modules for every browser test: the one scripts/install-browser-deps fills.
const require = createRequire(new URL('../browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const profile = mkdtempSync(join(tmpdir(), 'attunio-chromium-admin-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: config.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
});
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: config.baseUrl });
const page = context.pages()[0] ?? (await context.newPage());
const consoleLog = [];
const responses = [];
page.on('console', (m) => consoleLog.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => consoleLog.push(`pageerror: ${e.message}`));
page.on('response', (r) => {
  const url = new URL(r.url());
  responses.push({ method: r.request().method(), path: url.pathname, status: r.status(),
    csp: r.headers()['content-security-policy'] || null, type: r.request().resourceType() });
});
// A CSP violation is reported to the page as an event; each one is handed out of the page at once,
// so none is lost when the page navigates.
const violations = [];
await page.exposeFunction('__cspViolation', (text) => { violations.push(text); });
await page.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
});

const ready = () => page.waitForSelector('body[data-state="ready"]', { timeout: 20000 });

const ops = {
  async goto({ path }) {
    const answer = await page.goto(config.baseUrl + path, { waitUntil: 'load' });
    await ready();
    return { status: answer.status(), headers: answer.headers(), url: page.url() };
  },
  async reload() {
    await page.reload({ waitUntil: 'load' });
    await ready();
    return { url: page.url() };
  },
  // Follow a nav link and wait for the page it names to be drawn.
  async nav({ name, page: pageName }) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.waitForSelector(`body[data-state="ready"][data-page="${pageName}"]`, { timeout: 20000 });
    return { url: page.url() };
  },
  async fill({ selector, value }) {
    await page.locator(selector).fill(value);
    return {};
  },
  async select({ selector, value }) {
    await page.locator(selector).selectOption(value);
    return {};
  },
  // Click, and when asked, wait for the answer to a request (method + path prefix) the click makes.
  async click({ selector, response }) {
    const target = page.locator(selector);
    if (!response) {
      await target.click();
      return {};
    }
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === response.method && new URL(r.url()).pathname.startsWith(response.path), { timeout: 20000 }),
      target.click(),
    ]);
    let body = null;
    try { body = await answer.json(); } catch { body = null; }
    return { status: answer.status(), body };
  },
  async press({ key }) {
    await page.keyboard.press(key);
    return {};
  },
  async waitText({ selector, text }) {
    await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 20000 });
    return {};
  },
  async waitGone({ selector }) {
    await page.locator(selector).first().waitFor({ state: 'detached', timeout: 20000 });
    return {};
  },
  async waitReady({ page: pageName }) {
    await page.waitForSelector(`body[data-state="ready"][data-page="${pageName}"]`, { timeout: 20000 });
    return {};
  },
  async texts({ selector }) {
    return { texts: await page.locator(selector).allTextContents() };
  },
  async values({ selector }) {
    return { values: await page.locator(selector).evaluateAll((nodes) => nodes.map((n) => n.value)) };
  },
  async count({ selector }) {
    return { count: await page.locator(selector).count() };
  },
  async focused() {
    return await page.evaluate(() => {
      const el = document.activeElement;
      return { tag: el.tagName, text: (el.textContent || '').trim().slice(0, 80), id: el.id, href: el.getAttribute('href') };
    });
  },
  async clipboard() {
    return { text: await page.evaluate(() => navigator.clipboard.readText()) };
  },
  async download({ selector }) {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.locator(selector).click()]);
    const path = join(config.outDir, download.suggestedFilename());
    await download.saveAs(path);
    return { path, name: download.suggestedFilename() };
  },
  async viewport({ width, height }) {
    await page.setViewportSize({ width, height });
    return {};
  },
  // Anything wider than the viewport: the document, and each element whose right edge passes it.
  async overflow() {
    return await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [];
      for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || el.closest('.scroll')) continue;
        if (box.right > width + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, clientWidth: width, wide: wide.slice(0, 20) };
    });
  },
  async axe() {
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
    return { violations: result };
  },
  async screenshot({ name, fullPage, selector }) {
    const path = join(config.outDir, `${name}.png`);
    if (selector) await page.locator(selector).screenshot({ path });
    else await page.screenshot({ path, fullPage: Boolean(fullPage) });
    return { path };
  },
  async log() {
    return { console: consoleLog.splice(0), violations: violations.splice(0), responses: responses.splice(0) };
  },
};

const lines = createInterface({ input: process.stdin });
try {
  for await (const line of lines) {
    if (!line.trim()) continue;
    const command = JSON.parse(line);
    if (command.op === 'close') break;
    let reply;
    try {
      reply = { ok: true, ...(await ops[command.op](command)) };
    } catch (error) {
      reply = { ok: false, error: String(error && error.message ? error.message : error).slice(0, 4000) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
