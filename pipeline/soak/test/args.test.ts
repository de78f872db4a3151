/**
 * `npm run soak` flags, defined once (SOAK) and parsed by the CLI's parser: the same defaults and
 * check as before, a misspelt flag named with the closest one and the synopsis, --help listing
 * every flag, exit 2 on a usage error before anything is copied or started.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText, usageLine } from '../../cli/command-line.ts';
import { EXIT, UsageError, exitCodeFor } from '../../cli/errors.ts';
import { SOAK, parseSoakArgs } from '../args.ts';

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

describe('npm run soak flags', () => {
  it('default to 2,000 connectors for 5 minutes, and take each flag', () => {
    expect(parseSoakArgs([])).toEqual({ connectors: 2000, minutes: 5, json: false });
    expect(parseSoakArgs(['--connectors', '30', '--minutes', '0.5', '--json'])).toEqual({ connectors: 30, minutes: 0.5, json: true });
  });

  it('refuse a count that is not a positive integer, or minutes that are not positive', () => {
    for (const argv of [['--connectors', '0'], ['--connectors', '1.5'], ['--minutes', '0'], ['--minutes', 'soon']]) {
      expect(usageError(() => parseSoakArgs(argv)).message).toBe('--connectors must be a positive integer and --minutes a positive number');
    }
  });

  it('an unknown flag is one line naming the closest flag, then the synopsis', () => {
    expect(usageError(() => parseSoakArgs(['--minuts', '1'])).message.split('\n')).toEqual([
      'soak has no option --minuts. Did you mean --minutes?',
      'Usage: npm run soak -- [--connectors N] [--minutes M] [--json]',
      'Run npm run soak -- --help for every option.',
    ]);
    expect(usageError(() => parseSoakArgs(['--connectors'])).message).toMatch(/^--connectors needs a value \(N\)\.\n/);
  });

  it('--help lists every flag with its default', () => {
    const text = helpText(SOAK);
    expect(text).toMatch(/^ {2}--connectors N +synthetic connectors to add \(default 2000\)$/m);
    expect(text).toMatch(/^ {2}--minutes M +.*\(default 5\)$/m);
    expect(text).toMatch(/^ {2}--json +/m);
  });
});

describe('npm run soak on the command line', () => {
  const soak = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/soak/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('exits 2 on an unknown flag or a bad value, before copying anything; --help exits 0', () => {
    const bad = soak('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`soak: soak has no option --bogus.\n${usageLine(SOAK)}\nRun npm run soak -- --help for every option.\n`);
    const zero = soak('--minutes', '0');
    expect(zero.status).toBe(2);
    expect(zero.stderr).toBe('soak: --connectors must be a positive integer and --minutes a positive number\n');
    const help = soak('-h');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(helpText(SOAK));
  });
});
