/**
 * The workflow commands that annotate each problem on its line (`::error file=F,line=L,col=C,title=T::message`).
 *
 * A problem's file name, field path and message carry text from the manifest, so before GitHub's
 * own escaping (escapeData: % CR LF; escapeProperty: also `:` and `,`, which separate properties)
 * every control and bidi character is shown escaped (`\x1b`, `\u202e`): an annotation is one line
 * that says what the file holds, never a second workflow command and never terminal control.
 */
import { formatGithubCommand } from '../validate/index.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import type { Problem, ValidationResult } from '../validate/types.ts';

/** The code is a catalogue code (pipeline/validate/problem-codes.ts), never manifest text: kept as it is. */
function visible(p: Problem): Problem {
  return { ...p, file: escapeControl(p.file), path: escapeControl(p.path), message: escapeControl(p.message) };
}

/** One workflow command per problem, errors first. */
export function annotations(result: Pick<ValidationResult, 'errors' | 'warnings'>): string[] {
  return [
    ...result.errors.map((p) => formatGithubCommand(visible(p), 'error')),
    ...result.warnings.map((p) => formatGithubCommand(visible(p), 'warning')),
  ];
}
