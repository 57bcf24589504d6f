// Small DOM and API helpers. Every piece of text from the server goes in through textContent or
// an attribute value, never parsed as HTML, so no data can become markup.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === 'class') {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field: label, control, optional hint tied by aria-describedby.
export function field(label, control, hint) {
  const id = control.id || nextId('f');
  control.id = id;
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), control);
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    wrap.append(h('p', { class: 'hint', id: hintId }, hint));
  }
  return wrap;
}

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:\d\dZ$/, ' UTC');
}

export function number(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-GB');
}

// A definition list from [term, value] pairs; values are text or nodes.
export function pairs(rows) {
  const list = h('dl', { class: 'pairs' });
  for (const [term, value] of rows) list.append(h('dt', {}, term), h('dd', {}, value ?? '—'));
  return list;
}

// A table inside a horizontally scrolling region, so a narrow screen scrolls the table, not the page.
export function table(caption, headings, rows) {
  const head = h('tr', {}, headings.map((text) => h('th', { scope: 'col' }, text)));
  const body = h('tbody', {}, rows);
  const region = h('div', { class: 'scroll', role: 'region', tabindex: '0', 'aria-label': caption },
    h('table', {}, h('caption', {}, caption), h('thead', {}, head), body));
  return region;
}

export class ApiFailure extends Error {
  constructor(status, body, retryAfter) {
    const error = body && body.error ? body.error : null;
    super(error ? error.message : `The appliance answered ${status}.`);
    this.status = status;
    this.code = error ? error.code : null;
    this.retryAfter = retryAfter;
  }
}

export const session = { csrf: null, admin: null };

// The admin API: the session cookie goes by itself (same origin); every change carries the CSRF token.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const answer = await fetch(`/admin/api${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (answer.status !== 204) {
    const text = await answer.text();
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
  }
  if (!answer.ok) throw new ApiFailure(answer.status, data, answer.headers.get('Retry-After'));
  // The /v1 envelope wraps answers in {ok, data}; take either shape.
  if (data && data.ok === true && 'data' in data) return data.data;
  return data;
}

const statusLine = () => document.getElementById('status');
export function announce(text) {
  statusLine().textContent = text;
}

// An error box tied to a form: role=alert so a screen reader says it at once.
export function errorBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(box, failure) {
  box.hidden = false;
  box.textContent = failure instanceof ApiFailure ? failureText(failure) : String(failure.message || failure);
}

export function failureText(failure) {
  const code = failure.code ? ` (${failure.code})` : '';
  if (failure.status === 403 && failure.code === 'forbidden') return `Refused: ${failure.message}${code}`;
  return `${failure.message}${code}`;
}

export function clearError(box) {
  box.hidden = true;
  box.textContent = '';
}

// A confirm step in a modal <dialog> (keyboard: Escape cancels, focus returns to the caller).
// Resolves to null when cancelled, else to the reason typed (when `askReason`) or ''.
export function confirmAction(title, text, action, { askReason = false } = {}) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const yes = document.getElementById('confirm-yes');
  const no = document.getElementById('confirm-no');
  yes.textContent = action;
  const reasonField = document.getElementById('confirm-reason-field');
  const reason = document.getElementById('confirm-reason');
  reasonField.hidden = !askReason;
  reason.value = '';
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const finish = (answer) => {
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dialog.removeEventListener('cancel', onNo);
      if (dialog.open) dialog.close();
      if (opener && opener.focus) opener.focus();
      resolve(answer);
    };
    const onYes = () => finish(reason.value.trim());
    const onNo = (event) => { if (event) event.preventDefault(); finish(null); };
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dialog.addEventListener('cancel', onNo);
    dialog.showModal();
    if (askReason) reason.focus(); else no.focus();
  });
}

// A form whose submit runs `action` (never a browser submission: the CSP has form-action 'none').
export function form(attrs, children, action) {
  const box = errorBox();
  const node = h('form', { ...attrs, novalidate: false }, box, children);
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(box);
    const buttons = node.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action(event.submitter);
    } catch (failure) {
      showError(box, failure);
      if (failure instanceof ApiFailure && failure.status === 401 && failure.code === 'session_required') {
        document.dispatchEvent(new CustomEvent('session-lost'));
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return node;
}
