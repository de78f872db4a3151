/**
 * Start-up refuses an unsafe vault dir or socket dir with a clear message, replaces a stale socket,
 * refuses to run twice on one socket, and removes its socket on close.
 */
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { defaultRuntimeDir, defaultSocketPath, resolveSocketPath, resolveVaultDir, startVaultAgent, VaultAgentStartError } from '../src/server.ts';
import { privateTempDir, removeDir, startTestAgent } from './helpers.ts';

let root: string;
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  await removeDir(root);
});

const start = (vaultDir: string, socketPath = join(root, 'run', 'a.sock')) => startVaultAgent({ vaultDir, socketPath });

describe('unsafe vault dir', () => {
  test('a symbolic link as vault dir is refused', async () => {
    await fs.mkdir(join(root, 'real'), { mode: 0o700 });
    await fs.symlink(join(root, 'real'), join(root, 'vault'));
    await expect(start(join(root, 'vault'))).rejects.toThrow(/vault dir .*vault: it is a symbolic link/);
  });

  test('a vault dir owned by another user is refused', async () => {
    await fs.mkdir(join(root, 'vault'), { mode: 0o700 });
    await fs.chown(join(root, 'vault'), 65534, 65534);
    await expect(start(join(root, 'vault'))).rejects.toThrow(/owned by uid 65534, not by this user/);
  });

  test.each([0o770, 0o707, 0o777])('a vault dir writable by group or others (%o) is refused', async (mode) => {
    await fs.mkdir(join(root, 'vault'));
    await fs.chmod(join(root, 'vault'), mode);
    const err = await start(join(root, 'vault')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultAgentStartError);
    expect((err as Error).message).toMatch(/writable by group or others .*chmod 700/);
  });

  test('a missing vault dir is created 0700; a readable one is tightened to 0700', async () => {
    const a = await start(join(root, 'new', 'vault'));
    expect((await fs.stat(join(root, 'new', 'vault'))).mode & 0o777).toBe(0o700);
    await a.close();
    await fs.chmod(join(root, 'new', 'vault'), 0o755);
    const b = await start(join(root, 'new', 'vault'));
    expect((await fs.stat(join(root, 'new', 'vault'))).mode & 0o777).toBe(0o700);
    await b.close();
  });

  test('a refused start leaves no socket behind', async () => {
    await fs.mkdir(join(root, 'vault'));
    await fs.chmod(join(root, 'vault'), 0o777);
    await expect(start(join(root, 'vault'))).rejects.toThrow();
    await expect(fs.lstat(join(root, 'run', 'a.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('socket', () => {
  test('a socket dir writable by others is refused', async () => {
    await fs.mkdir(join(root, 'shared'));
    await fs.chmod(join(root, 'shared'), 0o1777);
    await expect(start(join(root, 'vault'), join(root, 'shared', 'a.sock'))).rejects.toThrow(/socket directory .* writable by group or others/);
  });

  test('a socket dir that others can enter (0755) is refused: connecting is checked on the path', async () => {
    await fs.mkdir(join(root, 'open'));
    await fs.chmod(join(root, 'open'), 0o755);
    await expect(start(join(root, 'vault'), join(root, 'open', 'a.sock'))).rejects.toThrow(
      `Refusing to use the socket directory ${join(root, 'open')}: group or others can enter it (mode 755). Run chmod 700 ${join(root, 'open')}, or choose another with --socket or VAULT_AGENT_SOCKET.`,
    );
    await expect(fs.lstat(join(root, 'open', 'a.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a symlinked socket dir is refused', async () => {
    await fs.mkdir(join(root, 'realrun'), { mode: 0o700 });
    await fs.symlink(join(root, 'realrun'), join(root, 'run'));
    await expect(start(join(root, 'vault'))).rejects.toThrow(/socket directory .* symbolic link/);
  });

  test('the socket is 0600 in a 0700 dir, and close removes it', async () => {
    const a = await startTestAgent(root);
    expect((await fs.lstat(a.socketPath)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(join(root, 'run'))).mode & 0o777).toBe(0o700);
    expect(a.logs[0]).toBe(`vault-agent listening on unix:${a.socketPath} (vault ${a.vaultDir}, plain mode)`);
    await a.close();
    await expect(fs.lstat(a.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a second agent on a live socket is refused as already running; the first keeps serving', async () => {
    const a = await startTestAgent(root);
    await expect(startTestAgent(root)).rejects.toThrow(/already running on/);
    const c = createVaultClient(a.socketPath);
    expect(await c.health()).toEqual({ ok: true });
    c.close();
    await a.close();
  });

  test('a stale socket left by a killed agent is replaced', async () => {
    const sock = join(root, 'run', 'a.sock');
    await fs.mkdir(join(root, 'run'), { mode: 0o700 });
    // A process that binds the socket and dies without cleaning up.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((r) => child.once('exit', r));
    expect((await fs.lstat(sock)).isSocket()).toBe(true);
    const a = await startTestAgent(root);
    const c = createVaultClient(a.socketPath);
    expect(await c.health()).toEqual({ ok: true });
    c.close();
    await a.close();
  });

  test('a regular file at the socket path is refused, not deleted', async () => {
    await fs.mkdir(join(root, 'run'), { mode: 0o700 });
    await fs.writeFile(join(root, 'run', 'a.sock'), 'precious');
    await expect(startTestAgent(root)).rejects.toThrow(/exists and is not a socket/);
    expect(await fs.readFile(join(root, 'run', 'a.sock'), 'utf8')).toBe('precious');
  });

  test('bad age recipients are refused at start, naming the bad one', async () => {
    await expect(startTestAgent(root, { ageRecipients: 'age1notarecipient' })).rejects.toThrow(/"age1notarecipient" is not a valid age recipient/);
  });
});

describe('default paths', () => {
  test('flags beat env, env beats defaults; defaults are ~/northstar-keys and a per-user runtime dir', () => {
    expect(resolveVaultDir('/x/v', { VAULT_DIR: '/y' })).toBe('/x/v');
    expect(resolveVaultDir(undefined, { VAULT_DIR: '/y' })).toBe('/y');
    expect(resolveVaultDir(undefined, {})).toMatch(/\/northstar-keys$/);
    expect(resolveSocketPath(undefined, { VAULT_AGENT_SOCKET: '/s/a.sock' })).toBe('/s/a.sock');
    expect(defaultRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/northstar-vault');
    expect(defaultRuntimeDir({}, 1234)).toMatch(/northstar-vault-1234$/);
    expect(defaultSocketPath({}, 1234)).toMatch(/northstar-vault-1234\/vault-agent\.sock$/);
  });
});
