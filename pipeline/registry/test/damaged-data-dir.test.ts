/**
 * A damaged or unusable data dir gets words: the path, what is wrong, what to do. Not PGlite's
 * "Aborted(). Build with -sASSERTIONS for more info.", not a bare EROFS, never a stack, and never
 * a new empty registry silently made over a damaged one. `doctor` says the same and exits 1.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { addSyntheticConnectors, crashLines } from '../../start/test/helpers.ts';
import { makeRepo, runCli, type TestRepo } from '../../sentinel/test/helpers.ts';

describe('a damaged or unusable data dir', () => {
  let tmp: string;
  let repo: TestRepo;
  let good: string;
  let n = 0;
  /** A fresh copy of a registry a sync wrote. */
  const copy = () => {
    const dir = path.join(tmp, `data-${++n}`);
    cpSync(good, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-damaged-'));
    repo = makeRepo(['alpha', 'beta']);
    await addSyntheticConnectors(repo.root, 20); // enough scopes for a table of several pages
    good = path.join(tmp, 'good');
    const sync = await runCli(repo.root, ['sync', '--data-dir', good]);
    expect(sync.code, sync.stderr).toBe(0);
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    repo.cleanup();
  });

  it('doctor on a healthy data dir finds no problem (exit 0) and counts the rows', async () => {
    const r = await runCli(repo.root, ['doctor', '--data-dir', good, '--vault-dir', path.join(tmp, 'vault')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Data dir ${good}\n  ✓ a directory of yours, mode 0700`);
    expect(r.stdout).toContain('✓ migrations current');
    expect(r.stdout).toMatch(/✓ rows: .*connector_providers 22/);
    expect(r.stdout).toContain('No problem found.');
  });

  it('a truncated pg_control: plan names the file, says it is damaged and what to do; doctor exits 1 saying the same', async () => {
    const dataDir = copy();
    const control = path.join(dataDir, 'registry', 'global', 'pg_control');
    truncateSync(control, 100);
    const plan = await runCli(repo.root, ['plan', '--data-dir', dataDir]);
    expect(plan.code).toBe(1);
    const lines = plan.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`error: the embedded registry in ${path.join(dataDir, 'registry')} is damaged: its control file ${control} is 100 bytes instead of 8192`);
    expect(lines[0]).toContain(`Restore ${dataDir} from a copy`);
    expect(lines[0]).toContain(`move it aside (mv ${dataDir} ${dataDir}.damaged) and run npm start`);
    expect(plan.stderr + plan.stdout).not.toMatch(/Aborted\(\)|ASSERTIONS/);
    expect(crashLines(plan.stderr + plan.stdout)).toEqual([]);

    const doctor = await runCli(repo.root, ['doctor', '--data-dir', dataDir]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✗ damaged: its control file ${control} is 100 bytes instead of 8192`);
  });

  it('a catalog table file cut to nothing: PGlite aborts, and the message says damaged, not "Aborted()"', async () => {
    const dataDir = copy();
    // pg_class (relfilenode 1259) of every database: PostgreSQL cannot even read its catalogue.
    for (const db of execFileSync('ls', [path.join(dataDir, 'registry', 'base')], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      truncateSync(path.join(dataDir, 'registry', 'base', db, '1259'), 0);
    }
    const sync = await runCli(repo.root, ['sync', '--data-dir', dataDir]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain(`error: the embedded registry in ${path.join(dataDir, 'registry')} is damaged: PostgreSQL stopped while reading its files. Restore ${dataDir} from a copy`);
    expect(sync.stderr + sync.stdout).not.toMatch(/Aborted\(\)|ASSERTIONS|failed to initialize/);
    expect(crashLines(sync.stderr + sync.stdout)).toEqual([]);
  });

  it('a table file cut short at a page boundary (which a plain read serves as fewer rows, silently) is found by doctor', async () => {
    const dataDir = copy();
    const db = await PGlite.create(path.join(dataDir, 'registry'));
    const file = (await db.query<{ f: string }>(`SELECT pg_relation_filepath('connector_scopes') AS f`)).rows[0]!.f;
    await db.close();
    const heap = path.join(dataDir, 'registry', file);
    expect(statSync(heap).size).toBeGreaterThan(8192); // more than one page, so half of it can go
    truncateSync(heap, 8192);
    const doctor = await runCli(repo.root, ['doctor', '--data-dir', dataDir]);
    expect(doctor.code, doctor.stdout).toBe(1);
    expect(doctor.stdout).toMatch(/✗ table connector_scopes cannot be read whole \(could not read block.*\)\. Restore /);
    expect(crashLines(doctor.stdout + doctor.stderr)).toEqual([]);
  });

  it('a cluster without PG_VERSION is refused, never overwritten by a new empty registry', async () => {
    const dataDir = copy();
    unlinkSync(path.join(dataDir, 'registry', 'PG_VERSION'));
    const before = readFileSync(path.join(dataDir, 'registry', 'global', 'pg_control'));
    const sync = await runCli(repo.root, ['sync', '--data-dir', dataDir]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain(`is damaged: ${path.join(dataDir, 'registry', 'PG_VERSION')} is missing`);
    expect(existsSync(path.join(dataDir, 'registry', 'PG_VERSION'))).toBe(false);
    expect(readFileSync(path.join(dataDir, 'registry', 'global', 'pg_control')).equals(before)).toBe(true);
  });

  describe.skipIf(process.getuid?.() !== 0)('on a read-only file system (a tmpfs remounted ro)', () => {
    let mount: string;
    beforeAll(() => {
      mount = path.join(tmp, 'ro');
      execFileSync('mkdir', ['-p', mount]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mount]);
      cpSync(good, path.join(mount, 'data'), { recursive: true });
      execFileSync('mount', ['-o', 'remount,ro', mount]);
    });
    afterAll(() => {
      execFileSync('umount', [mount]);
    });

    it('plan says read-only with the path and what to do, not a bare EROFS; doctor says it too', async () => {
      const dataDir = path.join(mount, 'data');
      const plan = await runCli(repo.root, ['plan', '--data-dir', dataDir]);
      expect(plan.code).toBe(1);
      expect(plan.stderr.trim()).toBe(
        `error: could not use the data dir: ${dataDir} is on a read-only file system (EROFS), so the registry cannot be written there. ` +
          `Remount it read-write, or choose a data dir on a writable disk with --data-dir or CONNECTORS_DATA_DIR.`,
      );
      const doctor = await runCli(repo.root, ['doctor', '--data-dir', dataDir]);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain(`✗ ${dataDir} is on a read-only file system (EROFS)`);
      expect(crashLines(plan.stderr + doctor.stdout + doctor.stderr)).toEqual([]);
    });
  });
});
