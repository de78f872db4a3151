/**
 * A full disk under a real vault-agent process, on a tmpfs of 64 KiB: a write whose audit record
 * cannot be written fails, and the key keeps its previous value (it used to answer ok:true with no
 * record); the audit log never keeps half a line, and a torn last line left by a crash is cut off
 * at start with a `repair` record.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, ftruncateSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { privateTempDir } from './helpers.ts';

const KEY = 'PROVIDER_FULLDISK_API_KEY';
const PAGE = 4096;

function startAgent(vaultDir: string, socket: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'src', 'main.ts'), '--vault-dir', vaultDir, '--socket', socket], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VAULT_AGE_RECIPIENTS: '' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function ready(socket: string): Promise<void> {
  const client = createVaultClient(socket, { timeoutMs: 2_000 });
  try {
    for (;;) {
      if ((await client.health()).ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
}

async function stop(agent: { child: ChildProcess }): Promise<void> {
  const exited = new Promise((r) => agent.child.once('exit', r));
  agent.child.kill('SIGTERM');
  await exited;
}

/** Every line of the audit log parses as one JSON record, and the file ends with a newline. */
function auditLines(vault: string): Array<Record<string, unknown>> {
  const text = readFileSync(path.join(vault, 'audit.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(process.getuid?.() !== 0)('vault-agent on a full disk (tmpfs of 64 KiB)', () => {
  let root: string;
  let vault: string;
  let socket: string;

  beforeAll(async () => {
    root = await privateTempDir();
    vault = path.join(root, 'vault');
    mkdirSync(vault);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', vault]);
    socket = path.join(root, 'run', 'agent.sock');
  });

  afterAll(() => {
    execFileSync('umount', [vault]);
    rmSync(root, { recursive: true, force: true });
  });

  it('a write whose audit record cannot be written fails and the key keeps its previous value', async () => {
    writeFileSync(path.join(vault, `${KEY}.txt`), 'old-value', { mode: 0o600 });
    // An audit log of exactly one page of whole JSON: the next record needs a new page of the disk.
    const line = `${JSON.stringify({ time: new Date().toISOString(), action: 'put', name: KEY, outcome: 'ok', pad: '' }).slice(0, -2)}${'x'.repeat(PAGE)}`;
    writeFileSync(path.join(vault, 'audit.jsonl'), `${line.slice(0, PAGE - 3)}"}\n`, { mode: 0o600 });
    expect(readFileSync(path.join(vault, 'audit.jsonl')).length).toBe(PAGE);
    chmodSync(vault, 0o700);

    const agent = startAgent(vault, socket);
    try {
      await ready(socket);
      // Fill the disk, then give back exactly one page: room for the new key file and nothing more.
      const fd = openSync(path.join(vault, 'filler'), 'w', 0o600);
      try {
        for (;;) writeSync(fd, Buffer.alloc(PAGE, 1));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      ftruncateSync(fd, Math.floor(fstatSync(fd).size / PAGE) * PAGE - PAGE);
      closeSync(fd);

      const client = createVaultClient(socket);
      const put = await client.put(KEY, 'new-value');
      expect(put.ok).toBe(false);
      if (!put.ok) {
        expect(put.code).toBe('write_failed');
        expect(put.message).toContain('its audit record could not be written (ENOSPC)');
        expect(put.message).toContain('keeps its previous value');
      }
      expect(readFileSync(path.join(vault, `${KEY}.txt`), 'utf8')).toBe('old-value');
      expect(readdirSync(vault).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
      // No half record, and none claiming the write: once undone, its space was the failure's record.
      const records = auditLines(vault);
      expect(records).toHaveLength(2);
      expect(records[1]).toMatchObject({ action: 'put', name: KEY, outcome: 'write_failed' });

      // Space again: the same write succeeds and is recorded.
      rmSync(path.join(vault, 'filler'));
      const again = await client.put(KEY, 'new-value');
      client.close();
      expect(again.ok).toBe(true);
      expect(readFileSync(path.join(vault, `${KEY}.txt`), 'utf8')).toBe('new-value');
      expect(auditLines(vault).at(-1)).toMatchObject({ action: 'put', name: KEY, outcome: 'ok' });
      expect(agent.output()).not.toContain('new-value');
    } finally {
      await stop(agent);
    }
  });

  it('a torn last line of audit.jsonl is cut off at start, with a repair record and one log line', async () => {
    const before = auditLines(vault).length;
    const torn = '{"time":"2026-12-02T00:00:00.000Z","action":"pu';
    appendFileSync(path.join(vault, 'audit.jsonl'), torn);
    const agent = startAgent(vault, socket);
    try {
      await ready(socket);
      const lines = auditLines(vault);
      expect(lines).toHaveLength(before + 1);
      expect(lines.at(-1)).toMatchObject({ action: 'repair', outcome: 'torn_last_line_removed', bytes: torn.length });
      expect(agent.output()).toContain(`audit.jsonl ended in a torn line (${torn.length} bytes, a write cut short); removed it and recorded the repair`);
    } finally {
      await stop(agent);
    }
  });
});
