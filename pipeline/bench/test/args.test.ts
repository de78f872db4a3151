/**
 * `npm run bench` flags, defined once (BENCH) and parsed by the CLI's parser: the same defaults and
 * value checks as ever, a misspelt flag named with the closest one and the synopsis, --help listing
 * every flag, exit 2 on any usage error before anything is generated.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText, usageLine } from '../../cli/command-line.ts';
import { EXIT, UsageError, exitCodeFor } from '../../cli/errors.ts';
import { BENCH, parseBenchArgs } from '../args.ts';

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

describe('npm run bench flags', () => {
  it('default to 10,000 connectors, 3 runs and the embedded registry', () => {
    const args = parseBenchArgs([], {});
    expect(args).toEqual({ connectors: 10_000, runs: 3, json: false, databaseUrl: undefined, seed: 20260101, siteSeconds: 5, vaultWrites: 2000, keep: false });
  });

  it('take --connectors, --json, --runs and a database from the flag or DATABASE_URL', () => {
    expect(parseBenchArgs(['--connectors', '200', '--json', '--runs', '1'], {})).toMatchObject({ connectors: 200, json: true, runs: 1 });
    expect(parseBenchArgs(['--connectors', '100_000'], {}).connectors).toBe(100_000);
    expect(parseBenchArgs([], { DATABASE_URL: 'postgres://h/db' }).databaseUrl).toBe('postgres://h/db');
    expect(parseBenchArgs(['--database-url', 'postgres://a/b'], { DATABASE_URL: 'postgres://h/db' }).databaseUrl).toBe('postgres://a/b');
  });

  it('refuse bad values with a usage error that names the flag', () => {
    expect(usageError(() => parseBenchArgs(['--connectors', '0'], {})).message).toBe('--connectors must be an integer ≥ 1, got "0"');
    expect(usageError(() => parseBenchArgs(['--runs', 'many'], {})).message).toBe('--runs must be an integer ≥ 1, got "many"');
    expect(usageError(() => parseBenchArgs(['--site-seconds', '61'], {})).message).toMatch(/^--site-seconds must be a number of seconds from 0 to 60/);
    expect(usageError(() => parseBenchArgs(['--database-url', 'mysql://x'], {})).message).toMatch(/postgres:\/\//);
  });

  it('an unknown flag is one line naming the closest flag, then the synopsis', () => {
    expect(usageError(() => parseBenchArgs(['--conectors', '5'], {})).message.split('\n')).toEqual([
      'bench has no option --conectors. Did you mean --connectors?',
      usageLine(BENCH),
      'Run npm run bench -- --help for every option.',
    ]);
    expect(usageError(() => parseBenchArgs(['--runs'], {})).message).toMatch(/^--runs needs a value \(K\)\.\n/);
    expect(usageError(() => parseBenchArgs(['200'], {})).message).toMatch(/^bench takes no arguments \(got "200"\)/);
  });

  it('--help lists every flag, with the defaults', () => {
    const text = helpText(BENCH);
    for (const flag of ['connectors N', 'json', 'runs K', 'database-url URL', 'seed S', 'site-seconds S', 'vault-writes W', 'keep']) {
      expect(text).toMatch(new RegExp(`^ {2}--${flag} `, 'm'));
    }
    expect(text).toMatch(/^Usage: npm run bench -- \[--connectors N\] \[--json\] \[--runs K\] \[--database-url URL\]/);
    expect(text).toContain('(default 10000');
  });
});

describe('npm run bench on the command line', () => {
  const bench = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/bench/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

  it('exits 2 on an unknown flag before generating anything, and --help (or -h) exits 0 with every flag', () => {
    const bad = bench('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`bench: bench has no option --bogus.\n${usageLine(BENCH)}\nRun npm run bench -- --help for every option.\n`);
    expect(bad.stdout).toBe('');
    for (const flag of ['--help', '-h']) {
      const help = bench('--connectors', '5', flag);
      expect(help.status).toBe(0);
      expect(help.stdout).toBe(helpText(BENCH));
    }
  });
});
