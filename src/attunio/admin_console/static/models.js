// Models: per engine the active version and the candidates; a candidate compared with the active
// version as pictures; promote, roll back and reset with a reason and the reviewer's licence number.
// The server decides who may: an admin who tries sees the appliance's own 403 message.
import { heatTable, histogram, reliability } from './charts.js';
import { announce, api, field, form, h, number, pairs, session, when } from './dom.js';

function versionLabel(model) {
  if (!model) return 'engine defaults (no calibrated version active)';
  return `version ${model.version}`;
}

function modelPairs(model) {
  const rows = [];
  for (const [k, v] of Object.entries(model || {})) {
    if (v === null || v === undefined || typeof v === 'object') continue;
    rows.push([k, /At$|created|expires/i.test(k) ? when(v) : String(v)]);
  }
  return pairs(rows);
}

function reviewForm(engine, kind, version, after) {
  const reason = h('input', { type: 'text', required: true, maxlength: '500' });
  const licence = h('input', { type: 'text', required: true, maxlength: '64', autocomplete: 'off' });
  const labels = { promote: `Promote version ${version}`, rollback: 'Roll back to the previous version', reset: 'Reset to engine defaults' };
  return form({ class: 'stack review', 'data-form': kind, 'data-engine': engine }, [
    h('div', { class: 'fields' }, field('Reason', reason, 'Recorded in the audit trail.'),
      field('Licence number', licence, 'Your clinical licence number, recorded with the decision.')),
    h('button', { type: 'submit', class: kind === 'promote' ? '' : 'danger' }, labels[kind])], async () => {
    const body = { reason: reason.value.trim(), licenceNumber: licence.value.trim() };
    if (kind === 'promote') body.version = version;
    await api('POST', `/models/${encodeURIComponent(engine)}/${kind}`, body);
    announce(`${labels[kind]}: done.`);
    await after();
  });
}

function calibrationPoints(calibration) {
  // Accepts {bins:[{predicted, observed}]} or {active:[...], candidate:[...]} of such points.
  if (!calibration || typeof calibration !== 'object') return [];
  const points = [];
  const take = (list, series) => {
    for (const p of list || []) {
      if (typeof p.predicted === 'number' && typeof p.observed === 'number') points.push({ ...p, series });
    }
  };
  if (Array.isArray(calibration.bins)) take(calibration.bins, '');
  if (Array.isArray(calibration.active)) take(calibration.active, 'active');
  if (Array.isArray(calibration.candidate)) take(calibration.candidate, 'candidate');
  return points;
}

async function compareView(engine, candidate, out, after) {
  out.replaceChildren(h('p', {}, 'Comparing…'));
  const c = await api('GET', `/models/${encodeURIComponent(engine)}/compare?candidate=${encodeURIComponent(candidate)}`);
  const parts = [h('h3', { id: `cmp-${engine}` }, `Version ${candidate} against the active version, ${number(c.n)} cases`)];
  if (c.bandMatrix && c.bandMatrix.bands) {
    parts.push(heatTable('Band changes: each case\u2019s band under the active version (rows) and the candidate (columns)', c.bandMatrix.bands, c.bandMatrix.counts));
  }
  parts.push(pairs([
    ['Cases scored', h('span', { 'data-field': 'cases' }, number(c.n))],
    ['Same band under both', c.agreement === undefined ? '—' : `${(100 * c.agreement).toFixed(1)} %`],
    ['Band changed', number(c.changed)],
    ['Mean score shift', c.meanShift === null || c.meanShift === undefined ? '—' : Number(c.meanShift).toFixed(2)],
    ['Cases with a known outcome', number(c.withOutcome)],
    ['Lines refused', number(c.invalidLines)]]));
  if (c.scores) {
    const by = c.scores.kind === 'level' ? 'Level distributions (rank of each case\u2019s most severe level)' : 'Score distributions';
    parts.push(histogram(by, c.scores.active || [], c.scores.candidate || []));
  }
  const points = calibrationPoints(c.calibration);
  if (points.length) parts.push(reliability('Calibration against known outcomes', points));
  else if (c.calibration) parts.push(pairs(Object.entries(c.calibration).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])));
  const fixed = (v) => (v === null || v === undefined ? '—' : Number(v).toFixed(3));
  parts.push(c.concordance === null || c.concordance === undefined
    ? h('p', { 'data-field': 'concordance' }, 'Concordance: no outcomes are known for this evaluation set.')
    : h('div', { 'data-field': 'concordance' }, pairs([
      ['Concordance (AUC), active', fixed(c.concordanceActive)], ['Concordance (AUC), candidate', fixed(c.concordance)],
      ['Brier score, active', fixed(c.brier && c.brier.active)], ['Brier score, candidate', fixed(c.brier && c.brier.candidate)]])));
  parts.push(reviewForm(engine, 'promote', candidate, after));
  out.replaceChildren(h('section', { class: 'compare', 'aria-labelledby': `cmp-${engine}`, 'data-compare': engine }, parts));
  out.querySelector('h3').setAttribute('tabindex', '-1');
  out.querySelector('h3').focus();
}

export async function modelsPage(root) {
  const role = session.admin ? session.admin.role : '';
  const draw = async () => {
    const { engines } = await api('GET', '/models');
    root.replaceChildren(h('p', { class: 'hint' }, role === 'reviewer'
      ? 'You are signed in as a reviewer: you may promote, roll back and reset.'
      : 'Promoting, rolling back and resetting need a reviewer; the appliance refuses them for an admin.'));
    for (const e of engines) {
      const out = h('div', {});
      const candidates = e.candidates || [];
      root.append(h('section', { class: 'card', 'data-engine': e.engine, 'aria-labelledby': `eng-${e.engine}` },
        h('h2', { id: `eng-${e.engine}` }, e.engine),
        h('p', {}, h('strong', {}, 'Active: '), versionLabel(e.active)), e.active ? modelPairs(e.active) : null,
        candidates.length ? h('ul', { class: 'plain candidates' }, candidates.map((cand) => h('li', {},
          `Candidate version ${cand.version} `, cand.created || cand.createdAt ? `(${when(cand.created || cand.createdAt)}) ` : '',
          h('button', { type: 'button', 'data-compare-version': cand.version, on: { click: () => {
            compareView(e.engine, cand.version, out, draw).catch((f) => { out.replaceChildren(h('p', { class: 'error', role: 'alert' }, f.message)); });
          } } }, `Compare version ${cand.version}`))))
          : h('p', {}, 'No candidate versions imported.'),
        out,
        e.active ? h('details', {}, h('summary', {}, 'Roll back or reset'),
          reviewForm(e.engine, 'rollback', null, draw), reviewForm(e.engine, 'reset', null, draw)) : null));
    }
  };
  await draw();
}
