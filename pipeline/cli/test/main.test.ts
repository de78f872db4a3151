/**
 * The CLI's front door: usage errors exit 2 and say what exists; `<command> --help` exits 0
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

  it('an unknown command is a usage error naming it', () => {
    const r = run('snyc');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "snyc"');
  });

  it('<command> --help prints that command and its flags, exit 0', () => {
    const r = run('sync', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sync [--dry-run] [--json] [--full]');
    expect(r.stdout).toContain('--database-url');
  });
});
