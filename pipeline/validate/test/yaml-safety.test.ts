/**
 * The nasty inputs DESIGN.md names, on text: duplicate keys, several documents, custom tags, a top
 * level that is not a mapping, alias bombs, plus YAML 1.1 and syntax errors. Each asserts code and position.
 */
import { describe, expect, it } from 'vitest';
import { validateManifestText } from '../manifest.ts';
import { MAX_EXPANDED_NODES } from '../yaml-safe.ts';
import { BILLION_LAUGHS, VALID, codes, edit, only, pos, realCatalog } from './helpers.ts';

const catalog = realCatalog();
const check = (text: string) => validateManifestText(text, 'connectors/acme/manifest.yaml', catalog, 'acme');

describe('YAML safety', () => {
  it('a duplicate key is an error at the second key', () => {
    const text = edit(VALID, 'display_name: Acme Shop\n', 'display_name: Acme Shop\ndisplay_name: Other\n');
    const r = check(text);
    expect(codes(r.errors)).toEqual(['duplicate_key']);
    expect(r.errors[0]).toMatchObject({ path: 'display_name', ...pos(text, 'display_name: Other', 'display_name') });
  });

  it('a duplicate key inside a list item names the item', () => {
    const text = edit(VALID, '    description: Read orders\n', '    description: Read orders\n    description: again\n');
    expect(check(text).errors).toEqual([expect.objectContaining({ code: 'duplicate_key', path: 'scopes[0].description', ...pos(text, 'description: again', 'description') })]);
  });

  it('more than one YAML document is an error at the second document', () => {
    const text = `${VALID}---\nschema_version: 1\n`;
    const r = check(text);
    expect(codes(r.errors)).toEqual(['multiple_documents']);
    expect(r.errors[0]).toMatchObject({ ...pos(text, '---'), path: '' });
  });

  it('a custom tag is an error at the tagged value', () => {
    const text = edit(VALID, 'display_name: Acme Shop', 'display_name: !shout Acme Shop');
    expect(check(text).errors).toEqual([expect.objectContaining({ code: 'custom_tag', path: 'display_name', ...pos(text, '!shout', '!shout') })]);
  });

  it('a standard but explicit tag such as !!binary is refused too', () => {
    const text = edit(VALID, 'description: A test shop.', 'description: !!binary aGVsbG8=');
    expect(codes(check(text).errors)).toContain('custom_tag');
  });

  it.each([
    ['a list', '- a\n- b\n'],
    ['a single value', 'just text\n'],
    ['empty', '# nothing but a comment\n'],
    ['only a document marker', '---\n'],
  ])('a top level that is %s is not a mapping', (_what, text) => {
    const r = check(text);
    expect(codes(r.errors)).toEqual(['not_a_mapping']);
    expect(r.errors[0]).toMatchObject({ line: 1, column: 1 });
  });

  it('an alias bomb fails at the first alias past the bound, without expanding it', { timeout: 20_000 }, () => {
    const r = check(BILLION_LAUGHS);
    expect(codes(r.errors)).toEqual(['alias_limit']);
    // 9^4 = 6561 nodes under *d are fine; *e's 9^5 expansion crosses MAX_EXPANDED_NODES.
    expect(9 ** 5 + 9 ** 4).toBeGreaterThan(MAX_EXPANDED_NODES);
    expect(r.errors[0]!.line).toBeLessThanOrEqual(pos(BILLION_LAUGHS, 'f: &f').line);
  });

  it('a few small aliases are fine', () => {
    const text = edit(VALID, '    description: Read orders\n', '    description: &d Read orders\n').replace('description: Refund orders', 'description: *d');
    expect(check(text).errors).toEqual([]);
  });

  it('an alias to no anchor is an error at the alias', () => {
    const text = edit(VALID, 'description: Refund orders', 'description: *nowhere');
    expect(check(text).errors).toEqual([expect.objectContaining({ code: 'undefined_alias', ...pos(text, '*nowhere', '*nowhere') })]);
  });

  it('a %YAML 1.1 directive is refused, since it would turn yes into true', () => {
    const text = `%YAML 1.1\n---\n${VALID}`;
    expect(codes(check(text).errors)).toEqual(['yaml_version']);
  });

  it('a syntax error is reported with its position', () => {
    const text = edit(VALID, 'display_name: Acme Shop', 'display_name: [Acme Shop');
    const r = check(text);
    expect(codes(r.errors)).toContain('yaml_syntax');
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(pos(text, 'display_name:').line);
  });

  it('one bad line is one syntax error: the errors the parser reports after it in the same block are counted, not listed', () => {
    // A stray colon: the `yaml` parser reports two errors on this line and two on each item line below it.
    const text = edit(VALID, 'secrets:\n', 'secrets:: x\n');
    const r = check(text);
    expect(codes(r.errors)).toEqual(['yaml_syntax']);
    expect(r.errors[0]).toMatchObject(pos(text, 'secrets:: x', 'x'));
    expect(r.errors[0]!.message).toMatch(/^YAML syntax error: .*Fix the YAML syntax here \(\d+ later syntax errors the parser reported most likely follow from this one and are not listed; validate again once it is fixed\)\.$/);
  });

  it('every single-line slip in a valid manifest gives at most one syntax error', () => {
    const slips: ((line: string) => string)[] = [
      (l) => `  ${l}`, (l) => l.slice(1), (l) => l.replace(': ', ' '), (l) => l.replace(': ', ':: '), (l) => l.replace(': ', ': ['),
      (l) => l.replace(': ', ': {'), (l) => l.replace(': ', ': "'), (l) => l.replace('- ', '-'), (l) => l.replace(/^( *)/, '$1\t'), (l) => `${l}: x`,
    ];
    const lines = VALID.split('\n');
    let broken = 0;
    for (const [i, line] of lines.entries()) {
      for (const slip of slips) {
        const changed = slip(line);
        if (changed === line) continue;
        const syntax = only(check([...lines.slice(0, i), changed, ...lines.slice(i + 1)].join('\n')).errors, 'yaml_syntax');
        if (syntax.length > 0) broken++;
        expect(syntax.length, `line ${i + 1} as ${JSON.stringify(changed)}`).toBeLessThanOrEqual(1);
      }
    }
    expect(broken).toBeGreaterThan(20); // the slips really break the YAML
  });

  it('after the parser gives up on the document, the rest of the file is one error, not one per token', () => {
    const text = edit(VALID, '# yaml-language-server', ' yaml-language-server');
    const r = check(text);
    expect(codes(r.errors)).toEqual(['yaml_syntax']);
    expect(r.errors[0]!.message).toMatch(/\(\d{2,} later syntax errors/);
  });

  it('two mistakes in two blocks stay two errors', () => {
    const text = edit(edit(VALID, 'display_name: Acme Shop', 'display_name: [Acme Shop'), 'secrets:\n', 'secrets:: x\n');
    const r = check(text);
    expect(codes(r.errors)).toEqual(['yaml_syntax', 'yaml_syntax']);
    expect(r.errors.map((e) => e.line)).toEqual([pos(text, 'description: A test shop.').line, pos(text, 'secrets:: x').line]);
  });

  it('deep nesting is refused before it can exhaust the stack', () => {
    const text = `schema_version: 1\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(codes(check(text).errors)).toContain('too_deep');
  });

  it('a complex (non-scalar) key is refused', () => {
    const text = `${VALID}? [a, b]\n: 1\n`;
    expect(check(text).errors).toEqual([expect.objectContaining({ code: 'invalid_key', ...pos(text, '? [a', '[a') })]);
  });
});
