/** The report's index.html: a summary table, then figures and tables per section. Self-contained, no scripts. */
import type { MetricsFile } from '../eval/metrics-file.js';

export const DATA_CREDIT = 'Quick, Draw! data © Google, CC BY 4.0 (https://quickdraw.withgoogle.com/data)';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface Figure {
  file: string;
  alt: string;
  width: number;
  height: number;
}

export interface Section {
  title: string;
  /** Trusted HTML (built here from escaped values). */
  html?: string;
  figures: Figure[];
}

const num = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined ? '–' : v.toFixed(digits));

export function summaryTable(runs: { label: string; m: MetricsFile }[]): string {
  const head = ['predictions', 'labeled rows', 'accuracy', 'balanced acc.', 'macro-F1', 'head acc.', 'middle acc.', 'tail acc.', 'ECE'];
  const rows = runs.map(({ label, m }) => [escapeHtml(label), String(m.labeled), num(m.accuracy), num(m.balanced_accuracy), num(m.macro_f1), num(m.head_acc), num(m.middle_acc), num(m.tail_acc), num(m.ece)]);
  return table(head, rows);
}

export function perClassTable(m: MetricsFile): string {
  const head = ['label', 'class', 'training images', 'third', 'test rows', 'accuracy', 'precision', 'F1'];
  const rows = m.perClass.map((s, i) => [String(i), escapeHtml(s.name), s.trainCount === null ? '–' : String(s.trainCount), s.group ?? '–', String(s.support), num(s.accuracy, 3), num(s.precision, 3), num(s.f1, 3)]);
  return `<details><summary>per-class table (${m.perClass.length} classes)</summary>\n${table(head, rows)}</details>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>\n`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1e1e1e}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}img{image-rendering:pixelated;border:1px solid #eee}
footer{margin-top:3em;color:#666;font-size:13px}`;

export function renderPage(title: string, intro: string, sections: Section[]): string {
  const body = sections.map((s) => {
    const figs = s.figures.map((f) => `<figure><img src="${encodeURI(f.file)}" alt="${escapeHtml(f.alt)}" width="${f.width}" height="${f.height}"></figure>`).join('\n');
    return `<section>\n<h2>${escapeHtml(s.title)}</h2>\n${s.html ?? ''}${figs}\n</section>`;
  }).join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n<style>${STYLE}</style></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${intro}\n${body}\n<footer>${escapeHtml(DATA_CREDIT).replace('https://quickdraw.withgoogle.com/data', '<a href="https://quickdraw.withgoogle.com/data">https://quickdraw.withgoogle.com/data</a>')}</footer>\n</body></html>\n`;
}
