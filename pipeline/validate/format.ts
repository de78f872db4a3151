/**
 * Output for people and for GitHub: `file:line:col path: message [code]` lines, and workflow
 * commands (`::error file=F,line=L,col=C,title=T::message`) that annotate the exact manifest line.
 * The PR check reuses these.
 */
import { escapeControl } from './terminal-text.ts';
import type { Problem, ValidationResult } from './types.ts';

/**
 * One problem as a human line: `connectors/x/manifest.yaml:12:5 scopes[2].firearm_type: ... [code]`.
 * The file name, field path and message carry text from the manifest (an unknown field's name, a
 * value), so control and bidi characters are shown escaped: the line is one line, and what it
 * says is what the file holds (see terminal-text.ts).
 */
export function formatProblem(p: Problem, severity: 'error' | 'warning' = 'error'): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  const tag = severity === 'warning' ? ' warning:' : '';
  const field = p.path ? ` ${p.path}:` : '';
  return escapeControl(`${where}${tag}${field} ${p.message} [${p.code}]`);
}

const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

/** What was checked: "1 manifest, 2 catalogues" when the kinds are known, else "3 files". */
export function checkedText(result: Pick<ValidationResult, 'checked' | 'checked_files'>): string {
  const kinds = result.checked_files;
  if (!kinds) return plural(result.checked, 'file');
  return `${plural(kinds.manifests, 'manifest')}, ${plural(kinds.catalogues, 'catalogue')}`;
}

/** Every problem, errors then warnings, and a one-line summary. */
export function formatHuman(result: Pick<ValidationResult, 'ok' | 'checked' | 'checked_files' | 'errors' | 'warnings'>): string {
  const lines = [
    ...result.errors.map((p) => formatProblem(p, 'error')),
    ...result.warnings.map((p) => formatProblem(p, 'warning')),
  ];
  const files = new Set([...result.errors, ...result.warnings].map((p) => p.file)).size;
  if (result.ok) {
    lines.push(`ok: ${checkedText(result)} checked, no errors${result.warnings.length ? `, ${plural(result.warnings.length, 'warning')} in ${plural(files, 'file')}` : ''}.`);
  } else {
    lines.push(`invalid: ${plural(result.errors.length, 'error')} and ${plural(result.warnings.length, 'warning')} in ${plural(files, 'file')} (${checkedText(result)} checked). Fix the errors above and run validate again.`);
  }
  return lines.join('\n');
}

/** Workflow command message escaping (as @actions/core does): % CR LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Workflow command property escaping: also : and , which separate properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=F,line=L,col=C,title=T::message` (or ::warning) for one problem. */
export function formatGithubCommand(p: Problem, severity: 'error' | 'warning' = 'error'): string {
  const title = p.path ? `${p.path} (${p.code})` : p.code;
  const props = [`file=${escapeProperty(p.file)}`, `line=${p.line}`, `col=${p.column}`, `title=${escapeProperty(title)}`].join(',');
  return `::${severity} ${props}::${escapeData(p.message)}`;
}

export function formatGithubCommands(result: Pick<ValidationResult, 'errors' | 'warnings'>): string[] {
  return [
    ...result.errors.map((p) => formatGithubCommand(p, 'error')),
    ...result.warnings.map((p) => formatGithubCommand(p, 'warning')),
  ];
}
