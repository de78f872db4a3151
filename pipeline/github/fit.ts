/**
 * GitHub's size limits, and cutting markdown to fit them with a note that says so. Pure.
 *
 * A cut falls on a line boundary: every code span we write is on one line (control characters are
 * escaped), so a cut never opens a span it does not close, and a table cut between rows is a
 * shorter table. `\n` is one byte in UTF-8, so a byte cut there never splits a character.
 */

/** GitHub refuses comment bodies over 65,536 characters; we stop short of it. */
export const COMMENT_MAX_CHARS = 65_000;

/**
 * GitHub drops a step's whole job summary when it holds more than 1 MiB (1,048,576 bytes:
 * "$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k"). We stop 64 KiB
 * short of it, counting what the step wrote before.
 */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
export const SUMMARY_MAX_BYTES = SUMMARY_LIMIT_BYTES - 64 * 1024;

type Measure = 'chars' | 'bytes';

const sizeOf = (text: string, unit: Measure) => (unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length);

/**
 * `body` when it fits in `max` units, else its longest prefix that ends at a line boundary and
 * leaves room for `note`, followed by `note`; empty when not even the note fits.
 */
export function fitMarkdown(body: string, max: number, unit: Measure, note: string): string {
  const whole = body.endsWith('\n') ? body : `${body}\n`;
  if (sizeOf(whole, unit) <= max) return whole;
  const tail = `\n${note.trim()}\n`;
  // Not even the note fits (the step's summary is already full): write nothing.
  if (sizeOf(tail, unit) + 1 > max) return '';
  const room = max - sizeOf(tail, unit) - 1;
  let prefix: string;
  if (unit === 'bytes') {
    const bytes = Buffer.from(whole, 'utf8');
    const cut = bytes.lastIndexOf(0x0a, room);
    prefix = cut > 0 ? bytes.subarray(0, cut).toString('utf8') : '';
  } else {
    const cut = whole.lastIndexOf('\n', room);
    prefix = cut > 0 ? whole.slice(0, cut) : '';
  }
  return `${prefix}\n${tail}`;
}

/** The PR comment under GitHub's limit; the note points to the run whose summary has everything. */
export function fitComment(body: string, runUrl: string | null): string {
  const where = runUrl ? `the job summary of [this workflow run](${runUrl})` : "this workflow run's job summary";
  return fitMarkdown(body, COMMENT_MAX_CHARS, 'chars', `_✂️ This comment was cut here: GitHub allows 65,536 characters in a comment. ${where} has the whole plan and every problem._`);
}

/**
 * A job summary under 1 MiB, with `alreadyWritten` bytes in the step's summary file before it.
 * The note says where the rest is: the annotations and the step log list every problem.
 */
export function fitSummary(markdown: string, alreadyWritten = 0): string {
  const budget = Math.max(0, SUMMARY_MAX_BYTES - alreadyWritten);
  return fitMarkdown(
    markdown,
    budget,
    'bytes',
    '_✂️ This summary was cut here: GitHub shows at most 1 MiB of a step summary. Every problem is in the step log (and annotated on its line); `npm run connectors -- validate` and `plan` print everything locally._',
  );
}
