/** The scaffold (pipeline/scaffold/scaffold.ts) on real temp repos, without spawning the CLI. */
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateRepo } from '../../validate/repo.ts';
import { fillTemplateManifest, scaffoldConnector } from '../scaffold.ts';
import { REPO_ROOT, codes } from '../../validate/test/helpers.ts';
import { makeRepo, type TempRepo } from '../../validate/test/fs-helpers.ts';

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
  await cp(path.join(REPO_ROOT, '_template'), path.join(repo.root, '_template'), { recursive: true });
});
afterEach(() => repo.remove());

/** What an author does: every TODO replaced with a real value. */
function fill(text: string): string {
  return text
    .replace(/^display_name: TODO.*$/m, 'display_name: Fresh Shop')
    .replace(/^description: TODO.*$/m, 'description: Orders of a fresh shop.')
    .replace(/^auth_mode: TODO.*$/m, 'auth_mode: byok')
    .replace(/^docs_url: TODO.*$/m, 'docs_url: https://fresh.example/docs')
    .replace('PROVIDER_FRESH_SHOP_TODO', 'PROVIDER_FRESH_SHOP_API_KEY')
    .replace(/label: TODO.*$/m, 'label: API key')
    .replace(/^(\s+)description: TODO where.*$/m, '$1description: Settings > API')
    .replace('name: TODO a read scope, e.g. read_orders', 'name: read_orders')
    .replace('name: TODO a scope that acts, e.g. write_orders', 'name: write_orders')
    .replace(/description: TODO what an agent holding this scope can see/, 'description: Read orders')
    .replace(/description: TODO what an agent holding this scope can change.*$/m, 'description: Change and refund orders')
    .replace('requires_firearm: TODO true or false', 'requires_firearm: false')
    .replace('requires_firearm: TODO true or false', 'requires_firearm: true')
    .replace(/firearm_type: TODO.*$/m, 'firearm_type: REFUND_ISSUE')
    .replace(/raw: TODO.*$/m, 'raw: total_sales')
    .replace(/standard: TODO.*$/m, 'standard: gross_sales');
}

describe('scaffold', () => {
  it('copies every template file except the JSON Schema, recursively, skipping node_modules', async () => {
    await repo.write('_template/src/extra/helper.ts', 'export {};\n');
    await repo.write('_template/node_modules/junk/index.js', '\n');
    const r = await scaffoldConnector({ repoRoot: repo.root, slug: 'fresh_shop' });
    expect(r.ok).toBe(true);
    const files = (await readdir(path.join(repo.root, 'connectors/fresh_shop'), { recursive: true })).map(String);
    const template = (await readdir(path.join(REPO_ROOT, '_template'))).filter((f) => f !== 'manifest.schema.json');
    for (const f of template) expect(files).toContain(f);
    expect(files).toContain(path.join('src', 'extra', 'helper.ts'));
    expect(files).not.toContain('manifest.schema.json');
    expect(files.some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('the scaffolded manifest fails only with todo_placeholder errors, and validates once filled', async () => {
    await scaffoldConnector({ repoRoot: repo.root, slug: 'fresh_shop' });
    const before = await validateRepo({ repoRoot: repo.root });
    expect(before.ok).toBe(false);
    expect(new Set(codes(before.errors))).toEqual(new Set(['todo_placeholder']));
    expect(before.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['display_name', 'auth_mode', 'secrets[0].key', 'scopes[0].requires_firearm', 'scopes[1].firearm_type', 'kpis[0].standard']));

    const file = path.join(repo.root, 'connectors/fresh_shop/manifest.yaml');
    await writeFile(file, fill(await readFile(file, 'utf8')));
    const after = await validateRepo({ repoRoot: repo.root });
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([]);
    expect(after.connectors[0]?.manifest?.provider_slug).toBe('fresh_shop');
  });

  it('with --auth-mode none the secrets list is emptied, as none takes no secrets', () => {
    const out = fillTemplateManifest('auth_mode: TODO\nsecrets:\n  - key: TODO_PROVIDER_SLUG_FIELD\n    label: TODO x\nscopes: []\n', { slug: 'pub', authMode: 'none' });
    expect(out).toBe('auth_mode: none\nsecrets: []\nscopes: []\n');
  });

  it('quotes a display name YAML would misread', () => {
    expect(fillTemplateManifest('display_name: TODO\n', { slug: 'x_y', displayName: 'R&D: tools' })).toBe('display_name: "R&D: tools"\n');
  });

  it('refuses an existing folder, an invalid slug and a bad auth mode without touching the tree', async () => {
    await repo.write('connectors/taken/manifest.yaml', 'x\n');
    expect(await scaffoldConnector({ repoRoot: repo.root, slug: 'taken' })).toMatchObject({ ok: false, code: 'exists' });
    expect(await scaffoldConnector({ repoRoot: repo.root, slug: '9lives' })).toMatchObject({ ok: false, code: 'invalid_slug' });
    expect(await scaffoldConnector({ repoRoot: repo.root, slug: 'a' })).toMatchObject({ ok: false, code: 'invalid_slug' });
    expect(await scaffoldConnector({ repoRoot: repo.root, slug: 'ok_slug', authMode: 'apikey' })).toMatchObject({ ok: false, code: 'invalid_auth_mode' });
    expect((await readdir(path.join(repo.root, 'connectors'))).sort()).toEqual(['taken']);
    expect(await readFile(path.join(repo.root, 'connectors/taken/manifest.yaml'), 'utf8')).toBe('x\n');
  });
});
