// Overview, Apps and keys, Usage and Audit. Each page function draws into `root` and resolves once
// its data is shown; body[data-state=ready] then tells a waiting test or reader it is complete.
import { barChart, horizontalBars, meter } from './charts.js';
import { announce, api, confirmAction, field, form, h, number, pairs, session, when } from './dom.js';
import { modelsPage } from './models.js';

function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), children);
}

function text(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function objectPairs(object) {
  return pairs(Object.entries(object || {}).map(([k, v]) => [k, /At$|Until$|After$/.test(k) ? when(v) : text(v)]));
}

async function overview(root) {
  const o = await api('GET', '/overview');
  const license = o.license || {};
  const warnings = o.warnings || [];
  root.append(
    warnings.length
      ? h('section', { class: 'card warn', 'aria-labelledby': 'warn-title' }, h('h2', { id: 'warn-title' }, 'Warnings'),
        h('ul', {}, warnings.map((w) => h('li', {}, w))))
      : h('p', { class: 'ok-note' }, 'No warnings.'),
    h('div', { class: 'grid' },
      section('Health', objectPairs(o.health)),
      section('License', pairs([
        ['Plan', text(license.plan)], ['Monthly allowance', number(license.allowance)],
        ['Expires', when(license.expiresAt)], ['Grace until', when(license.graceUntil)],
        ['Production access', text(license.productionAccess)], ['State', text(license.state)]])),
      section('Certificate', pairs([
        ['Not after', when(o.certificate && o.certificate.notAfter)],
        ['Days left', text(o.certificate && o.certificate.daysLeft)]])),
      section('Store', pairs([['Kind', text(o.store && o.store.kind)], ['Path', text(o.store && o.store.path)]])),
      section('Last backup', o.lastBackup ? pairs([['At', when(o.lastBackup.at)], ['File', text(o.lastBackup.file)]])
        : h('p', {}, 'No backup has been taken. Take one with `attunio backup`.')),
      section('Version', h('p', {}, text(o.version))),
      section('Trusted vendor keys', (o.vendorKeys || []).length
        ? h('ul', { class: 'plain' }, o.vendorKeys.map((k) => h('li', {}, h('code', {}, k.id), ' ', h('span', { class: 'fp' }, k.fingerprint))))
        : h('p', {}, 'None.'))),
  );
}

// --- Apps and keys --------------------------------------------------------------------------------

function isAdmin() {
  return Boolean(session.admin && session.admin.role === 'admin');
}

function originsList(textValue) {
  return textValue.split(/[\s,]+/).map((o) => o.trim()).filter(Boolean);
}

// The full key, once: a read-only field, a copy button, and a warning that it will not be shown again.
function secretPanel(secret, what) {
  const input = h('input', { type: 'text', readonly: true, value: secret, class: 'secret', 'data-secret': '' });
  const copied = h('span', { class: 'hint', role: 'status' });
  const copy = h('button', { type: 'button', on: { click: async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = 'Copied.';
    } catch {
      input.select();
      copied.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  } } }, 'Copy');
  const dismiss = h('button', { type: 'button', class: 'link', on: { click: () => panel.remove() } }, 'I have stored it');
  const panel = h('div', { class: 'once', role: 'group', 'aria-label': what },
    h('p', {}, h('strong', {}, `${what}: shown once. `), 'Store it now; the appliance keeps only a hash and cannot show it again.'),
    field('Key', input), h('div', { class: 'actions' }, copy, dismiss, copied));
  return panel;
}

function keyRow(key, refresh, reveal) {
  const status = key.revokedAt ? `revoked ${when(key.revokedAt)}` : key.expiresAt ? `expires ${when(key.expiresAt)}` : 'active';
  const actions = h('div', { class: 'row-actions' });
  if (!key.revokedAt) {
    actions.append(h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', on: { click: async (event) => {
      const reason = await confirmAction('Revoke this key?', `${key.label || key.prefix} (…${key.last4}) stops working at once. This cannot be undone.`, 'Revoke', { askReason: true });
      if (reason === null) return;
      const button = event.target;
      button.disabled = true;
      try {
        await api('POST', `/keys/${encodeURIComponent(key.id)}/revoke`, { reason });
        announce(`Key …${key.last4} revoked.`);
        await refresh();
      } catch (failure) {
        announce(`Revoke failed: ${failure.message}`);
        button.disabled = false;
      }
    } } }, 'Revoke'));
    const hours = h('input', { type: 'number', min: '0', max: '720', value: '24', inputmode: 'numeric', class: 'short' });
    const rotateReason = h('input', { type: 'text', maxlength: '500', 'data-field': 'reason' });
    actions.append(form({ class: 'inline', 'data-form': 'rotate' }, [field('Overlap hours', hours, 'How long the old key keeps working (0: revoked now).'),
      field('Reason', rotateReason), h('button', { type: 'submit' }, 'Rotate')], async () => {
      const answer = await api('POST', `/keys/${encodeURIComponent(key.id)}/rotate`, { overlapHours: Number(hours.value), reason: rotateReason.value.trim() });
      announce(`Key rotated; the old one works until ${when(answer.oldKeyExpiresAt)}.`);
      await refresh();
      reveal(secretPanel(answer.secret, `New key for ${key.label || key.prefix}`));
    }));
    if (key.type === 'publishable') {
      const origins = h('textarea', { rows: '2', spellcheck: 'false', 'data-field': 'origins' }, (key.allowedOrigins || []).join('\n'));
      actions.append(form({ class: 'inline', 'data-form': 'origins' }, [field('Allowed origins', origins, 'One per line: scheme://host[:port], no path.'),
        h('button', { type: 'submit' }, 'Save origins')], async () => {
        await api('PUT', `/keys/${encodeURIComponent(key.id)}/origins`, { allowedOrigins: originsList(origins.value) });
        announce('Allowed origins saved.');
        await refresh();
      }));
    }
  }
  return h('article', { class: 'key', 'data-key': key.id, 'aria-label': `Key ${key.label || key.prefix} …${key.last4}` },
    h('h3', {}, key.label || 'unlabelled key', ' ', h('code', {}, `${key.prefix}…${key.last4}`)),
    pairs([['Kind', `${key.type}, ${key.mode}`],
      ['Allowed origins', (key.allowedOrigins || []).length ? h('ul', { class: 'plain', 'data-field': 'origins-list' }, key.allowedOrigins.map((o) => h('li', {}, o))) : '—'],
      ['Created', when(key.createdAt)],
      ['Last used', h('span', { 'data-field': 'lastUsed' }, key.lastUsedAt ? when(key.lastUsedAt) : 'never')],
      ['Status', h('span', { 'data-field': 'status', class: key.revokedAt ? 'revoked' : '' }, status)]]),
    actions);
}

function createKeyForm(app, refresh, reveal) {
  const type = h('select', {}, h('option', { value: 'secret' }, 'secret (server to server)'), h('option', { value: 'publishable' }, 'publishable (browser)'));
  const mode = h('select', {}, h('option', { value: 'test' }, 'test (sandbox)'), h('option', { value: 'live' }, 'live'));
  const label = h('input', { type: 'text', maxlength: '100' });
  const origins = h('textarea', { rows: '2', spellcheck: 'false' });
  const originsField = field('Allowed origins', origins, 'Publishable keys only; one per line.');
  originsField.hidden = true;
  type.addEventListener('change', () => { originsField.hidden = type.value !== 'publishable'; });
  return form({ class: 'stack', 'data-form': 'create-key' }, [
    h('h3', {}, 'New key'),
    h('div', { class: 'fields' }, field('Type', type), field('Mode', mode), field('Label', label), originsField),
    h('button', { type: 'submit' }, 'Create key')], async () => {
    const body = { type: type.value, mode: mode.value, label: label.value.trim(), allowedOrigins: type.value === 'publishable' ? originsList(origins.value) : [] };
    const answer = await api('POST', `/apps/${encodeURIComponent(app.id)}/keys`, body);
    label.value = '';
    origins.value = '';
    announce('Key created.');
    await refresh();
    reveal(secretPanel(answer.secret, `New ${answer.key.type} key ${answer.key.label || ''}`.trim()));
  });
}

async function keys(root) {
  const revealed = h('div', { class: 'revealed', 'aria-live': 'polite' });
  const list = h('div', {});
  const reveal = (panel) => {
    revealed.replaceChildren(panel);
    panel.querySelector('input').focus();
  };
  const refresh = async () => {
    const { apps } = await api('GET', '/apps');
    list.replaceChildren(...(apps.length ? apps.map((app) => h('section', { class: 'card', 'data-app': app.id, 'aria-labelledby': `app-${app.id}` },
      h('h2', { id: `app-${app.id}` }, app.name), h('p', { class: 'hint' }, `${app.id} · created ${when(app.createdAt)}`),
      app.keys.length ? h('div', { class: 'keys' }, app.keys.map((key) => keyRow(key, refresh, reveal))) : h('p', {}, 'No keys yet.'),
      createKeyForm(app, refresh, reveal))) : [h('p', {}, 'No apps yet.')]));
  };
  const name = h('input', { type: 'text', required: true, maxlength: '100' });
  if (!isAdmin()) root.append(h('p', { class: 'hint' }, 'Apps and keys are managed by an admin; as a reviewer you see them, and the appliance refuses changes.'));
  root.append(revealed, form({ class: 'card inline', 'data-form': 'create-app' }, [field('New app name', name), h('button', { type: 'submit' }, 'Create app')], async () => {
    await api('POST', '/apps', { name: name.value.trim() });
    announce(`App ${name.value.trim()} created.`);
    name.value = '';
    await refresh();
  }), list);
  await refresh();
}

// --- Usage ----------------------------------------------------------------------------------------

function thisMonth() {
  return new Date().toISOString().slice(0, 7);
}

async function usage(root) {
  const month = h('input', { type: 'month', value: thisMonth(), required: true });
  const out = h('div', { class: 'usage' });
  const draw = async () => {
    const u = await api('GET', `/usage?month=${encodeURIComponent(month.value)}`);
    const days = u.days || [];
    const endpoints = Object.entries(u.byEndpoint || {}).sort((a, b) => b[1] - a[1]);
    const dailyShare = u.allowance && days.length ? u.allowance / days.length : null;
    const sandboxDays = (u.sandbox && u.sandbox.days) || [];
    out.replaceChildren(
      h('div', { class: 'grid' }, section('This month', pairs([
        ['Used', h('span', { 'data-field': 'used' }, number(u.used))], ['Allowance', number(u.allowance)],
        ['Overage', h('span', { 'data-field': 'overage' }, number(u.overage))],
        ['Sandbox (test keys)', h('span', { 'data-field': 'sandbox' }, `${number(u.sandbox && u.sandbox.used)} calls this month; daily limit ${number(u.sandbox && u.sandbox.limit)}`)]])),
      section('Report', h('p', {}, 'The signed monthly usage report, the file `attunio usage report` writes:'),
        isAdmin()
          ? h('a', { href: `/admin/api/usage/report?month=${encodeURIComponent(u.month || month.value)}`, class: 'button', download: '' }, `Download the ${u.month || month.value} report`)
          : h('p', { class: 'hint' }, 'Signing a report is an admin\u2019s task; sign in as an admin to download it.'))),
      meter('Calls against the monthly allowance', u.used || 0, u.allowance || 0),
      barChart('Calls per day', days.map((d) => d.date.slice(5)), days.map((d) => d.calls),
        { limit: dailyShare, limitLabel: dailyShare ? `even daily share ${number(Math.round(dailyShare))}` : '' }),
      horizontalBars('Calls per endpoint', endpoints.map((e) => e[0]), endpoints.map((e) => e[1])),
      sandboxDays.length ? barChart('Sandbox calls per day (test keys)', sandboxDays.map((d) => d.date.slice(5)), sandboxDays.map((d) => d.calls),
        { limit: u.sandbox.limit || null, limitLabel: `daily limit ${number(u.sandbox.limit)}` }) : null);
  };
  root.append(form({ class: 'card inline', 'data-form': 'month' }, [field('Month', month), h('button', { type: 'submit' }, 'Show')], draw), out);
  await draw();
}

// --- Audit ----------------------------------------------------------------------------------------

function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : '';
}

async function audit(root) {
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const actor = h('input', { type: 'text', placeholder: 'admin:adm_…' });
  const action = h('input', { type: 'text', placeholder: 'key.revoke' });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Older entries');
  const exportLink = h('a', { class: 'button', href: '/admin/api/audit/export', download: '' }, 'Export as JSON Lines');
  const verifyOut = h('p', { 'data-field': 'verify', role: 'status' });
  let next = null;
  const query = (before) => {
    const q = new URLSearchParams();
    if (from.value) q.set('from', isoFromLocal(from.value));
    if (to.value) q.set('to', isoFromLocal(to.value));
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (action.value.trim()) q.set('action', action.value.trim());
    q.set('limit', '100');
    if (before) q.set('before', String(before));
    return q;
  };
  const load = async (append) => {
    const answer = await api('GET', `/audit?${query(append ? next : null)}`);
    const rows = answer.entries.map((e) => h('tr', { 'data-action': e.action },
      h('td', {}, String(e.seq)), h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.action),
      h('td', {}, [e.objectType, e.objectId].filter(Boolean).join(' ')), h('td', {}, e.reason || ''),
      h('td', { class: 'detail' }, e.detail ? (typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)) : '')));
    if (append) body.append(...rows);
    else body.replaceChildren(...(rows.length ? rows : [h('tr', { 'data-empty': '' }, h('td', { colspan: '7' }, 'No entries match these filters.'))]));
    next = answer.next;
    more.hidden = next === null || next === undefined;
    const exportQuery = new URLSearchParams();
    if (from.value) exportQuery.set('from', isoFromLocal(from.value));
    if (to.value) exportQuery.set('to', isoFromLocal(to.value));
    exportLink.href = `/admin/api/audit/export${exportQuery.size ? `?${exportQuery}` : ''}`;
  };
  more.addEventListener('click', () => { load(true).catch((f) => announce(f.message)); });
  const verify = h('button', { type: 'button', on: { click: async () => {
    verifyOut.textContent = 'Checking…';
    try {
      const v = await api('GET', '/audit/verify');
      verifyOut.textContent = v.ok ? `The chain is intact: ${number(v.entries)} entries verified.`
        : `The chain is broken at entry ${v.firstBad} (${number(v.entries)} entries read).`;
      verifyOut.className = v.ok ? 'ok-note' : 'error';
    } catch (failure) {
      verifyOut.textContent = failure.message;
    }
  } } }, 'Verify the chain');
  const region = h('div', { class: 'scroll', role: 'region', tabindex: '0', 'aria-label': 'Audit entries' },
    h('table', { class: 'audit' }, h('caption', {}, 'Audit entries, newest first'),
      h('thead', {}, h('tr', {}, ['Seq', 'At (UTC)', 'Actor', 'Action', 'Object', 'Reason', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))), body));
  root.append(
    form({ class: 'card', 'data-form': 'audit-filter' }, [h('div', { class: 'fields' },
      field('From', from), field('To', to), field('Actor', actor), field('Action', action)),
    h('button', { type: 'submit' }, 'Apply filters')], () => load(false)),
    h('section', { class: 'card' }, h('h2', {}, 'Chain and export'), h('div', { class: 'actions' }, verify, exportLink), verifyOut),
    region, more);
  await load(false);
}

export const PAGES = { overview, keys, usage, models: modelsPage, audit };
export { session };
