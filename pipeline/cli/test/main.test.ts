/**
 * The CLI's front door, end to end (the parser and the help are unit-tested in
 * command-line.test.ts): usage errors exit 2 and say what exists; `<command> --help` exits 0
 * with that command's flags, before the command opens any database or file.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = path.resolve(import.meta.dirname, '../main.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

describe('npm run connectors', () => {
  it('without a command prints the usage and exits 2', () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/Commands:[\s\S]*validate[\s\S]*sync/);
  });

  it('a misspelt command is a usage error with a suggestion, exit 2', () => {
    const r = run('valdate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command "valdate"\. Did you mean validate\?$/m);
  });

  it('<command> --help prints every flag of that command, exit 0, before anything opens', () => {
    const r = run('plan', '--help', '--data-dir', '/nonexistent/never-created');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: npm run connectors -- plan [--full] [--json] [--database-url URL] [--data-dir DIR]');
    expect(r.stdout).toMatch(/^ {2}--data-dir DIR /m);
    expect(r.stdout).toMatch(/^ {2}--database-url URL /m);
  });
});
