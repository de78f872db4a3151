import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, formatGithubCommand, formatHuman, formatProblem } from '../format.ts';
import type { Problem } from '../types.ts';

const problem: Problem = {
  file: 'connectors/shopfy/manifest.yaml', line: 12, column: 5, path: 'scopes[2].firearm_type', code: 'unknown_firearm_type',
  message: 'unknown firearm type "REFUND". Did you mean REFUND_ISSUE?',
};

describe('human output', () => {
  it('prints file:line:col path: message [code]', () => {
    expect(formatProblem(problem)).toBe('connectors/shopfy/manifest.yaml:12:5 scopes[2].firearm_type: unknown firearm type "REFUND". Did you mean REFUND_ISSUE? [unknown_firearm_type]');
  });

  it('marks warnings and leaves out an empty path', () => {
    expect(formatProblem({ ...problem, path: '' }, 'warning')).toBe('connectors/shopfy/manifest.yaml:12:5 warning: unknown firearm type "REFUND". Did you mean REFUND_ISSUE? [unknown_firearm_type]');
  });

  it('ends with a summary line', () => {
    expect(formatHuman({ ok: true, checked: 4, errors: [], warnings: [] })).toBe('ok: 4 files checked, no errors.');
    expect(formatHuman({ ok: false, checked: 4, errors: [problem], warnings: [] }).split('\n').at(-1)).toMatch(/^invalid: 1 error and 0 warnings in 1 file/);
  });

  it('says what was checked by kind: one manifest and two catalogues, not "3 files"', () => {
    const one = { checked: 3, checked_files: { manifests: 1, catalogues: 2 } };
    expect(formatHuman({ ok: true, ...one, errors: [], warnings: [] })).toBe('ok: 1 manifest, 2 catalogues checked, no errors.');
    expect(formatHuman({ ok: false, checked: 8, checked_files: { manifests: 6, catalogues: 2 }, errors: [problem], warnings: [] })).toBe(
      `${formatProblem(problem)}\ninvalid: 1 error and 0 warnings in 1 file (6 manifests, 2 catalogues checked). Fix the errors above and run validate again.`,
    );
  });
});

describe('GitHub workflow commands', () => {
  it('annotate the file, line and column', () => {
    expect(formatGithubCommand(problem)).toBe(
      '::error file=connectors/shopfy/manifest.yaml,line=12,col=5,title=scopes[2].firearm_type (unknown_firearm_type)::unknown firearm type "REFUND". Did you mean REFUND_ISSUE?',
    );
    expect(formatGithubCommand(problem, 'warning')).toMatch(/^::warning file=/);
  });

  it('escape % CR LF in messages, and also : and , in properties', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    const line = formatGithubCommand({ ...problem, file: 'connectors/a,b/manifest.yaml', path: 'x:y', message: 'two\nlines' });
    expect(line).toBe('::error file=connectors/a%2Cb/manifest.yaml,line=12,col=5,title=x%3Ay (unknown_firearm_type)::two%0Alines');
  });
});
