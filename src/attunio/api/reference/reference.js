// Renders the appliance's own OpenAPI document (/v1/openapi.json) as a reference page. Everything
// is built with DOM calls and textContent: no HTML from the document is ever parsed, nothing is
// fetched but the document, and the page runs under a CSP that allows only its own files.
'use strict';

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
};

// `code` spans in descriptions become <code> elements; everything else stays text.
const prose = (text, tag = 'p') => {
  const node = el(tag);
  String(text || '').split('`').forEach((part, i) => node.append(i % 2 ? el('code', {}, part) : document.createTextNode(part)));
  return node;
};

const refName = (ref) => ref.split('/').pop();
const anchor = (text) => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

function typeOf(schema) {
  if (!schema) return document.createTextNode('any');
  if (schema.$ref) return el('a', { href: `#schema-${refName(schema.$ref)}` }, refName(schema.$ref));
  if ('const' in schema) return el('code', {}, JSON.stringify(schema.const));
  if (schema.enum) return el('span', {}, schema.enum.map((v) => JSON.stringify(v)).join(' | '));
  if (schema.anyOf) {
    const span = el('span');
    schema.anyOf.forEach((member, i) => { if (i) span.append(' | '); span.append(typeOf(member)); });
    return span;
  }
  if (schema.type === 'array') return el('span', {}, typeOf(schema.items), '[]');
  return document.createTextNode(schema.type || 'object');
}

function limits(schema) {
  const parts = [];
  const walk = (s) => {
    if (!s) return;
    if (s.anyOf) s.anyOf.forEach(walk);
    if (s.type === 'array') { if ('maxItems' in s) parts.push(`≤ ${s.maxItems} items`); if ('minItems' in s) parts.push(`≥ ${s.minItems} items`); walk(s.items); }
    if ('minimum' in s || 'maximum' in s) parts.push(`${s.minimum ?? '−∞'}–${s.maximum ?? '∞'}`);
    if ('maxLength' in s) parts.push(`${s.minLength ?? 0}–${s.maxLength} chars`);
  };
  walk(schema);
  if ('default' in schema) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join('; ');
}

function propertiesTable(schema) {
  const required = new Set(schema.required || []);
  const rows = Object.entries(schema.properties || {}).map(([name, prop]) => el('tr', {},
    el('td', { class: 'name' }, name, required.has(name) ? el('span', { class: 'req' }, 'required') : null),
    el('td', {}, typeOf(prop)),
    el('td', {}, prose(prop.description, 'span'), limits(prop) ? el('div', { class: 'muted' }, limits(prop)) : null,
      prop.examples ? el('div', { class: 'muted' }, 'Example: ', el('code', {}, JSON.stringify(prop.examples[0]))) : null)));
  return el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'type'), el('th', {}, 'description'))),
    el('tbody', {}, ...rows));
}

function headersTable(headers) {
  const rows = Object.entries(headers || {}).map(([name, header]) => el('tr', {},
    el('td', { class: 'name' }, name, header.required ? el('span', { class: 'req' }, 'always') : null),
    el('td', {}, prose(header.description, 'span'), header.example !== undefined ? el('div', { class: 'muted' }, 'Example: ', el('code', {}, String(header.example))) : null)));
  return rows.length ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'header'), el('th', {}, 'description'))), el('tbody', {}, ...rows)) : null;
}

const example = (value) => el('pre', {}, JSON.stringify(value, null, 2));

function operationSection(method, path, op, doc) {
  const id = `op-${op.operationId}`;
  const section = el('section', { class: 'operation', id, 'data-operation': op.operationId },
    el('h2', { class: 'op' }, el('span', { class: `method ${method}` }, method.toUpperCase()), el('span', { class: 'path' }, path)),
    el('p', {}, el('strong', {}, op.summary || '')), prose(op.description));
  const security = (op.security || []).length ? 'Authorization: Bearer <API key>' : 'No key needed.';
  section.append(el('p', { class: 'muted' }, security));
  const body = op.requestBody?.content?.['application/json'];
  if (body) {
    section.append(el('h3', {}, 'Request body'), el('p', {}, 'Schema: ', typeOf(body.schema)));
    const schema = body.schema.$ref ? doc.components.schemas[refName(body.schema.$ref)] : body.schema;
    if (schema.properties) section.append(propertiesTable(schema));
    if (body.example) section.append(el('details', { open: '' }, el('summary', {}, 'Example request'), example(body.example)));
  }
  section.append(el('h3', {}, 'Responses'));
  for (const [status, response] of Object.entries(op.responses)) {
    const media = response.content?.['application/json'];
    const item = el('details', { 'data-status': status }, el('summary', {}, el('span', { class: 'status' }, status), ' ', response.description || ''));
    const headers = headersTable(response.headers);
    if (headers) item.append(headers);
    if (media?.example) item.append(example(media.example));
    section.append(item);
  }
  return section;
}

function render(doc) {
  document.getElementById('title').textContent = `${doc.info.title} ${doc.info.version}`;
  const lead = document.getElementById('lead');
  lead.replaceChildren(prose(doc.info.description, 'span'));
  const nav = document.getElementById('nav');
  const main = document.getElementById('main');
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['Other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, op]);
    }
  }
  for (const [tag, ops] of byTag) {
    nav.append(el('h2', {}, tag));
    for (const [method, path, op] of ops) {
      nav.append(el('a', { href: `#op-${op.operationId}` }, `${method.toUpperCase()} ${path}`));
      main.append(operationSection(method, path, op, doc));
    }
  }
  nav.append(el('h2', {}, 'Schemas'));
  main.append(el('h2', {}, 'Schemas'));
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    nav.append(el('a', { href: `#schema-${anchor(name)}` }, name));
    const section = el('section', { class: 'schema', id: `schema-${anchor(name)}` }, el('h3', {}, name));
    if (schema.description) section.append(prose(schema.description));
    if (schema.properties) section.append(propertiesTable(schema));
    main.append(section);
  }
  document.body.dataset.state = 'ready';
}

fetch('/v1/openapi.json', { headers: { Accept: 'application/json' } })
  .then((answer) => { if (!answer.ok) throw new Error(`the document answered ${answer.status}`); return answer.json(); })
  .then(render)
  .catch((error) => {
    document.body.dataset.state = 'error';
    document.getElementById('lead').textContent = `Could not load /v1/openapi.json: ${error.message}`;
  });
