/**
 * The smoke check that `npm run bench` works end to end at a small size: every figure is measured
 * (none null, each positive). It says nothing about speed; the real run at 10,000 does that. A quarter
 * of a second per site load phase serves hundreds of requests here, plenty for a positive figure.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIGURES } from '../report.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runBenchCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench', () => {
  it('measures every figure at 200 connectors and ends with one JSON line holding them all, each positive', async () => {
    const { code, stdout, stderr } = await runBenchCli([
      '--connectors', '200', '--json', '--runs', '1', '--site-seconds', '0.25', '--vault-writes', '100',
    ]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    const json = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(json.null_reasons, 'figures the bench could not measure').toEqual({});
    for (const { key } of FIGURES) {
      expect(typeof json[key], key).toBe('number');
      expect(json[key] as number, key).toBeGreaterThan(0);
    }
    expect(json).toMatchObject({ connectors: 200, backend: 'embedded', runs: 1 });
    expect(stdout).toMatch(/validate, cold, all connectors\s+\d/); // the table is there too
  }, 600_000); // the whole bench, npm start included, on a busy two-core machine (354 s at load 12)
});
