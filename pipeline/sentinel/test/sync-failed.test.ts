/**
 * A failed sync is on the record (pipeline/sentinel/record.ts): one registry_syncs row with outcome
 * 'failed' and one 'sync' event, written after the attempt, holding counts, codes and locations
 * only; nothing else in the registry changes. An unreachable registry, a dry run and `plan` record
 * nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { planSync, readKnownSources, runSync } from '../index.ts';
import { FIRST_PROBLEMS, summarizeError } from '../record.ts';
import { dumpRegistry, makeRepo, type TestRepo } from './helpers.ts';

const CANARY = `canary-${Math.random().toString(36).slice(2)}`;

/** A manifest with one problem (a misspelt field) whose value is the canary. */
const broken = (slug: string) => `schema_version: 1\nprovider_slug: ${slug}\ndisplay_nam: ${CANARY}\n`;

describe.each(testBackends())('failed syncs are recorded (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const sync = (extra: Partial<Parameters<typeof runSync>[0]> = {}) =>
    runSync({ db: pool, repoRoot: repo.root, actor: 'ci', commitSha: 'c'.repeat(40), worktreeDirty: true, ...extra });
  const syncRows = async () =>
    (await pool.query(`SELECT id::int, outcome, commit_sha, worktree_dirty, actor, counts, problems, validation_fingerprint FROM registry_syncs ORDER BY id`)).rows;
  const events = async () => (await pool.query(`SELECT kind, actor, sync_id::int, provider_slug, details FROM registry_events ORDER BY id`)).rows;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo(['alpha']);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('an invalid repository before the registry has its schema records nothing (not even the schema)', async () => {
    repo.writeRaw('bad', broken('bad'));
    const { validation, failed_sync_id } = await sync();
    expect(validation.ok).toBe(false);
    expect(failed_sync_id).toBeNull();
    expect(await dumpRegistry(pool)).toEqual({});
    repo.remove('bad');
  });

  it('a failed sync writes one failed row and one sync event, and changes nothing else', async () => {
    const first = await sync();
    expect(first.result!.outcome).toBe('applied');
    const before = { dump: await dumpRegistry(pool), syncs: await syncRows(), events: await events() };
    const known = await readKnownSources(pool);

    repo.writeRaw('bad', broken('bad'));
    const { validation, result, failed_sync_id } = await sync();
    expect(validation.ok).toBe(false);
    expect(result).toBeUndefined();
    expect(await dumpRegistry(pool)).toEqual(before.dump);

    const syncs = await syncRows();
    expect(syncs.slice(0, -1)).toEqual(before.syncs);
    expect(syncs.at(-1)).toEqual({
      id: failed_sync_id,
      outcome: 'failed',
      commit_sha: 'c'.repeat(40),
      worktree_dirty: true,
      actor: 'ci',
      counts: {},
      problems: {
        errors: validation.errors.length,
        warnings: validation.warnings.length,
        first: validation.errors.slice(0, FIRST_PROBLEMS).map((e) => ({ file: e.file, line: e.line, column: e.column, path: e.path, code: e.code })),
      },
      validation_fingerprint: null,
    });
    const after = await events();
    expect(after.slice(0, -1)).toEqual(before.events);
    expect(after.at(-1)).toEqual({
      kind: 'sync',
      actor: 'ci',
      sync_id: failed_sync_id,
      provider_slug: null,
      details: { outcome: 'failed', commit_sha: 'c'.repeat(40), worktree_dirty: true, problems: syncs.at(-1)!.problems },
    });
    expect(syncs.at(-1)!.problems.first[0]).toMatchObject({ file: 'connectors/bad/manifest.yaml', line: expect.any(Number), code: expect.any(String) });
    // Codes and locations only: the manifest's text is nowhere in the record.
    expect(JSON.stringify([syncs, after])).not.toContain(CANARY);
    // The failed row says nothing about what was synced: the next sync still skips unchanged manifests.
    expect(await readKnownSources(pool)).toEqual(known);
  });

  it('the same failure again moves that row on (attempts 2); another failure is a new row', async () => {
    const [last] = (await syncRows()).slice(-1);
    await sync();
    const again = await syncRows();
    expect(again.at(-1)).toMatchObject({ id: last!.id, outcome: 'failed', problems: { ...last!.problems, attempts: 2 } });
    expect((await events()).filter((e) => e.sync_id === last!.id)).toHaveLength(1);

    // Another commit is another failure, even with the same problems.
    await sync({ commitSha: 'd'.repeat(40) });
    const other = await syncRows();
    expect(other).toHaveLength(again.length + 1);
    expect(other.at(-1)).toMatchObject({ outcome: 'failed', commit_sha: 'd'.repeat(40), problems: { errors: last!.problems.errors, first: last!.problems.first } });
    expect(other.at(-1)!.problems.attempts).toBeUndefined();
  });

  it(`keeps the locations of the first ${FIRST_PROBLEMS} problems and the count of all`, async () => {
    for (let i = 0; i < FIRST_PROBLEMS + 2; i++) repo.writeRaw(`bad_${i}`, broken(`bad_${i}`));
    const { validation, failed_sync_id } = await sync();
    const row = (await syncRows()).find((r) => r.id === failed_sync_id)!;
    expect(row.problems.errors).toBe(validation.errors.length);
    expect(row.problems.errors).toBeGreaterThan(FIRST_PROBLEMS);
    expect(row.problems.first).toHaveLength(FIRST_PROBLEMS);
    for (let i = 0; i < FIRST_PROBLEMS + 2; i++) repo.remove(`bad_${i}`);
  });

  it('sync --dry-run and plan record nothing, even for an invalid repository', async () => {
    const before = { syncs: await syncRows(), events: await events() };
    const dry = await sync({ dryRun: true, commitSha: 'e'.repeat(40) });
    expect(dry.validation.ok).toBe(false);
    expect(dry.failed_sync_id).toBeUndefined();
    expect((await planSync({ db: pool, repoRoot: repo.root })).validation.ok).toBe(false);
    expect(await syncRows()).toEqual(before.syncs);
    expect(await events()).toEqual(before.events);
    repo.remove('bad');
  });

  it('an error of the registry after it answered is recorded as one line with its SQLSTATE, after the rollback', async () => {
    repo.write('delta');
    const before = await dumpRegistry(pool);
    await expect(
      sync({
        beforeCommit: async (client) => {
          await client.query('SELECT 1 / 0');
        },
      }),
    ).rejects.toThrow('division by zero');
    expect(await dumpRegistry(pool)).toEqual(before);
    expect((await syncRows()).at(-1)).toMatchObject({ outcome: 'failed', problems: { error: 'division by zero', code: '22012' } });
    const fixed = await sync();
    expect(fixed.result!.plan.providers.map((p) => p.slug)).toEqual(['delta']);
  });

  it('an unreachable registry records nothing: there is nothing to write to', async () => {
    let connects = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect' });
    const unreachable = {
      connect: async () => {
        connects++;
        throw refused;
      },
    } as unknown as pg.Pool;
    await expect(runSync({ db: unreachable, repoRoot: repo.root, actor: 'ci', commitSha: null, worktreeDirty: null })).rejects.toBe(refused);
    expect(connects).toBe(1);
  });
});

describe('summarizeError', () => {
  it('keeps one line of at most 300 characters and a SQLSTATE, nothing else', () => {
    const err = Object.assign(new Error(`${'x'.repeat(400)}\nDETAIL: Key (a)=(secret-looking) already exists.`), { code: '23505', detail: 'Key (a)=(b)' });
    const s = summarizeError(err);
    expect(s.error).toHaveLength(300);
    expect(s.code).toBe('23505');
    expect(JSON.stringify(s)).not.toContain('DETAIL');
    expect(summarizeError(Object.assign(new Error('lost'), { code: 'ECONNRESET' }))).toEqual({ error: 'lost' });
  });
});
