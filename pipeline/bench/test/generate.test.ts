import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestSchema } from '../../schema/manifest.ts';
import { validateRepo } from '../../validate/index.ts';
import { changeOneManifest, commitOneManifest, generateRepo, type GeneratedTree } from '../generate.ts';

const N = 60;
let dir: string;
let tree: GeneratedTree;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cf-bench-gen-'));
  tree = await generateRepo({ dir: path.join(dir, 'a'), connectors: N, seed: 7 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const readManifest = (t: GeneratedTree, i: number) => readFile(path.join(t.repoRoot, t.manifestFile(i)), 'utf8');

describe('the bench generator', () => {
  it('gives byte-identical trees for one seed and different ones for another seed', async () => {
    const same = await generateRepo({ dir: path.join(dir, 'b'), connectors: N, seed: 7 });
    const other = await generateRepo({ dir: path.join(dir, 'c'), connectors: N, seed: 8 });
    for (const i of [0, 17, N - 1]) {
      expect(await readManifest(same, i)).toBe(await readManifest(tree, i));
      expect(await readManifest(other, i)).not.toBe(await readManifest(tree, i));
    }
  });

  it('writes manifests with 10 scopes (a third armed, with catalogue firearm types), 5 catalogue KPIs and 1-3 keys', async () => {
    const firearmIds = new Set(tree.catalog.firearmTypes.map((f) => f.id));
    const kpiIds = new Set(tree.catalog.coreKpis.map((k) => k.id));
    let armed = 0;
    for (let i = 0; i < N; i++) {
      const parsed = manifestSchema.parse(parse(await readManifest(tree, i)));
      expect(parsed).toEqual(tree.manifest(i)); // the YAML says exactly what the generator meant
      expect(parsed.scopes).toHaveLength(10);
      expect(parsed.kpis).toHaveLength(5);
      expect(parsed.secrets.length).toBeGreaterThanOrEqual(1);
      expect(parsed.secrets.length).toBeLessThanOrEqual(3);
      for (const s of parsed.scopes) if (s.requires_firearm) expect(firearmIds.has(s.firearm_type!)).toBe(true);
      for (const k of parsed.kpis) expect(kpiIds.has(k.standard)).toBe(true);
      expect(parsed.description!.length).toBeGreaterThan(100);
      armed += parsed.scopes.filter((s) => s.requires_firearm).length;
    }
    expect(armed / (N * 10)).toBeCloseTo(1 / 3, 1);
  });

  it('writes the same data as JSON next to the YAML tree, for the validation floor', async () => {
    const slug = tree.slugs[5]!;
    const json: unknown = JSON.parse(await readFile(path.join(tree.jsonRoot, 'connectors', slug, 'manifest.json'), 'utf8'));
    expect(json).toEqual(tree.manifest(5));
  });

  it('produces a tree the validator accepts with no error and no warning', async () => {
    const result = await validateRepo({ repoRoot: tree.repoRoot });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.connectors).toHaveLength(N);
  });

  it('changes exactly one manifest, differently on each revision', async () => {
    const t = await generateRepo({ dir: path.join(dir, 'd'), connectors: 3, seed: 7 });
    const before = await validateRepo({ repoRoot: t.repoRoot });
    await changeOneManifest(t, 1, 1);
    const first = await validateRepo({ repoRoot: t.repoRoot });
    await changeOneManifest(t, 1, 2);
    const second = await validateRepo({ repoRoot: t.repoRoot });
    const digests = (r: typeof before) => Object.fromEntries(r.connectors.map((c) => [c.slug, c.digest]));
    const [a, b, c] = [digests(before), digests(first), digests(second)];
    const changed = t.slugs[1]!;
    expect(first.ok && second.ok).toBe(true);
    expect(Object.keys(b).filter((slug) => b[slug] !== a[slug])).toEqual([changed]);
    expect(c[changed]).not.toBe(b[changed]);
    expect(Object.keys(c).filter((slug) => c[slug] !== a[slug])).toEqual([changed]);
  });

  it('with git: commits the whole tree in one commit, clean in the worktree, and commits one change on top', async () => {
    const t = await generateRepo({ dir: path.join(dir, 'g'), connectors: 4, seed: 7, git: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: t.repoRoot, encoding: 'utf8' }).trim();
    expect(git('rev-list', '--count', 'HEAD')).toBe('1');
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(git('ls-tree', '-r', '--name-only', 'HEAD').split('\n').filter((f) => f.startsWith('connectors/'))).toEqual(
      t.slugs.map((_, i) => t.manifestFile(i)).sort(),
    );
    expect(git('show', `HEAD:${t.manifestFile(2)}`)).toBe((await readManifest(t, 2)).trimEnd());

    await commitOneManifest(t, 2, 1);
    expect(git('rev-list', '--count', 'HEAD')).toBe('2');
    expect(git('status', '--porcelain')).toBe('');
    expect(git('diff', '--name-only', 'HEAD~1', 'HEAD')).toBe(t.manifestFile(2));
  });
});
