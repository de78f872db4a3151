/**
 * Issue 10 item 3, "npm start trusts whatever answers on the vault socket": keys typed into the site
 * went to another user's process, or to a second factory's agent. Now npm start only uses a socket
 * in a private directory it checked, accepts only the child that proves the key it was given at
 * spawn, and the site's client never talks to a socket whose directory it did not check. Every
 * impostor here records what it is sent: none of them may get a single request, let alone a PUT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, describe, vi } from 'vitest';
import { spawnAsNobody } from '../../registry/test/os-probes.ts';
import { freshDatabase, type FreshDatabase } from '../../registry/testing.ts';
import { finished, spawnTs } from '../../sentinel/test/helpers.ts';
import { createVaultPort } from '../../../site/http/vault.ts';
import { startVaultAgent } from '../../../vault-agent/src/server.ts';
import { newProofKey } from '../../../vault-agent/src/proof.ts';
import { awaitProvenAgent, startVaultProcess, VaultImpostorError, type VaultProcess } from '../vault-process.ts';
import { REPO_ROOT } from './helpers.ts';

/**
 * An impostor: answers every request like a vault-agent would (`{"ok":true,...}`, a made-up proof
 * included) and prints `request METHOD URL` for each, plus `listening` once ready. Built-ins only,
 * so it can run as `nobody`.
 */
const IMPOSTOR = `
import http from 'node:http';
const server = http.createServer((req, res) => {
  process.stdout.write('request ' + req.method + ' ' + req.url + '\\n');
  req.resume();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, proof: 'ab'.repeat(32), name: 'X', updated_at: new Date().toISOString() }));
});
server.listen(process.argv.at(-1), () => process.stdout.write('listening\\n'));
`;

interface Impostor {
  proc: ChildProcess;
  requests: () => string[];
}

async function startImpostor(proc: ChildProcess): Promise<Impostor> {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', () => out.includes('listening') && resolve());
    proc.once('exit', (code) => reject(new Error(`the impostor exited (${code}): ${out}`)));
  });
  return { proc, requests: () => [...out.matchAll(/^request (.+)$/gm)].map((m) => m[1]!) };
}

let tmp: string;
const running: Array<{ stop(): Promise<void> } | ChildProcess> = [];
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-vtrust-'));
  chmodSync(tmp, 0o755); // another user can reach names under it, as in a shared machine's /tmp
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    if ('stop' in r) await r.stop();
    else r.kill('SIGKILL');
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const log = () => undefined;

describe('npm start and its vault-agent', () => {
  it("accepts the child it started, with its socket in npm start's private run dir, and keys reach it", async () => {
    const runDir = path.join(tmp, 'accepted', 'data', 'run');
    const vault: VaultProcess = await startVaultProcess({ repoRoot: REPO_ROOT, runDir, vaultDir: path.join(tmp, 'accepted', 'vault'), log });
    running.push(vault);
    expect(vault.socketPath).toBe(path.join(runDir, 'vault-agent.sock'));
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    const port = createVaultPort(vault.socketPath);
    expect(await port.put('TRUSTED_KEY', 'a-value')).toMatchObject({ ok: true });
    port.close();
  });

  it('accepts its child when this process was held past the time limit (PGlite starting on the same thread), not only when it could look', async () => {
    // The embedded registry's start holds npm start's event loop in WebAssembly for seconds at a
    // time (17-27 s in CI at load): wall-clock time passed while nobody could ask the agent, and
    // npm start gave up on a healthy agent ("did not answer ... within the time limit").
    const runDir = path.join(tmp, 'held', 'data', 'run');
    const hold = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until); // busy, as WebAssembly is: no timer, no socket is served meanwhile
    };
    let settled = false;
    const started = startVaultProcess({ repoRoot: REPO_ROOT, runDir, vaultDir: path.join(tmp, 'held', 'vault'), log, timeoutMs: 1_500 }).finally(() => (settled = true));
    const holder = setInterval(() => !settled && hold(2_000), 20);
    try {
      const vault = await started;
      running.push(vault);
      const port = createVaultPort(vault.socketPath);
      expect(await port.put('HELD_KEY', 'a-value')).toMatchObject({ ok: true });
      port.close();
    } finally {
      clearInterval(holder);
    }
  });

  it('a socket planted at the configured path by another process stops it with one message, and the impostor gets no request', async () => {
    const runDir = path.join(tmp, 'planted', 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const impostor = await startImpostor(spawn(process.execPath, ['--input-type=module', '-e', IMPOSTOR, path.join(runDir, 'vault-agent.sock')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(impostor.proc);
    const err = await startVaultProcess({ repoRoot: REPO_ROOT, runDir, vaultDir: path.join(tmp, 'planted', 'vault'), log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultImpostorError);
    expect((err as Error).message).toBe(
      `Something is already answering on the vault-agent socket ${path.join(runDir, 'vault-agent.sock')} (another vault-agent, a second npm start, or another program). ` +
        `npm start stops here so that no key is sent to it: stop that process, or give this factory its own socket with VAULT_AGENT_SOCKET.`,
    );
    expect(impostor.requests()).toEqual([]);
  });

  it("another user's process listening in a directory it owns: npm start refuses the socket and the site's client sends it nothing", async () => {
    const theirs = path.join(tmp, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    const sock = path.join(theirs, 'vault.sock');
    const impostor = await startImpostor(spawnAsNobody(IMPOSTOR, [sock]));
    running.push(impostor.proc);

    const err = await startVaultProcess({ repoRoot: REPO_ROOT, socketPath: sock, vaultDir: path.join(tmp, 'theirs-vault'), log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultImpostorError);
    expect((err as Error).message).toMatch(
      new RegExp(`^Refusing to use the vault-agent socket directory ${theirs}: it is owned by uid 65534, not by this user \\(uid \\d+\\)\\. Use a directory you own \\(VAULT_AGENT_SOCKET\\)\\.$`),
    );

    const CANARY = `CANARY-${Math.random().toString(36).slice(2)}`;
    const port = createVaultPort(sock);
    const put = await port.put('PROVIDER_X_API_KEY', CANARY);
    const list = await port.list();
    port.close();
    expect(put).toMatchObject({ ok: false, code: 'untrusted_socket' });
    expect(list).toMatchObject({ ok: false, code: 'untrusted_socket' });
    expect(JSON.stringify([put, list])).not.toContain(CANARY);
    expect(impostor.requests()).toEqual([]);
  });

  it("a second factory's vault-agent answering on the socket cannot prove our key, and gets no key", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-second-'));
    const other = await startVaultAgent({ vaultDir: path.join(dir, 'vault'), socketPath: path.join(dir, 'run', 'a.sock'), proofKey: newProofKey() });
    running.push({ stop: async () => (await other.close(), rmSync(dir, { recursive: true, force: true })) });
    const err = await awaitProvenAgent({ socketPath: other.socketPath, key: newProofKey(), timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultImpostorError);
    expect((err as Error).message).toMatch(/is not the vault-agent npm start started: it could not prove it is the vault-agent npm start just started\. npm start stops here/);
    const port = createVaultPort(other.socketPath);
    expect(await port.list()).toEqual({ ok: true, secrets: [] }); // the second factory's vault got nothing
    port.close();
  });

  it('an impostor that answers the challenge with a made-up proof is refused the same way', async () => {
    const runDir = path.join(tmp, 'liar', 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const sock = path.join(runDir, 'vault-agent.sock');
    const impostor = await startImpostor(spawn(process.execPath, ['--input-type=module', '-e', IMPOSTOR, sock], { stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(impostor.proc);
    await expect(awaitProvenAgent({ socketPath: sock, key: newProofKey(), timeoutMs: 10_000 })).rejects.toThrow(VaultImpostorError);
    // The impostor's log line travels on its stdout pipe, which may arrive after its HTTP answer.
    await vi.waitFor(() => expect(impostor.requests()).toHaveLength(1));
    expect(impostor.requests()[0]).toMatch(/^GET \/v1\/health\?challenge=[A-Za-z0-9_-]{43}$/);
  });
});

describe('npm start with a vault socket it cannot trust', () => {
  let db: FreshDatabase;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(() => db.drop());

  it('stops with one clear line (no stack trace) before starting the site', async () => {
    const theirs = path.join(tmp, 'theirs-cli');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    const sock = path.join(theirs, 'vault.sock');
    const run = await finished(
      spawnTs(path.join(REPO_ROOT, 'pipeline/cli/start.ts'), ['--port', '0', '--no-watch', '--database-url', db.url, '--data-dir', path.join(tmp, 'cli-data')], {
        env: { VAULT_AGENT_SOCKET: sock, VAULT_DIR: path.join(tmp, 'cli-vault') },
      }),
    );
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr.trim()).toMatch(new RegExp(`^npm start: Refusing to use the vault-agent socket directory ${theirs}: it is owned by uid 65534`));
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at |Unhandled/);
    expect(run.stdout).not.toContain('God Config');
  });
});
