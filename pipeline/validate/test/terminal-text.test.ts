/**
 * Text from manifests is data in terminals: control characters (C0, DEL, C1, ESC sequences) and
 * bidi overrides are shown escaped in every line the CLI and npm start print, and --json keeps
 * the raw value only inside JSON strings, \u-escaped. Through the real CLI process.
 */
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlan } from '../../sentinel/render.ts';
import { computePlan, emptySnapshot } from '../../sentinel/plan.ts';
import { formatHuman, formatProblem } from '../format.ts';
import { validateManifestText } from '../manifest.ts';
import { clip, escapeControl, terminalJson } from '../terminal-text.ts';
import type { ParsedConnector } from '../types.ts';
import { REPO_ROOT, VALID, edit, realCatalog } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

/** Any character a terminal could obey: C0 but newline, DEL, C1, bidi embeddings/overrides/isolates. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** An unknown field named to erase the line and print a fake success. */
const FAKE = '\u001b[2K\r✓ all good';
/** A display name with a bidi override, a colour escape and a C1 CSI. */
const SHADY = 'Acme \u202eevil\u202c \u001b[31mred\u009b2J';

describe('escapeControl', () => {
  it('shows C0, DEL and C1 controls as \\xNN and bidi characters as \\uNNNN, and leaves other text alone', () => {
    expect(escapeControl(FAKE)).toBe('\\x1b[2K\\x0d✓ all good');
    expect(escapeControl('a\u007fb\u009bc\u202ed\u2066e\u2069f')).toBe('a\\x7fb\\x9bc\\u202ed\\u2066e\\u2069f');
    expect(escapeControl('Café, 東京, emoji 🚀, back\\slash')).toBe('Café, 東京, emoji 🚀, back\\slash');
    expect(escapeControl('two\nlines\ttab')).toBe('two\\x0alines\\x09tab');
  });

  it('terminalJson is the same JSON value with no raw control or bidi character', () => {
    const value = { name: SHADY, path: FAKE };
    const text = terminalJson(value);
    expect(text).not.toMatch(RAW);
    expect(JSON.parse(text)).toEqual(value);
    const pretty = terminalJson(value, 2);
    expect(pretty.replace(/\n/g, '')).not.toMatch(RAW);
    expect(JSON.parse(pretty)).toEqual(value);
  });

  it('clip keeps short text and cuts long text to the limit', () => {
    expect(clip('short')).toBe('short');
    expect(clip('x'.repeat(500))).toHaveLength(80);
  });
});

describe('formatProblem and the plan renderer are safe at the source', () => {
  const manifest = edit(VALID, 'display_name: Acme Shop', `display_name: ${JSON.stringify(SHADY)}\n${JSON.stringify(FAKE)}: 1`);

  it('an unknown field named with ESC codes prints as one escaped line', () => {
    const r = validateManifestText(manifest, 'connectors/acme/manifest.yaml', realCatalog(), 'acme');
    const unknown = r.errors.find((p) => p.code === 'unknown_field')!;
    expect(unknown.path).toBe(FAKE); // the data keeps the raw name
    const line = formatProblem(unknown);
    expect(line).not.toMatch(RAW);
    expect(line).toContain('\\x1b[2K\\x0d✓ all good');
    expect(formatHuman({ ok: false, checked: 1, errors: r.errors, warnings: r.warnings })).not.toMatch(RAW);
  });

  it('a display name with bidi and escape codes is shown escaped in the plan', () => {
    const clean = edit(VALID, 'display_name: Acme Shop', `display_name: ${JSON.stringify(SHADY)}`);
    const r = validateManifestText(clean, 'connectors/acme/manifest.yaml', realCatalog(), 'acme');
    expect(r.errors).toEqual([]);
    const out = renderPlan(computePlan({ connectors: [r.connector as ParsedConnector], catalog: realCatalog() }, emptySnapshot()));
    expect(out).not.toMatch(RAW);
    expect(out).toContain('Acme \\u202eevil\\u202c \\x1b[31mred\\x9b2J');
  });
});

describe('through the real CLI', () => {
  const run = promisify(execFile);
  let repo: TempRepo;
  const cli = async (args: string[]) => {
    const env = { ...process.env, GITHUB_ACTIONS: '', CONNECTORS_REPO_ROOT: '', DATABASE_URL: '' };
    try {
      return { code: 0, ...(await run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'pipeline/cli/main.ts'), ...args], { cwd: repo.root, env })) };
    } catch (err) {
      return err as { code: number; stdout: string; stderr: string };
    }
  };

  beforeAll(async () => {
    repo = await makeRepo();
    await cp(path.join(REPO_ROOT, '_template'), path.join(repo.root, '_template'), { recursive: true });
    // A valid connector whose display name is shady, and a broken one with a field named to fake success.
    await repo.write('connectors/acme/manifest.yaml', edit(manifestFor('acme'), 'display_name: Acme Shop', `display_name: ${JSON.stringify(SHADY)}`));
    await repo.write('connectors/bad/manifest.yaml', edit(manifestFor('bad'), 'display_name: Acme Shop', `display_name: ${JSON.stringify(SHADY)}\n${JSON.stringify(FAKE)}: 1`));
  });
  afterAll(() => repo.remove());

  it('validate prints the unknown field escaped: no raw ESC, CR, C1 or bidi character reaches the terminal', async () => {
    const r = await cli(['validate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('connectors/bad/manifest.yaml');
    expect(r.stdout).toContain('\\x1b[2K\\x0d✓ all good');
    expect(r.stdout + r.stderr).not.toMatch(RAW);
  });

  it('validate --json keeps the raw name only inside a JSON string', async () => {
    const r = await cli(['validate', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW);
    const out = JSON.parse(r.stdout);
    expect(out.errors.map((e: { path: string }) => e.path)).toContain(FAKE);
  });

  it('plan shows the display name escaped, and plan --json keeps it raw inside a string', async () => {
    await repo.write('connectors/bad/manifest.yaml', manifestFor('bad'));
    const human = await cli(['plan']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('acme (Acme \\u202eevil\\u202c \\x1b[31mred\\x9b2J)');
    expect(human.stdout + human.stderr).not.toMatch(RAW);
    const json = await cli(['plan', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(RAW);
    expect(JSON.parse(json.stdout).providers.map((p: { display_name: string }) => p.display_name)).toContain(SHADY);
  });

  it('new with a slug holding escape codes says it is invalid (a usage error), escaped', async () => {
    const r = await cli(['new', `x\u001b[2K\rok`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('x\\x1b[2K\\x0dok');
    expect(r.stdout + r.stderr).not.toMatch(RAW);
  });
});
