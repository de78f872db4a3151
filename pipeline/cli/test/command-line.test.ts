/**
 * One definition per command (specs.ts) makes its parser, its synopsis and its --help: the help
 * lists every flag the parser accepts, usage errors say what is wrong (with the closest flag or
 * command) and map to exit 2. Pure: no process is spawned here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VAULT_AGENT } from '../../../vault-agent/src/args.ts';
import { BENCH } from '../../bench/args.ts';
import { SOAK } from '../../soak/args.ts';
import { EXIT_CODES, defineCommand, helpText, parseCommandLine, synopsis, usageLine, type CommandSpec } from '../command-line.ts';
import { EXIT, UsageError, exitCodeFor } from '../errors.ts';
import { COMMAND_SPECS, LICENCES, NEW, PLAN, START, SYNC, VALIDATE, route } from '../specs.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect(exitCodeFor(err)).toBe(EXIT.usage);
    return err as UsageError;
  }
  throw new Error('expected a usage error');
};

/** The flags a help text shows in its Options section. */
const helpFlags = (text: string) => [...text.split('Options:')[1]!.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);

describe('every command is defined once', () => {
  it.each(COMMAND_SPECS.map((c) => [c.name, c as CommandSpec] as const))('%s --help lists exactly the flags its parser accepts', (_, spec) => {
    const shown = helpFlags(helpText(spec));
    expect(shown).toEqual(Object.keys(spec.flags).map((f) => `--${f}`));
    for (const flag of shown) {
      const def = spec.flags[flag!.slice(2)]!;
      const args = def.type === 'string' ? [flag!, 'x'] : [flag!];
      expect(() => parseCommandLine({ ...spec, args: { synopsis: 'X', min: 0, max: 9, help: '' } }, args)).not.toThrow();
    }
    // And the synopsis (shown with every usage error) names each of them too.
    for (const flag of shown) expect(synopsis(spec)).toContain(flag);
  });

  it('plan --help lists --data-dir and --database-url', () => {
    const text = helpText(PLAN);
    expect(text).toMatch(/^ {2}--data-dir DIR +the embedded registry's data dir/m);
    expect(text).toMatch(/^ {2}--database-url URL +the registry in PostgreSQL/m);
  });

  it.each(COMMAND_SPECS.map((c) => [c.name] as const))('commands/%s.ts parses with its definition, not a parser of its own', (name) => {
    const source = readFileSync(path.join(import.meta.dirname, '..', 'commands', `${name}.ts`), 'utf8');
    expect(source).toMatch(/parseCommandLine\([A-Z_]+, args\)/);
    expect(source).not.toMatch(/parseArgs\(/);
  });
});

/** The other entry points, each with the file(s) that read its flags. */
const ENTRY_POINTS = [
  [START, ['pipeline/cli/start.ts']],
  [BENCH, ['pipeline/bench/args.ts', 'pipeline/bench/main.ts']],
  [SOAK, ['pipeline/soak/args.ts', 'pipeline/soak/main.ts']],
  [VAULT_AGENT, ['vault-agent/src/args.ts', 'vault-agent/src/main.ts']],
] as const satisfies readonly (readonly [CommandSpec, readonly string[]])[];

describe('every entry point is parsed by the same parser', () => {
  it.each(ENTRY_POINTS.map(([spec, files]) => [spec.program, spec as CommandSpec, files] as const))(
    '%s: --help lists exactly the flags its parser accepts, and no file of it parses by hand',
    (_, spec, files) => {
      expect(helpFlags(helpText(spec))).toEqual(Object.keys(spec.flags).map((f) => `--${f}`));
      expect(helpText(spec)).toMatch(/^ {2}-h, --help +show this help$/m);
      const parses = files.map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'));
      expect(parses.some((source) => /parseCommandLine\([A-Z_]+, argv\)/.test(source))).toBe(true);
      for (const source of parses) expect(source).not.toMatch(/node:util|parseArgs\(|USAGE/);
    },
  );

  it.each(ENTRY_POINTS.map(([spec]) => [spec.program, spec as CommandSpec] as const))('%s: an unknown flag is one line, then the synopsis, exit 2', (program, spec) => {
    const e = usageError(() => parseCommandLine(spec, ['--bogus']));
    expect(e.message.split('\n')).toEqual([`${spec.name} has no option --bogus.`, usageLine(spec), `Run ${program} --help for every option.`]);
    expect(usageLine(spec)).toMatch(new RegExp(`^Usage: ${program!.replace(/[-]/g, '\\-')} \\[--`));
  });
});

describe('the parser', () => {
  it('returns typed values and positionals', () => {
    const r = parseCommandLine(VALIDATE, ['--json', 'connectors/a', 'connectors/b']);
    expect(r.values.json).toBe(true);
    expect(r.positionals).toEqual(['connectors/a', 'connectors/b']);
    expect(parseCommandLine(PLAN, ['--data-dir', '/tmp/d', '--full']).values).toEqual({ 'data-dir': '/tmp/d', full: true });
  });

  it('an unknown flag names the command and the closest flag, with the synopsis', () => {
    const e = usageError(() => parseCommandLine(SYNC, ['--dryrun']));
    expect(e.message).toBe(
      'sync has no option --dryrun. Did you mean --dry-run?\n' +
        'Usage: npm run connectors -- sync [--dry-run] [--json] [--full] [--database-url URL] [--data-dir DIR]\n' +
        'Run npm run connectors -- sync --help for every option.',
    );
    expect(usageError(() => parseCommandLine(PLAN, ['--jsn'])).message).toMatch(/^plan has no option --jsn\. Did you mean --json\?/);
    expect(usageError(() => parseCommandLine(PLAN, ['--frobnicate'])).message).toMatch(/^plan has no option --frobnicate\.\n/);
  });

  it('a flag without its value, or with an empty one, is a usage error', () => {
    expect(usageError(() => parseCommandLine(PLAN, ['--data-dir'])).message).toMatch(/^--data-dir needs a value \(DIR\)\.\nUsage: /);
    // Followed by another flag, the value is missing too (parseArgs calls it "ambiguous").
    expect(usageError(() => parseCommandLine(PLAN, ['--data-dir', '--full'])).message).toMatch(/^--data-dir needs a value \(DIR\)\.\nUsage: /);
    expect(parseCommandLine(PLAN, ['--data-dir=--odd']).values['data-dir']).toBe('--odd');
    expect(usageError(() => parseCommandLine(PLAN, ['--data-dir', ''])).message).toMatch(/^--data-dir needs a value \(DIR\)\./);
    expect(usageError(() => parseCommandLine(LICENCES, ['--connector='])).message).toMatch(/^--connector needs a value \(SLUG\)\./);
  });

  it('argument counts: none for plan, exactly one slug for new', () => {
    expect(usageError(() => parseCommandLine(PLAN, ['now'])).message).toMatch(/^plan takes no arguments \(got "now"\)\./);
    expect(usageError(() => parseCommandLine(LICENCES, ['grant'])).message).toMatch(/^licences takes no arguments \(got "grant"\): it only lists\./);
    expect(usageError(() => parseCommandLine(NEW, [])).message).toMatch(/^new needs <slug>: it is missing\./);
    expect(usageError(() => parseCommandLine(NEW, ['a_b', 'c_d'])).message).toMatch(/^new takes one <slug> \(got "a_b c_d"\)\./);
  });

  it("--help ends with the command's exit codes: the CLI's unless the entry point says its own", () => {
    expect(helpText(PLAN).trimEnd().split('\n').at(-1)).toBe(EXIT_CODES);
    const own = defineCommand({ name: 'x', program: 'npm run x --', summary: 's', flags: {}, exitCodes: 'Exit codes: 0 ran, 2 usage error.' });
    expect(helpText(own).trimEnd().split('\n').at(-1)).toBe('Exit codes: 0 ran, 2 usage error.');
    expect(helpText(own)).not.toContain(EXIT_CODES);
  });

  it('control characters in what was typed are shown escaped', () => {
    expect(usageError(() => parseCommandLine(PLAN, ['\u001b[2Jx'])).message).not.toContain('\u001b');
  });
});

describe('routing argv to a command', () => {
  it('a misspelt command is a usage error that suggests the right one', () => {
    expect(usageError(() => route(['valdate'])).message).toMatch(/^unknown command "valdate"\. Did you mean validate\?\n/);
    expect(usageError(() => route(['snyc'])).message).toMatch(/Did you mean sync\?/);
    expect(usageError(() => route(['zzzzzz'])).message).toMatch(/^unknown command "zzzzzz"\.\n\nUsage:/);
  });

  it('no command prints the usage with exit 2; --help and help print it with exit 0', () => {
    expect(route([])).toMatchObject({ kind: 'help', exitCode: 2 });
    expect(route(['--help'])).toMatchObject({ kind: 'help', exitCode: 0 });
    const usage = route(['help']);
    expect(usage.kind === 'help' && usage.text).toMatch(/Commands:[\s\S]*validate \[PATH \.\.\.\][\s\S]*plan \[--full\][\s\S]*licences/);
  });

  it('<command> --help (anywhere before --) and help <command> print that command, exit 0', () => {
    for (const argv of [['plan', '--help'], ['plan', '--full', '-h'], ['help', 'plan']]) {
      expect(route(argv)).toEqual({ kind: 'help', text: helpText(PLAN), exitCode: 0 });
    }
    expect(route(['validate', '--', '--help'])).toEqual({ kind: 'run', name: 'validate', args: ['--', '--help'] });
  });

  it('a known command runs with the rest of the arguments', () => {
    expect(route(['sync', '--dry-run'])).toEqual({ kind: 'run', name: 'sync', args: ['--dry-run'] });
  });
});
