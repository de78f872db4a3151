/**
 * `npm run connectors -- new <slug> [--display-name TEXT] [--auth-mode MODE]`: scaffolds
 * connectors/<slug>/ from _template/ and says what to do next.
 * Exit 1 for an invalid or taken slug, 2 for a usage error (unknown flag, bad --auth-mode).
 */
import { AUTH_MODES } from '../../schema/manifest.ts';
import { scaffoldConnector } from '../../scaffold/scaffold.ts';
import { escapeControl } from '../../validate/terminal-text.ts';
import { EXIT, InputError, UsageError } from '../errors.ts';
import { findRepoRoot, parseFlags } from '../options.ts';

const USAGE = `Usage: npm run connectors -- new <slug> [--display-name TEXT] [--auth-mode ${AUTH_MODES.join('|')}]`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(args, USAGE, { 'display-name': { type: 'string' }, 'auth-mode': { type: 'string' }, 'repo-root': { type: 'string' } });
  const [slug, ...extra] = parsed.positionals;
  if (!slug || extra.length) throw new UsageError(`${slug ? 'only one slug, please' : 'the slug is missing'}.\n${USAGE}`);

  const repoRoot = findRepoRoot(parsed.values['repo-root']);
  const result = await scaffoldConnector({ repoRoot, slug, displayName: parsed.values['display-name'], authMode: parsed.values['auth-mode'] });
  if (!result.ok) {
    if (result.code === 'invalid_auth_mode' || result.code === 'invalid_display_name') throw new UsageError(`${result.message}\n${USAGE}`);
    throw new InputError(result.message);
  }
  // The slug is checked; the file names come from _template/ and are shown as data.
  process.stdout.write(`Created ${result.folder}/ (${escapeControl(result.files.join(', '))}).

Next:
  1. Fill every TODO in ${result.folder}/manifest.yaml from the provider's API docs: scopes with their exact
     names, requires_firearm for each (true when it can spend money, destroy data, speak for the business
     or deploy code, with a firearm_type), KPI mappings and the keys it needs.
  2. Check it: npm run connectors -- validate ${result.folder}
  3. Write one handler per scope in ${result.folder}/server.ts (see ${result.folder}/README.md).
  4. Open a pull request: CI validates it and comments the registry plan; an operator approves it after merge.
`);
  return EXIT.ok;
}
