/**
 * `npm run connectors -- validate [--json] [PATH ...]`: every problem in every manifest and catalogue.
 * Exit 0 when valid (warnings allowed), 1 when anything is invalid, 2 on a usage error.
 * --json prints exactly one JSON object {"ok","checked","errors","warnings"} on stdout; with
 * GITHUB_ACTIONS=true the workflow commands that annotate the lines go to stdout too, or to stderr
 * with --json (GitHub reads both) so that stdout stays one JSON document.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatGithubCommands, formatHuman, validateRepo } from '../../validate/index.ts';
import { EXIT, InputError, UsageError } from '../errors.ts';

const USAGE = 'Usage: npm run connectors -- validate [--json] [--repo-root DIR] [PATH ...]\n  PATH: a connector folder or its manifest.yaml; default: every connector.';

/**
 * The repository: --repo-root, else CONNECTORS_REPO_ROOT, else the nearest directory from cwd
 * upwards that holds both connectors/ and package.json.
 */
export function findRepoRoot(explicit: string | undefined, cwd = process.cwd()): string {
  const given = explicit ?? process.env.CONNECTORS_REPO_ROOT;
  if (given) {
    const root = path.resolve(cwd, given);
    if (!existsSync(path.join(root, 'connectors'))) throw new InputError(`${root} has no connectors/ folder. Point --repo-root (or CONNECTORS_REPO_ROOT) at the repository root.`);
    return root;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'connectors')) && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) {
      throw new InputError(`no repository found: no directory from ${cwd} upwards holds connectors/ and package.json. Run this inside the connector repository, or pass --repo-root DIR.`);
    }
  }
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { json: { type: 'boolean' }, 'repo-root': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const repoRoot = findRepoRoot(parsed.values['repo-root']);
  const paths = parsed.positionals.map((p) => path.resolve(process.cwd(), p));
  const result = await validateRepo({ repoRoot, paths: paths.length ? paths : undefined });

  const github = process.env.GITHUB_ACTIONS === 'true' ? formatGithubCommands(result) : [];
  if (parsed.values.json) {
    const { ok, checked, errors, warnings } = result;
    process.stdout.write(`${JSON.stringify({ ok, checked, errors, warnings })}\n`);
    if (github.length) process.stderr.write(`${github.join('\n')}\n`);
  } else {
    process.stdout.write(`${[...github, formatHuman(result)].join('\n')}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
