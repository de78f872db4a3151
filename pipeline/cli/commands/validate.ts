/**
 * `npm run connectors -- validate [--json] [PATH ...]`: every problem in every manifest and catalogue.
 * Exit 0 when valid (warnings allowed), 1 when anything is invalid, 2 on a usage error.
 * --json prints exactly one JSON object {"ok","checked","errors","warnings"} on stdout; with
 * GITHUB_ACTIONS=true the workflow commands that annotate the lines go to stdout too, or to stderr
 * with --json (GitHub reads both) so that stdout stays one JSON document.
 */
import path from 'node:path';
import { formatGithubCommands, formatHuman, validateRepo } from '../../validate/index.ts';
import { terminalJson } from '../../validate/terminal-text.ts';
import { EXIT } from '../errors.ts';
import { findRepoRoot, parseFlags } from '../options.ts';

const USAGE = 'Usage: npm run connectors -- validate [--json] [--repo-root DIR] [PATH ...]\n  PATH: a connector folder or its manifest.yaml; default: every connector.';

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, USAGE, { json: { type: 'boolean' }, 'repo-root': { type: 'string' } });
  const repoRoot = findRepoRoot(parsed.values['repo-root']);
  const paths = parsed.positionals.map((p) => path.resolve(process.cwd(), p));
  const result = await validateRepo({ repoRoot, paths: paths.length ? paths : undefined });

  const github = process.env.GITHUB_ACTIONS === 'true' ? formatGithubCommands(result) : [];
  if (parsed.values.json) {
    const { ok, checked, errors, warnings } = result;
    process.stdout.write(`${terminalJson({ ok, checked, errors, warnings })}\n`);
    if (github.length) process.stderr.write(`${github.join('\n')}\n`);
  } else {
    process.stdout.write(`${[...github, formatHuman(result)].join('\n')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
