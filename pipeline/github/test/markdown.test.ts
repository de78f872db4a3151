/**
 * Manifest text is data in the comment and the summary: whatever a display name, scope name,
 * label, catalogue label or validator message holds, it renders as literal text in a code span,
 * never as an image, a link, HTML, a mention, a team mention, an issue reference, a second table
 * cell or a forged marker. Checked on the rendered markdown's meaning (markdown-meaning.ts).
 */
import { describe, expect, it } from 'vitest';
import { escapeControl } from '../../validate/terminal-text.ts';
import { code, table } from '../markdown.ts';
import { renderComment } from '../render-comment.ts';
import { renderSummary } from '../render-summary.ts';
import { COMMENT_MARKER } from '../report.ts';
import { codeSpans, meaning } from './markdown-meaning.ts';
import { none, plan, provider, report } from './plan-fixtures.ts';

const TRACKER = 'https://tracker.example/pixel.png';
const PHISH = 'https://phish.example/login';
const DISPLAY = `![t](${TRACKER}) [Sign in](${PHISH}) @mallory @acme/security #123 GH-7 <img src=x> | \`tick\` \`\`\` ${COMMENT_MARKER} \u001b[2K\r✓ ok \u202eevil`;
/** Scope names have no whitespace, but anything else. */
const SCOPE = `![s](${TRACKER})|@mallory|[x](${PHISH})\`|#99`;
const LABEL = 'a | b <script>alert(1)</script> **bold** _em_ ~~del~~ &amp;';
const CATALOG_LABEL = `Refunds [now](${PHISH}) cc @acme/finance`;
const MESSAGE = `unknown field "@mallory![m](${TRACKER})". Did you mean "[x](${PHISH})"?`;

function hostileReport() {
  const evil = provider({
    slug: 'evil',
    kind: 'added',
    display_name: DISPLAY,
    scopes: { ...none(), added: [{ name: SCOPE, description: 'x', requires_firearm: true, firearm_type: 'REFUND_ISSUE', access: null }] },
    kpi_mappings: { ...none(), added: [{ raw_metric: '@mallory|`x`', core_kpi: 'gross_sales', aggregation: 'sum' }] },
    secrets: { ...none(), added: [{ key_name: 'PROVIDER_EVIL_KEY', label: LABEL, description: null, optional: false }] },
  });
  return report({
    plan: plan([evil], { catalog: { firearm_types: { ...none(), added: [{ id: 'REFUND_ISSUE', label: CATALOG_LABEL, description: 'x' }] }, core_kpis: none() } }),
    validation: { ok: false, checked: 1, errors: [{ file: 'connectors/evil/manifest.yaml', line: 3, column: 1, path: 'scopes[0].@mallory', code: 'unknown_field', message: MESSAGE }], warnings: [] },
  });
}

const rendered = [
  ['the comment', () => renderComment(hostileReport())],
  ['the job summary', () => renderSummary(hostileReport())],
] as const;

describe.each(rendered)('%s, with hostile manifest text', (_, render) => {
  const body = render();
  const m = meaning(body);

  it('creates no image, no link and no HTML from it', () => {
    expect(m.outside).not.toContain('![');
    expect(m.outside).not.toContain(TRACKER);
    expect(m.outside).not.toContain(PHISH);
    expect(m.outside).not.toMatch(/<(img|script|a)\b/i);
    // The only link outside code spans is our own footer's.
    expect([...m.outside.matchAll(/\]\(/g)].length).toBe(1);
    expect(m.outside).toContain('[workflow run](https://github.com/o/r/actions/runs/42)');
  });

  it('pings nobody and references no issue: mentions and #numbers only ever inside code spans', () => {
    expect(m.outside).not.toMatch(/@\w/);
    expect(m.outside).not.toMatch(/#\d/);
    expect(m.outside).not.toMatch(/GH-\d/);
    expect(m.spans.some((s) => s.includes('@mallory @acme/security #123 GH-7'))).toBe(true);
  });

  it('shows each value exactly, control and bidi characters escaped', () => {
    expect(m.spans).toContain(escapeControl(DISPLAY));
    expect(m.spans).toContain(SCOPE);
    expect(m.spans).toContain(LABEL);
    expect(m.spans).toContain(CATALOG_LABEL);
    expect(m.spans).toContain(MESSAGE);
    expect(body).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(m.spans.join('\n')).toContain('\\x1b[2K\\x0d✓ ok \\u202eevil');
  });

  it('keeps every table row to its header\'s cells, whatever pipes the values hold', () => {
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\| --- /.test(lines[i]!)) continue;
      const header = meaning(lines[i - 1]!).rowCells[0];
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('|'); j++) expect(meaning(lines[j]!).rowCells[0], lines[j]).toBe(header);
    }
  });

  it('carries the marker once, at the top, and nowhere outside a code span', () => {
    expect(m.outside.split(COMMENT_MARKER).length - 1).toBe(body.startsWith(COMMENT_MARKER) ? 1 : 0);
  });
});

describe('code spans', () => {
  it.each([
    ['plain', 'read_items', '`read_items`'],
    ['a backtick inside', 'a`b', '``a`b``'],
    ['a run of three inside', 'a```b', '````a```b````'],
    ['starting with a backtick', '`x', '`` `x ``'],
    ['ending with a backtick', 'x`', '`` x` ``'],
    ['only a backtick', '`', '`` ` ``'],
    ['spaces on both ends', ' a ', '`  a  `'],
    ['only spaces', '   ', '`   `'],
  ])('hold %s exactly', (_, value, expected) => {
    expect(code(value)).toBe(expected);
    expect(codeSpans(code(value)).spans).toEqual([value]);
  });

  it('say so when a value is empty instead of writing a fence that means nothing', () => {
    expect(code('')).toBe('*(empty)*');
  });

  it('keep their pipes inside a table cell (escaped for the table, shown as pipes)', () => {
    const t = table(['A', 'B'], [[code('x|y'), code('`|`')]]);
    const row = meaning(t.split('\n')[2]!);
    expect(row.rowCells).toEqual([2]);
    expect(row.spans).toEqual(['x|y', '`|`']);
  });
});
