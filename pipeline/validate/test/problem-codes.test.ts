/**
 * The problem code catalogue (problem-codes.ts): one entry per situation, every code the validator
 * emits is in it (the type says so at compile time; here the validator runs over the bad-manifest
 * corpus and a tree of broken folders and every code it reports is looked up), no entry is dead
 * (each is written by some emitter), and the README's table is the catalogue's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, symlinkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cases } from '../../schema/test/corpus.ts';
import { refuseKeyConflicts } from '../../sentinel/key-owners.ts';
import { validateManifestText, validateManifestTextFully } from '../manifest.ts';
import * as catalogue from '../problem-codes.ts';
import { PROBLEM_CATALOGUE, problemData, type ProblemData } from '../problem-codes.ts';
import { TABLE_END, TABLE_START, withProblemTable } from '../problem-table.ts';
import { validateRepo } from '../repo.ts';
import type { Problem } from '../types.ts';
import { edit, realCatalog, REPO_ROOT } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

const codes = new Set<string>(PROBLEM_CATALOGUE.map((p) => p.code));
const notInCatalogue = (problems: readonly Problem[]) => problems.filter((p) => problemData(p.code) === undefined).map((p) => `${p.file} ${p.code}`);

describe('the catalogue', () => {
  it('lists every entry the module defines, each code once, snake_case, with a title and a hint', () => {
    const defined = Object.entries(catalogue).filter(([, v]) => typeof v === 'object' && v !== null && 'code' in v && 'title' in v) as [string, ProblemData][];
    expect(defined.map(([name]) => name).sort()).toEqual(defined.filter(([, v]) => (PROBLEM_CATALOGUE as readonly ProblemData[]).includes(v)).map(([name]) => name).sort());
    expect(PROBLEM_CATALOGUE.length).toBe(defined.length);
    expect(codes.size).toBe(PROBLEM_CATALOGUE.length);
    for (const p of PROBLEM_CATALOGUE as readonly ProblemData[]) {
      expect(p.code).toMatch(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
      expect(p.title.length, p.code).toBeGreaterThan(3);
      expect(p.hint, p.code).toMatch(/\.$/);
    }
  });

  it('has no dead entry: each code is written by an emitter in the pipeline source', () => {
    const sources = [
      ...readdirSync(path.join(REPO_ROOT, 'pipeline/validate')).filter((f) => f.endsWith('.ts') && f !== 'problem-codes.ts').map((f) => `pipeline/validate/${f}`),
      'pipeline/sentinel/key-owners.ts',
    ].map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8')).join('\n');
    // Written as the code ('missing_manifest') or through the entry (MissingManifest.code); too_small
    // and too_big are zod's own issue codes, passed through by shape.ts.
    const names = new Map(Object.entries(catalogue).filter(([, v]) => typeof v === 'object' && v !== null && 'code' in v).map(([name, v]) => [(v as ProblemData).code, name]));
    const written = (c: string) => sources.includes(`'${c}'`) || new RegExp(`\\b${names.get(c)}\\.code\\b`).test(sources);
    const unwritten = [...codes].filter((c) => !written(c) && !['too_small', 'too_big'].includes(c));
    expect(unwritten).toEqual([]);
  });

  it("is the README's table of codes", () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme, `README.md needs the ${TABLE_START} and ${TABLE_END} markers`).toContain(TABLE_START);
    expect(readme === withProblemTable(readme), 'README.md\'s table of problem codes differs from pipeline/validate/problem-codes.ts: run npx tsx pipeline/validate/problem-table.ts').toBe(true);
  });
});

describe('every code the validator reports is in the catalogue', () => {
  it('over the bad-manifest corpus, through the fast path and the full validator', () => {
    const catalog = realCatalog();
    const seen = new Set<string>();
    const strays: string[] = [];
    for (const c of cases) {
      for (const validate of [validateManifestText, validateManifestTextFully]) {
        const r = validate(c.text, `connectors/${c.folder}/manifest.yaml`, catalog, c.folder);
        for (const p of [...r.errors, ...r.warnings]) seen.add(p.code);
        strays.push(...notInCatalogue([...r.errors, ...r.warnings]));
      }
    }
    expect(strays).toEqual([]);
    // The corpus is worth something only if it reaches many situations.
    expect(seen.size).toBeGreaterThanOrEqual(20);
  });

  describe('over a tree of broken folders and files', () => {
    let repo: TempRepo;
    beforeEach(async () => {
      repo = await makeRepo();
    });
    afterEach(() => repo.remove());

    it('each situation with its own code: missing_manifest, old_manifest_name, manifest_not_a_file, connector_not_found', async () => {
      await repo.write('connectors/acme/manifest.yaml', manifestFor('acme'));
      await repo.write('connectors/lonely/README.md', 'hi\n'); // no manifest
      await repo.write('connectors/legacy/spec.yaml', manifestFor('legacy')); // the old name
      mkdirSync(path.join(repo.root, 'connectors/boxed/manifest.yaml'), { recursive: true }); // a folder named manifest.yaml
      mkdirSync(path.join(repo.root, 'connectors/fifo'));
      execFileSync('mkfifo', [path.join(repo.root, 'connectors/fifo/manifest.yaml')]);
      await repo.write('connectors/shop/manifest.yaml', edit(manifestFor('shop'), 'REFUND_ISSUE', 'REFUND'));
      await repo.write('connectors/shop/.env', 'TOKEN=x\n');
      await repo.write('connectors/shop/node_modules/x/index.js', '');
      await repo.write('connectors/Bad-Name/manifest.yaml', manifestFor('bad_name'));
      await repo.write('connectors/twin/manifest.yaml', manifestFor('acme').replaceAll('PROVIDER_ACME_', 'PROVIDER_TWIN_')); // acme's slug
      await repo.write('connectors/utf/manifest.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]));
      await repo.write('connectors/huge/manifest.yaml', 'a'.repeat(300 * 1024));
      symlinkSync(path.join(repo.root, 'connectors/acme'), path.join(repo.root, 'connectors/linked'));

      const all = await validateRepo({ repoRoot: repo.root, workers: false });
      expect(notInCatalogue([...all.errors, ...all.warnings])).toEqual([]);
      const at = (file: string) => all.errors.filter((e) => e.file === file).map((e) => e.code);
      expect(at('connectors/lonely')).toEqual(['missing_manifest']);
      expect(at('connectors/legacy/spec.yaml')).toEqual(['old_manifest_name']);
      expect(at('connectors/boxed/manifest.yaml')).toEqual(['manifest_not_a_file']);
      expect(at('connectors/fifo/manifest.yaml')).toEqual(['manifest_not_a_file']);
      expect(new Set(all.errors.map((e) => e.code))).toEqual(new Set([
        'missing_manifest', 'old_manifest_name', 'manifest_not_a_file', 'unknown_firearm_type', 'secret_file', 'node_modules_in_connector',
        'invalid_folder_name', 'slug_mismatch', 'secret_key_prefix', 'duplicate_provider_slug', 'invalid_utf8', 'file_too_large', 'symlink',
      ]));

      const named = await validateRepo({ repoRoot: repo.root, workers: false, paths: ['connectors/nope', 'pipeline'] });
      expect(named.errors.map((e) => [e.file, e.code])).toEqual([['connectors/nope', 'connector_not_found'], ['pipeline', 'invalid_path']]);
    });

    it('the registry-only problem (secret_key_taken) too', async () => {
      await repo.write('connectors/acme/manifest.yaml', manifestFor('acme'));
      const valid = await validateRepo({ repoRoot: repo.root, workers: false });
      const refused = await refuseKeyConflicts(valid, [{
        key_name: 'PROVIDER_ACME_API_KEY', slug: 'acme', file: 'connectors/acme/manifest.yaml', index: 0,
        owner: { key_name: 'PROVIDER_ACME_API_KEY', provider_slug: 'other', status: 'retired', declares: false },
      }], repo.root);
      expect(refused.errors.map((e) => e.code)).toEqual(['secret_key_taken']);
      expect(notInCatalogue(refused.errors)).toEqual([]);
    });
  });
});
