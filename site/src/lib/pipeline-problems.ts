/**
 * The pipeline banner's view of npm start's validation problems: grouped by file, so one
 * half-filled scaffold is one group with a count instead of sixteen lines on every page, each group
 * in line order, with the connector a file belongs to (`connectors/<slug>/...`) so the group can
 * link to that connector's page.
 */
import { SLUG_RE } from './api.ts';
import type { PipelineProblem } from './ports.ts';

export interface ProblemGroup {
  file: string;
  /** The connector folder the file is in, or null (a catalogue, a file outside connectors/). */
  slug: string | null;
  /** In line, then column order. */
  problems: PipelineProblem[];
}

/** Files shown open in the banner; the rest sit behind one "more files" disclosure. */
export const OPEN_FILES = 3;
/** Problems shown per open file; the rest of that file's sit behind its own disclosure. */
export const OPEN_PROBLEMS = 3;

/** Groups by file, files in path order (stable from page to page, whatever order the validator found them in). */
export function groupProblems(problems: readonly PipelineProblem[]): ProblemGroup[] {
  const byFile = new Map<string, PipelineProblem[]>();
  for (const p of problems) {
    const list = byFile.get(p.file);
    if (list) list.push(p);
    else byFile.set(p.file, [p]);
  }
  return [...byFile]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, list]) => ({
      file,
      slug: connectorSlugOf(file),
      problems: [...list].sort((a, b) => a.line - b.line || a.column - b.column),
    }));
}

/** `connectors/acme_shop/manifest.yaml` → `acme_shop`; null when the path is not inside a connector folder. */
export function connectorSlugOf(file: string): string | null {
  const [top, folder] = file.split('/');
  return top === 'connectors' && folder !== undefined && SLUG_RE.test(folder) ? folder : null;
}

/** "line 9, column 1" for a person; the banner keeps `file:line:column` in a data attribute for tools. */
export function locationText(p: Pick<PipelineProblem, 'line' | 'column'>): string {
  return p.line > 0 ? `line ${p.line}, column ${p.column}` : 'whole file';
}

/** "16 problems", "1 problem". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
