/**
 * `npm run connectors -- validate [--json] [PATH ...]`: every problem in every manifest and catalogue.
 * Exit 0 when valid (warnings allowed), 1 when anything is invalid, 2 on a usage error (an unknown
 * flag, a PATH that does not exist or is not a connector folder).
 * --json prints exactly one JSON object {"ok","checked","errors","warnings"} on stdout; with
 * GITHUB_ACTIONS=true the workflow commands that annotate the lines go to stdout too, or to stderr
 * with --json (GitHub reads both) so that stdout stays one JSON document.
 */
import path from 'node:path';
import { formatGithubCommands, formatHuman, validateRepo } from '../../validate/index.ts';
import { terminalJson } from '../../validate/terminal-text.ts';
import { parseCommandLine, usageLine } from '../command-line.ts';
import { connectorPathProblems } from '../connector-paths.ts';
import { EXIT, UsageError } from '../errors.ts';
import { findRepoRoot } from '../options.ts';
import { VALIDATE } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(VALIDATE, args);
  const repoRoot = findRepoRoot(values['repo-root']);
  const paths = positionals.map((p) => path.resolve(process.cwd(), p));
  const wrong = await connectorPathProblems(repoRoot, paths);
  if (wrong.length > 0) throw new UsageError(`${wrong.join('\n')}\n${usageLine(VALIDATE)}`);
  // Only the problems are printed: no connector, digest or parsed manifest is kept (every manifest is still judged in full).
  const result = await validateRepo({ repoRoot, paths: paths.length ? paths : undefined, keep: 'problems' });

  const github = process.env.GITHUB_ACTIONS === 'true' ? formatGithubCommands(result) : [];
  if (values.json) {
    const { ok, checked, errors, warnings } = result;
    process.stdout.write(`${terminalJson({ ok, checked, errors, warnings })}\n`);
    if (github.length) process.stderr.write(`${github.join('\n')}\n`);
  } else {
    process.stdout.write(`${[...github, formatHuman(result)].join('\n')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
