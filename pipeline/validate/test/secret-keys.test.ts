/**
 * A key name belongs to one connector: `dummy_service_api` may not declare
 * PROVIDER_DUMMY_SERVICE_API_KEY (its prefix fits) when `dummy_service` does. The error is on both
 * files, each naming the other's line and column; on real temporary repositories.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateRepo } from '../repo.ts';
import { edit, pos } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

const KEY = 'PROVIDER_DUMMY_SERVICE_API_KEY';
const OWNER = manifestFor('dummy_service'); // declares PROVIDER_DUMMY_SERVICE_API_KEY
const CLAIMANT = edit(manifestFor('dummy_service_api'), 'PROVIDER_DUMMY_SERVICE_API_API_KEY', KEY);

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.remove());

const shared = (r: Awaited<ReturnType<typeof validateRepo>>) => r.errors.filter((e) => e.code === 'secret_key_shared');

describe('a key name belongs to one connector', () => {
  it('two manifests declaring one key: an error on each file, naming the other file with line and column', async () => {
    expect(OWNER).toContain(`key: ${KEY}`);
    await repo.write('connectors/dummy_service/manifest.yaml', OWNER);
    await repo.write('connectors/dummy_service_api/manifest.yaml', CLAIMANT);
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.ok).toBe(false);
    const at = { owner: pos(OWNER, `key: ${KEY}`, KEY), claimant: pos(CLAIMANT, `key: ${KEY}`, KEY) };
    expect(shared(r)).toEqual([
      expect.objectContaining({ file: 'connectors/dummy_service/manifest.yaml', ...at.owner, path: 'secrets[0].key' }),
      expect.objectContaining({ file: 'connectors/dummy_service_api/manifest.yaml', ...at.claimant, path: 'secrets[0].key' }),
    ]);
    expect(shared(r)[0]!.message).toContain(`is also declared by connectors/dummy_service_api/manifest.yaml:${at.claimant.line}:${at.claimant.column}`);
    expect(shared(r)[1]!.message).toContain(`is also declared by connectors/dummy_service/manifest.yaml:${at.owner.line}:${at.owner.column}`);
    // Neither connector is handed to the sentinel.
    expect(r.connectors).toEqual([]);
  });

  it('is reported with every other problem of the file, at the same positions', async () => {
    const broken = edit(CLAIMANT, 'auth_mode: byok', 'auth_mode: byk');
    await repo.write('connectors/dummy_service/manifest.yaml', OWNER);
    await repo.write('connectors/dummy_service_api/manifest.yaml', broken);
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([
      ['connectors/dummy_service/manifest.yaml', 'secret_key_shared'],
      ['connectors/dummy_service_api/manifest.yaml', 'invalid_value'],
      ['connectors/dummy_service_api/manifest.yaml', 'secret_key_shared'],
    ]);
    expect(shared(r)[1]).toMatchObject(pos(broken, `key: ${KEY}`, KEY));
  });

  it('a PATH argument naming one folder still sees the key in a folder it did not name', async () => {
    await repo.write('connectors/dummy_service/manifest.yaml', OWNER);
    await repo.write('connectors/dummy_service_api/manifest.yaml', CLAIMANT);
    const r = await validateRepo({ repoRoot: repo.root, paths: ['connectors/dummy_service_api'] });
    const owner = pos(OWNER, `key: ${KEY}`, KEY);
    expect(shared(r)).toEqual([expect.objectContaining({ file: 'connectors/dummy_service_api/manifest.yaml' })]);
    expect(shared(r)[0]!.message).toContain(`connectors/dummy_service/manifest.yaml:${owner.line}:${owner.column}`);
  });

  it('a key twice in one manifest is that manifest\'s duplicate, not a shared key', async () => {
    const twice = edit(OWNER, 'PROVIDER_DUMMY_SERVICE_WEBHOOK_SECRET', KEY);
    await repo.write('connectors/dummy_service/manifest.yaml', twice);
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.errors.map((e) => e.code)).toEqual(['duplicate_secret_key']);
  });

  it('distinct keys under nested slugs are fine', async () => {
    await repo.write('connectors/dummy_service/manifest.yaml', OWNER);
    await repo.write('connectors/dummy_service_api/manifest.yaml', manifestFor('dummy_service_api'));
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r).toMatchObject({ ok: true, errors: [] });
  });

  it('the worker pool reports it the same way', async () => {
    await repo.write('connectors/dummy_service/manifest.yaml', OWNER);
    await repo.write('connectors/dummy_service_api/manifest.yaml', CLAIMANT);
    const r = await validateRepo({ repoRoot: repo.root, workers: 'always', pool: { workers: 1, chunkSize: 1, spawnAboveMs: 0, mainThreadWorks: false } });
    expect(shared(r).map((e) => e.file)).toEqual(['connectors/dummy_service/manifest.yaml', 'connectors/dummy_service_api/manifest.yaml']);
  });
});
