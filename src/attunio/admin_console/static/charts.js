// Plain SVG charts drawn from numbers: bar charts, overlaid histograms, a heat table and a
// reliability plot. Each chart is an <svg role="img"> with a title and a one-sentence description,
// and the numbers are also given as a table for screen readers and for copying.
import { h, number, table } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(title, summary, width, height) {
  const titleId = `t${Math.random().toString(36).slice(2)}`;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': titleId, class: 'chart' });
  svg.append(s('title', { id: titleId }, `${title}. ${summary}`));
  return svg;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function axis(svg, left, top, plotW, plotH, max) {
  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    svg.append(s('line', { x1: left, x2: left + plotW, y1: y, y2: y, class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, number(Math.round(value * 100) / 100)));
  }
}

// Vertical bars, one per label; `limit` draws a dashed line (e.g. a daily share of the allowance).
export function barChart(title, labels, values, { limit = null, limitLabel = '', unit = 'calls' } = {}) {
  const width = 640; const height = 260; const left = 56; const top = 16; const bottom = 48;
  const plotW = width - left - 12; const plotH = height - top - bottom;
  const max = niceMax(Math.max(1, ...values, limit ?? 0));
  const total = values.reduce((a, b) => a + b, 0);
  const svg = frame(title, `${labels.length} bars, ${number(total)} ${unit} in all`, width, height);
  axis(svg, left, top, plotW, plotH, max);
  const slot = plotW / Math.max(1, labels.length);
  const every = Math.ceil(labels.length / 10);
  labels.forEach((label, i) => {
    const barH = (plotH * values[i]) / max;
    const x = left + i * slot + slot * 0.15;
    const bar = s('rect', { x, y: top + plotH - barH, width: Math.max(1, slot * 0.7), height: barH, class: 'bar' });
    bar.append(s('title', {}, `${label}: ${number(values[i])} ${unit}`));
    svg.append(bar);
    if (i % every === 0) {
      svg.append(s('text', { x: x + slot * 0.35, y: top + plotH + 16, 'text-anchor': 'middle', class: 'tick' }, label));
    }
  });
  if (limit !== null && limit > 0) {
    const y = top + plotH - (plotH * limit) / max;
    svg.append(s('line', { x1: left, x2: left + plotW, y1: y, y2: y, class: 'limit' }));
    svg.append(s('text', { x: left + plotW, y: y - 4, 'text-anchor': 'end', class: 'limit-label' }, limitLabel));
  }
  const rows = labels.map((label, i) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, number(values[i]))));
  return figure(title, svg, table(`${title} (numbers)`, ['', unit], rows));
}

// Horizontal bars with their labels, for per-endpoint counts.
export function horizontalBars(title, labels, values, { unit = 'calls' } = {}) {
  const row = 26; const left = 170; const width = 640; const top = 8;
  const height = top * 2 + row * Math.max(1, labels.length);
  const max = niceMax(Math.max(1, ...values));
  const svg = frame(title, `${labels.length} rows`, width, height);
  labels.forEach((label, i) => {
    const y = top + i * row;
    const w = ((width - left - 70) * values[i]) / max;
    svg.append(s('text', { x: left - 8, y: y + 17, 'text-anchor': 'end', class: 'tick' }, label));
    const bar = s('rect', { x: left, y: y + 4, width: Math.max(1, w), height: row - 8, class: 'bar' });
    bar.append(s('title', {}, `${label}: ${number(values[i])} ${unit}`));
    svg.append(bar);
    svg.append(s('text', { x: left + w + 6, y: y + 17, class: 'tick' }, number(values[i])));
  });
  const rows = labels.map((label, i) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, number(values[i]))));
  return figure(title, svg, table(`${title} (numbers)`, ['', unit], rows));
}

// One horizontal meter: used against the allowance, the overage drawn past the allowance mark.
export function meter(title, used, allowance) {
  const width = 640; const height = 56; const left = 8; const plotW = width - 16;
  const scale = Math.max(used, allowance, 1);
  const svg = frame(title, `${number(used)} used of ${number(allowance)}`, width, height);
  svg.append(s('rect', { x: left, y: 8, width: plotW, height: 24, class: 'track' }));
  const within = Math.min(used, allowance);
  svg.append(s('rect', { x: left, y: 8, width: (plotW * within) / scale, height: 24, class: 'bar' }));
  if (used > allowance) {
    svg.append(s('rect', { x: left + (plotW * allowance) / scale, y: 8, width: (plotW * (used - allowance)) / scale, height: 24, class: 'over' }));
  }
  const mark = left + (plotW * allowance) / scale;
  svg.append(s('line', { x1: mark, x2: mark, y1: 4, y2: 36, class: 'limit' }));
  svg.append(s('text', { x: Math.min(mark, width - 4), y: 50, 'text-anchor': 'end', class: 'limit-label' }, `allowance ${number(allowance)}`));
  return figure(title, svg);
}

// Two score distributions on shared bins, drawn as outlined steps over filled bars.
export function histogram(title, active, candidate, { bins = 20 } = {}) {
  const all = [...active, ...candidate];
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const span = hi > lo ? hi - lo : 1;
  const count = (values) => {
    const out = new Array(bins).fill(0);
    for (const v of values) out[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))] += 1;
    return out;
  };
  const a = count(active); const c = count(candidate);
  const width = 640; const height = 260; const left = 48; const top = 16; const bottom = 40;
  const plotW = width - left - 12; const plotH = height - top - bottom;
  const max = niceMax(Math.max(1, ...a, ...c));
  const svg = frame(title, `active (filled) and candidate (outlined) over ${bins} bins from ${lo.toFixed(2)} to ${hi.toFixed(2)}`, width, height);
  axis(svg, left, top, plotW, plotH, max);
  const slot = plotW / bins;
  a.forEach((n, i) => {
    const barH = (plotH * n) / max;
    const bar = s('rect', { x: left + i * slot + 1, y: top + plotH - barH, width: slot - 2, height: barH, class: 'bar' });
    bar.append(s('title', {}, `active ${n}`));
    svg.append(bar);
  });
  let path = `M ${left} ${top + plotH}`;
  c.forEach((n, i) => {
    const y = top + plotH - (plotH * n) / max;
    path += ` L ${left + i * slot} ${y} L ${left + (i + 1) * slot} ${y}`;
  });
  path += ` L ${left + plotW} ${top + plotH}`;
  svg.append(s('path', { d: path, class: 'step' }));
  for (const [i, label] of [[0, lo], [bins, hi]]) {
    svg.append(s('text', { x: left + i * slot, y: top + plotH + 16, 'text-anchor': i ? 'end' : 'start', class: 'tick' }, label.toFixed(2)));
  }
  const legend = h('p', { class: 'legend' }, h('span', { class: 'swatch swatch-bar' }), ' active  ', h('span', { class: 'swatch swatch-step' }), ' candidate');
  const rows = a.map((n, i) => h('tr', {}, h('th', { scope: 'row' }, `${(lo + (span * i) / bins).toFixed(2)}–${(lo + (span * (i + 1)) / bins).toFixed(2)}`), h('td', {}, number(n)), h('td', {}, number(c[i]))));
  return figure(title, svg, table(`${title} (numbers)`, ['score', 'active', 'candidate'], rows), legend);
}

// The band-change matrix as a table whose cells are shaded by their share of all cases.
export function heatTable(title, bands, counts) {
  const total = counts.flat().reduce((a, b) => a + b, 0) || 1;
  const head = h('tr', {}, h('th', { scope: 'col' }, 'active ↓ / candidate →'), bands.map((b) => h('th', { scope: 'col' }, b)));
  const rows = counts.map((row, i) => h('tr', {}, h('th', { scope: 'row' }, bands[i]), row.map((n, j) => {
    const share = n / total;
    const cell = h('td', { class: `heat${i === j ? ' same' : ''}`, 'data-count': n }, number(n));
    // CSSOM, not a style attribute: allowed under style-src 'self'. Text colour by luminance keeps
    // every cell at 4.5:1 contrast or better.
    const [r, g, b] = shade(share);
    cell.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    cell.style.color = luminance(r, g, b) > 0.179 ? '#000' : '#fff';
    return cell;
  })));
  const region = h('div', { class: 'scroll', role: 'region', tabindex: '0', 'aria-label': title },
    h('table', { class: 'heat-table' }, h('caption', {}, title), h('thead', {}, head), h('tbody', {}, rows)));
  return h('figure', {}, region);
}

// White (no cases) to the console's blue (every case).
function shade(share) {
  const from = [255, 255, 255]; const to = [22, 78, 140];
  return from.map((f, i) => Math.round(f + (to[i] - f) * Math.sqrt(share)));
}

function luminance(r, g, b) {
  const lin = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

// Predicted against observed rates per bin, with the diagonal a perfect calibration would follow.
export function reliability(title, points) {
  const width = 360; const height = 300; const left = 44; const top = 12; const size = 240;
  const svg = frame(title, `${points.length} bins; the diagonal is perfect calibration`, width, height);
  svg.classList.add('small');
  axis(svg, left, top, size, size, 1);
  svg.append(s('line', { x1: left, y1: top + size, x2: left + size, y2: top, class: 'limit' }));
  for (const p of points) {
    const dot = s('circle', { cx: left + size * p.predicted, cy: top + size - size * p.observed, r: 5, class: `dot ${p.series || ''}` });
    dot.append(s('title', {}, `${p.series ? `${p.series}: ` : ''}predicted ${p.predicted.toFixed(2)}, observed ${p.observed.toFixed(2)}`));
    svg.append(dot);
  }
  svg.append(s('text', { x: left + size / 2, y: top + size + 30, 'text-anchor': 'middle', class: 'tick' }, 'predicted'));
  svg.append(s('text', { x: left + size + 8, y: top + 12, class: 'tick' }, 'observed'));
  const series = new Set(points.map((p) => p.series).filter(Boolean));
  const legend = series.size ? h('p', { class: 'legend' }, h('span', { class: 'swatch swatch-bar' }), ' active  ',
    h('span', { class: 'swatch swatch-dot' }), ' candidate') : null;
  return figure(title, svg, legend);
}

function figure(title, svg, ...rest) {
  const details = rest.find((r) => r && r.classList && r.classList.contains('scroll'));
  const others = rest.filter((r) => r && r !== details);
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), svg, others,
    details ? h('details', {}, h('summary', {}, 'Show the numbers'), details) : null);
}
