/**
 * `npm start` is parsed from its definition in specs.ts (START) like every command of `npm run
 * connectors`: the same flags as README and DESIGN.md list, the same synopsis in every usage error,
 * --help listing each flag, the closest flag for a misspelt one, exit 2 before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine, usageLine } from '../command-line.ts';
import { EXIT, UsageError, exitCodeFor } from '../errors.ts';
import { START } from '../specs.ts';

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

describe('npm start flags (START in specs.ts)', () => {
  it('takes exactly the flags README lists, with the same synopsis', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const line = /^npm start -- .*$/m.exec(readme)?.[0];
    expect(usageLine(START)).toBe(`Usage: ${line}`);
  });

  it('parses every flag to its value', () => {
    const { values } = parseCommandLine(START, [
      '--port', '0', '--host', '0.0.0.0', '--data-dir', 'd', '--vault-dir', 'v', '--database-url', 'postgres://x@h/db', '--operator', 'alice', '--no-watch',
    ]);
    expect(values).toEqual({ port: '0', host: '0.0.0.0', 'data-dir': 'd', 'vault-dir': 'v', 'database-url': 'postgres://x@h/db', operator: 'alice', 'no-watch': true });
  });

  it('--help lists every flag the parser accepts', () => {
    const shown = [...helpText(START).split('Options:')[1]!.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(shown).toEqual(Object.keys(START.flags).map((f) => `--${f}`));
    expect(helpText(START)).toMatch(/^Usage: npm start -- \[--port N\]/);
  });

  it('a misspelt flag is a usage error naming the closest one, with the synopsis and how to get help', () => {
    const e = usageError(() => parseCommandLine(START, ['--no-wach']));
    expect(e.message).toContain('Did you mean --no-watch?');
    expect(e.message).toContain(usageLine(START));
    expect(e.message).toContain('Run npm start -- --help for every option.');
  });

  it('an argument, a flag without its value or an empty one is a usage error', () => {
    expect(usageError(() => parseCommandLine(START, ['now'])).message).toContain('takes no arguments (got "now")');
    expect(usageError(() => parseCommandLine(START, ['--port'])).message).toContain('--port needs a value (N).');
    expect(usageError(() => parseCommandLine(START, ['--operator', ''])).message).toContain('--operator needs a value (NAME).');
  });
});

describe('npm start on the command line', () => {
  const start = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

  it('exits 2 on a misspelt flag, before starting anything, and --help exits 0 with every flag', () => {
    const bad = start('--prot', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^npm start: start has no option --prot\. Did you mean --port\?\nUsage: npm start -- /);
    expect(bad.stdout).toBe('');

    const help = start('--port', '0', '-h');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(helpText(START));
  });
});
