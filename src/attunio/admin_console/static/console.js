// The console's shell: restores the session (GET /admin/api/session), shows sign-in without one,
// and draws the page the location hash names. Pages live in pages.js and models.js.
import { ApiFailure, announce, api, errorBox, field, h, session, showError } from './dom.js';
import { PAGES } from './pages.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const TITLES = { overview: 'Overview', keys: 'Apps and keys', usage: 'Usage', models: 'Models', audit: 'Audit' };

function setSession(answer) {
  session.csrf = answer ? answer.csrfToken : null;
  session.admin = answer ? answer.admin : null;
  nav.hidden = !answer;
  who.hidden = !answer;
  document.getElementById('who-name').textContent = answer ? `${answer.admin.name} (${answer.admin.role})` : '';
}

function heading(text) {
  const title = h('h1', { tabindex: '-1', id: 'page-title' }, text);
  document.title = `${text} · Attunio admin console`;
  return title;
}

function signInPage(message) {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const box = errorBox();
  const button = h('button', { type: 'submit' }, 'Sign in');
  const node = h('form', { class: 'card signin', 'aria-labelledby': 'page-title' }, box,
    field('Admin token', token, 'The token `attunio admins create` printed once (att_admin_…).'), button);
  if (message) {
    showError(box, new Error(message));
    token.focus();
  }
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    box.hidden = true;
    try {
      const answer = await api('POST', '/session', { token: token.value.trim() });
      token.value = '';
      setSession(answer);
      announce(`Signed in as ${answer.admin.name}.`);
      if (!location.hash || location.hash === '#/signin') location.hash = '#/overview';
      else await route();
    } catch (failure) {
      token.value = '';
      if (failure instanceof ApiFailure && failure.status === 429) {
        const wait = failure.retryAfter ? ` Try again in ${failure.retryAfter} seconds.` : '';
        showError(box, new Error(`Too many failed sign-ins from this address.${wait}`));
      } else if (failure instanceof ApiFailure && failure.status === 401) {
        showError(box, new Error(`That token was not accepted: ${failure.message}`));
      } else {
        showError(box, failure);
      }
      token.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(heading('Sign in'), node);
  document.body.dataset.page = 'signin';
  document.body.dataset.state = 'ready';
}

async function route() {
  if (!session.csrf) {
    signInPage();
    return;
  }
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'overview';
  const page = PAGES[name] ? name : 'overview';
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.body.dataset.state = 'loading';
  document.body.dataset.page = page;
  const title = heading(TITLES[page]);
  const body = h('div', { class: 'page' });
  main.replaceChildren(title, body);
  try {
    await PAGES[page](body);
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401) {
      setSession(null);
      signInPage('Your session has ended; sign in again.');
      return;
    }
    const box = errorBox();
    showError(box, failure);
    body.append(box);
  }
  document.body.dataset.state = 'ready';
  title.focus();
}

async function start() {
  try {
    setSession(await api('GET', '/session'));
  } catch (failure) {
    setSession(null);
    if (!(failure instanceof ApiFailure) || failure.status !== 401) {
      signInPage(`The appliance could not be reached: ${failure.message}`);
      return;
    }
  }
  await route();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/session');
  } catch (failure) {
    if (!(failure instanceof ApiFailure) || failure.status !== 401) {
      announce(`Sign-out failed: ${failure.message}`);
      return;
    }
  }
  setSession(null);
  announce('Signed out.');
  history.replaceState(null, '', '/admin#/signin');
  signInPage();
});
document.addEventListener('session-lost', () => {
  setSession(null);
  signInPage('Your session has ended; sign in again.');
});
window.addEventListener('hashchange', () => { route(); });
document.getElementById('loading').remove();
start();
