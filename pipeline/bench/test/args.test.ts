import { describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs } from '../args.ts';

describe('npm run bench flags', () => {
  it('default to 10,000 connectors, 3 runs and the embedded registry', () => {
    const args = parseBenchArgs([], {});
    expect(args).toMatchObject({ connectors: 10_000, runs: 3, json: false, databaseUrl: undefined });
  });

  it('take --connectors, --json, --runs and a database from the flag or DATABASE_URL', () => {
    expect(parseBenchArgs(['--connectors', '200', '--json', '--runs', '1'], {})).toMatchObject({ connectors: 200, json: true, runs: 1 });
    expect(parseBenchArgs([], { DATABASE_URL: 'postgres://h/db' }).databaseUrl).toBe('postgres://h/db');
    expect(parseBenchArgs(['--database-url', 'postgres://a/b'], { DATABASE_URL: 'postgres://h/db' }).databaseUrl).toBe('postgres://a/b');
  });

  it('refuse bad values with a usage error that names the flag', () => {
    expect(() => parseBenchArgs(['--connectors', '0'], {})).toThrow(/--connectors must be an integer ≥ 1, got "0"/);
    expect(() => parseBenchArgs(['--runs', 'many'], {})).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--database-url', 'mysql://x'], {})).toThrow(/postgres:\/\//);
    expect(() => parseBenchArgs(['--nope'], {})).toThrow(BenchUsageError);
  });
});
