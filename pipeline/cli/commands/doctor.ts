/**
 * `npm run connectors -- doctor [--data-dir DIR] [--database-url URL] [--vault-dir DIR]`: looks at
 * everything npm start depends on and says what it finds, each problem with what to do. Exit 1 when
 * something is wrong. It changes nothing it finds (it may briefly open the registry to read it).
 *
 *   the data dir: a directory of yours, mode 0700, nothing in it open to others, writable;
 *   its owner: who holds registry.lock, whether registry.json says the same, whether the socket answers;
 *   the registry: its files whole, it opens, migrations current, every table readable (row counts);
 *   the vault: the vault dir private, its audit log whole, vault-agent's socket answering.
 */
import { constants } from 'node:fs';
import { access, lstat, readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createVaultClient } from '../../../vault-agent/src/client.ts';
import { AUDIT_FILE } from '../../../vault-agent/src/audit.ts';
import { resolveVaultDir } from '../../../vault-agent/src/paths.ts';
import { openRegistry, resolveDataDir } from '../../registry/connect.ts';
import { damagedAdvice, errnoOf, fileSystemWords, registryFilesProblem } from '../../registry/data-dir-check.ts';
import { redactError } from '../../registry/db.ts';
import { runDirOf } from '../../registry/embedded.ts';
import { infoPath, pidAlive, readInfo } from '../../registry/info-file.ts';
import { readTablesThrough } from '../../registry/integrity.ts';
import { pendingMigrations, registryHasSchema } from '../../registry/migrate.ts';
import { tryLockDataDir } from '../../registry/owner-lock.ts';
import { userLabel } from '../../registry/private-dir.ts';
import { SOCKET_FILE } from '../../registry/wire-server.ts';
import { parseCommandLine } from '../command-line.ts';
import { EXIT } from '../errors.ts';
import { findRepoRoot, registryFlags } from '../options.ts';
import { DOCTOR } from '../specs.ts';

const SET_DATA_DIR = '--data-dir or CONNECTORS_DATA_DIR';

type Finding = { ok: boolean | 'info'; text: string };

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandLine(DOCTOR, args);
  const flags = registryFlags(values);
  const repoRoot = findRepoRoot();
  const external = flags.databaseUrl ?? process.env.DATABASE_URL;
  const dataDir = resolveDataDir(flags.dataDir, repoRoot);
  const sections: Array<[string, Finding[]]> = [];

  if (external) {
    sections.push(['Registry (DATABASE_URL)', await checkRegistry({ databaseUrl: external })]);
  } else {
    const dir = await checkDataDir(dataDir);
    sections.push([`Data dir ${dataDir}`, dir.findings]);
    if (dir.usable) {
      const owner = await checkOwner(dataDir);
      sections.push(['Owner', owner]);
      sections.push(['Registry', await checkRegistry({ dataDir, repoRoot })]);
    }
  }
  const vaultDir = resolveVaultDir(values['vault-dir']);
  sections.push([`Vault ${vaultDir}`, await checkVault(vaultDir, process.env.VAULT_AGENT_SOCKET || path.join(runDirOf(dataDir), 'vault-agent.sock'))]);

  let problems = 0;
  for (const [title, findings] of sections) {
    process.stdout.write(`${title}\n`);
    for (const f of findings) {
      if (f.ok === false) problems++;
      process.stdout.write(`  ${f.ok === true ? '✓' : f.ok === false ? '✗' : '·'} ${f.text}\n`);
    }
  }
  process.stdout.write(problems === 0 ? 'No problem found.\n' : `${problems} problem(s) found; each says what to do.\n`);
  return problems === 0 ? EXIT.ok : EXIT.failed;
}

async function checkDataDir(dataDir: string): Promise<{ usable: boolean; findings: Finding[] }> {
  const st = await lstat(dataDir).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) {
    if (st.code === 'ENOENT') return { usable: false, findings: [{ ok: 'info', text: 'does not exist yet: npm start (or a sync) creates it' }] };
    return { usable: false, findings: [{ ok: false, text: `cannot be inspected (${st.code}). ${fileSystemWords(st.code, dataDir, SET_DATA_DIR) ?? ''}` }] };
  }
  if (st.isSymbolicLink()) return { usable: false, findings: [{ ok: false, text: `is a symbolic link, which the registry refuses. Point ${SET_DATA_DIR} at the real directory.` }] };
  if (!st.isDirectory()) return { usable: false, findings: [{ ok: false, text: `is not a directory. Remove it or choose another with ${SET_DATA_DIR}.` }] };
  const findings: Finding[] = [];
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return { usable: false, findings: [{ ok: false, text: `belongs to ${userLabel(st.uid)}, not to you (${userLabel(uid)}). Use a data dir of your own (${SET_DATA_DIR}).` }] };
  }
  const mode = st.mode & 0o777;
  findings.push(
    mode === 0o700
      ? { ok: true, text: 'a directory of yours, mode 0700' }
      : { ok: false, text: `mode ${mode.toString(8)}: others may look in. The registry makes it 0700 when it opens it, or run chmod 700 ${dataDir}.` },
  );
  const open = await looseEntries(dataDir);
  // Inside a 0700 dir nobody else can reach them; outside one they matter.
  if (open.length > 0) findings.push({ ok: mode === 0o700 ? 'info' : false, text: `${open.length} entr${open.length === 1 ? 'y is' : 'ies are'} open to group or others (${open.slice(0, 3).join(', ')}${open.length > 3 ? ', …' : ''}); the registry makes them private when it opens the data dir.` });
  const writable = await access(dataDir, constants.W_OK).then(() => null, (err: NodeJS.ErrnoException) => err.code);
  const readOnlyFs = await probeReadOnly(dataDir);
  if (writable || readOnlyFs) {
    findings.push({ ok: false, text: fileSystemWords(readOnlyFs ?? writable ?? undefined, dataDir, SET_DATA_DIR) ?? `not writable (${writable})` });
    return { usable: false, findings }; // the owner and registry checks would only repeat this
  }
  findings.push({ ok: true, text: 'writable' });
  return { usable: true, findings };
}

/** EROFS when the data dir's file system is mounted read-only (root's access(W_OK) says yes even there): from /proc/self/mountinfo. */
async function probeReadOnly(dir: string): Promise<string | null> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  let best: { point: string; ro: boolean } | null = null;
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    const point = f[4];
    if (!point) continue;
    const inside = dir === point || dir.startsWith(point === '/' ? '/' : `${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, ro: (f[5] ?? '').split(',').includes('ro') };
  }
  return best?.ro ? 'EROFS' : null;
}

async function looseEntries(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(e.parentPath, e.name);
    const st = await lstat(p).catch(() => null);
    if (st && !st.isSymbolicLink() && (st.mode & 0o077) !== 0) out.push(path.relative(dir, p));
  }
  return out;
}

async function checkOwner(dataDir: string): Promise<Finding[]> {
  const info = await readInfo(dataDir).catch(() => 'unreadable' as const);
  const socket = path.join(runDirOf(dataDir), SOCKET_FILE);
  const lock = await tryLockDataDir(dataDir);
  if (lock.ok) {
    await lock.held.release();
    const findings: Finding[] = [{ ok: 'info', text: 'nobody holds it (no npm start or command running on it)' }];
    if (info && info !== 'unreadable') {
      findings.push({ ok: 'info', text: `${infoPath(dataDir)} names process ${info.pid}${pidAlive(info.pid) ? ', a live process that does not hold the data dir' : ', which is gone'}: left behind; the next owner replaces it` });
    }
    if (await lstat(socket).catch(() => null)) findings.push({ ok: 'info', text: `${socket} is left from a process that died; the next owner removes it` });
    return findings;
  }
  if (!lock.busy) return [{ ok: false, text: fileSystemWords(lock.code, dataDir, SET_DATA_DIR) ?? lock.message }];
  const who = info && info !== 'unreadable' ? `${info.kind ?? 'a process'} (process ${info.pid})${info.site_url ? `, site ${info.site_url}` : ''}` : 'a process that has not written registry.json yet';
  const answering = await answers(socket);
  return [
    { ok: true, text: `held by ${who}` },
    answering
      ? { ok: true, text: `the registry answers on ${socket}` }
      : { ok: false, text: `the registry does not answer on ${socket}; if its owner is stuck, stop it (it is named above) and start again` },
  ];
}

async function checkRegistry(target: { databaseUrl?: string; dataDir?: string; repoRoot?: string }): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (target.dataDir) {
    const pgdata = path.join(target.dataDir, 'registry');
    const damage = await registryFilesProblem(pgdata).catch((err: unknown) => `its files cannot be read (${errnoOf(err) ?? (err as Error).message})`);
    if (damage) return [{ ok: false, text: `damaged: ${damage}. ${damagedAdvice(target.dataDir)}` }];
    if (!(await lstat(pgdata).catch(() => null))) return [{ ok: 'info', text: 'not created yet: npm start (or a sync) creates it from the repository' }];
  }
  let registry;
  try {
    registry = await openRegistry({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, repoRoot: target.repoRoot });
  } catch (err) {
    return [{ ok: false, text: `does not open: ${(err as Error).message}` }];
  }
  try {
    findings.push({ ok: true, text: registry.embedded ? (registry.reached ? 'opens (through its owner)' : 'opens') : 'answers' });
    const client = await registry.pool.connect();
    try {
      if (!(await registryHasSchema(client))) {
        findings.push({ ok: 'info', text: 'has no registry schema yet: the first sync creates it' });
        return findings;
      }
      const pending = await pendingMigrations(client);
      findings.push(
        pending.length === 0
          ? { ok: true, text: 'migrations current' }
          : { ok: 'info', text: `${pending.length} migration(s) pending (${pending.join(', ')}): the next npm start or sync applies them` },
      );
      // Every table read through, also by its primary key: a heap file cut short serves fewer rows without an error.
      const counts: string[] = [];
      for (const t of await readTablesThrough(client)) {
        if (t.problem) {
          findings.push({ ok: false, text: `table ${t.table} cannot be read whole (${t.problem}). ${target.dataDir ? damagedAdvice(target.dataDir) : 'Restore the database from a backup.'}` });
        } else counts.push(`${t.table} ${t.rows}`);
      }
      findings.push({ ok: true, text: `rows: ${counts.join(', ')}` });
    } finally {
      client.release();
    }
  } catch (err) {
    findings.push({ ok: false, text: `could not be read: ${redactError(err, registry.url).message.split('\n')[0]}` });
  } finally {
    await registry.close().catch(() => undefined);
  }
  return findings;
}

async function checkVault(vaultDir: string, socketPath: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const st = await lstat(vaultDir).catch(() => null);
  if (!st) findings.push({ ok: 'info', text: 'does not exist yet: vault-agent creates it (0700) when it starts' });
  else if (st.isSymbolicLink()) findings.push({ ok: false, text: 'is a symbolic link, which vault-agent refuses. Point --vault-dir or VAULT_DIR at the real directory.' });
  else if (!st.isDirectory()) findings.push({ ok: false, text: 'is not a directory. Move it away or choose another with --vault-dir or VAULT_DIR.' });
  else if (process.getuid && st.uid !== process.getuid()) findings.push({ ok: false, text: `belongs to ${userLabel(st.uid)}, not to you. Use a vault dir of your own.` });
  else if ((st.mode & 0o022) !== 0) findings.push({ ok: false, text: `mode ${(st.mode & 0o777).toString(8)}: others may write there; vault-agent refuses it. Run chmod 700 ${vaultDir}.` });
  else {
    const keys = (await readdir(vaultDir).catch(() => [] as string[])).filter((f) => /\.(txt|sops\.json)$/.test(f)).length;
    findings.push({ ok: true, text: `a private directory of yours, ${keys} key file(s)` });
    const audit = await readFile(path.join(vaultDir, AUDIT_FILE), 'utf8').catch(() => null);
    if (audit !== null) {
      const lines = audit.split('\n');
      const last = lines.at(-1) === '' ? lines.at(-2) : lines.at(-1);
      const torn = audit.length > 0 && (!audit.endsWith('\n') || (last !== undefined && !isJson(last)));
      findings.push(
        torn
          ? { ok: false, text: `${AUDIT_FILE} ends in a torn line (a write cut short, e.g. a full disk); vault-agent repairs it when it starts` }
          : { ok: true, text: `${AUDIT_FILE} whole (${lines.filter(Boolean).length} record(s))` },
      );
    }
  }
  const sock = await lstat(socketPath).catch(() => null);
  if (!sock) {
    findings.push({ ok: 'info', text: `vault-agent is not running on ${socketPath} (npm start starts it)` });
  } else {
    const client = createVaultClient(socketPath, { timeoutMs: 3_000 });
    const health = await client.health().catch(() => ({ ok: false as const, code: 'unavailable', message: '' }));
    client.close();
    findings.push(
      health.ok
        ? { ok: true, text: `vault-agent answers on ${socketPath}` }
        : { ok: false, text: `vault-agent does not answer on ${socketPath} (${health.code}): restart npm start${health.code === 'untrusted_socket' ? `; ${health.message}` : ''}` },
    );
  }
  return findings;
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    s.setTimeout(2_000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
