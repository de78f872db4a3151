/**
 * `npm run connectors -- new <slug> [--display-name TEXT] [--auth-mode MODE]`: scaffolds
 * connectors/<slug>/ from _template/ and says what to do next.
 * Exit 2 for a usage error (an invalid slug, a bad --auth-mode or --display-name, an unknown flag),
 * 1 when the folder exists or the template is missing.
 */
import { scaffoldConnector } from '../../scaffold/scaffold.ts';
import { escapeControl } from '../../validate/terminal-text.ts';
import { parseCommandLine, usageLine } from '../command-line.ts';
import { EXIT, InputError, UsageError } from '../errors.ts';
import { findRepoRoot } from '../options.ts';
import { NEW } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(NEW, args);
  const slug = positionals[0]!;
  const repoRoot = findRepoRoot(values['repo-root']);
  const result = await scaffoldConnector({ repoRoot, slug, displayName: values['display-name'], authMode: values['auth-mode'] });
  if (!result.ok) {
    // What was typed is wrong (slug, mode, name): a usage error. What is on disk is in the way: exit 1.
    if (result.code === 'invalid_slug' || result.code === 'invalid_auth_mode' || result.code === 'invalid_display_name') {
      throw new UsageError(`${result.message}\n${usageLine(NEW)}`);
    }
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
