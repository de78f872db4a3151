import { spawn, type ChildProcess } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { createVaultClient } from '../../vault-agent/src/client.ts';
// Imported up front, never lazily: Ctrl-C reaches tsx's esbuild service too (same process group),
// and a TypeScript module imported after that can no longer be transformed.
import { defaultRuntimeDir, resolveVaultDir } from '../../vault-agent/src/paths.ts';
import { LIFELINE_ENV } from '../../vault-agent/src/lifeline.ts';
import { newChallenge, newProofKey, PROOF_FD_ENV, proofMatches } from '../../vault-agent/src/proof.ts';
import { openPrivateDir } from '../../vault-agent/src/safety.ts';

export interface VaultProcess {
  socketPath: string;
  vaultDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Something other than the vault-agent we started holds or answers on its socket: npm start must stop. */
export class VaultImpostorError extends Error {
  override name = 'VaultImpostorError';
}

/** The socket's file name in npm start's private run dir. */
export const VAULT_SOCKET_FILE = 'vault-agent.sock';

/**
 * Runs vault-agent as its own process, so the site never holds the vault's files or keys: it only
 * hands a value over the socket. The agent belongs to this npm start:
 *  - its socket is in a private directory (ours, 0700, not a link) that we create and check:
 *    `<runDir>/vault-agent.sock` by default (without a run dir, the user's runtime dir), or
 *    `socketPath` (VAULT_AGENT_SOCKET), checked the same;
 *  - something already answering there is refused before the agent is even started;
 *  - the agent gets a random key through an inherited pipe, and we accept it only once it answers a
 *    fresh challenge with the key's proof (vault-agent/src/proof.ts). Anything else answering on
 *    the socket (another user's process, a second factory's agent, a stale socket that answers)
 *    stops npm start with one message, and no key is ever sent to it.
 * Resolves once the proof checks out.
 */
export async function startVaultProcess(opts: {
  repoRoot: string;
  /** npm start's private run dir (`<dataDir>/run`), where the socket goes by default; else the user's runtime dir. */
  runDir?: string;
  vaultDir?: string;
  socketPath?: string;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<VaultProcess> {
  const vaultDir = resolveVaultDir(opts.vaultDir);
  const socketPath = vaultSocketPath(opts);
  await preparePrivateSocket(socketPath, !opts.socketPath);

  const key = newProofKey();
  const args = ['--import', 'tsx', path.join(opts.repoRoot, 'vault-agent/src/main.ts'), '--vault-dir', vaultDir, '--socket', socketPath];
  const child = spawn(process.execPath, args, {
    cwd: opts.repoRoot,
    // fd 3 carries the proof key: never argv (the process list) or a file. stdin is the agent's
    // lifeline: we never write to it, and it ends when npm start dies, however it dies, so the
    // agent stops with it instead of living on as an orphan (vault-agent/src/main.ts).
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, [PROOF_FD_ENV]: '3', [LIFELINE_ENV]: 'stdin' },
  });
  child.stdin?.on('error', () => undefined); // the agent gone first: nothing to tell it
  (child.stdio[3] as Writable).on('error', () => undefined); // a child that died early closed it
  (child.stdio[3] as Writable).end(key.toString('hex'));

  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`vault-agent exited (${signal ?? `code ${code}`}) before it was ready:\n${output.trim()}`)));
      child.once('error', reject);
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      void awaitProvenAgent({ socketPath, key, timeoutMs: opts.timeoutMs ?? 15_000, gone: exited }).then((proven) => {
        if (proven) resolve();
        // An agent that exited was reported by the exit handler, with its own message.
        else if (!exited()) reject(new Error(`vault-agent did not answer on ${socketPath} within the time limit:\n${output.trim()}`));
      }, reject);
    });
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  // From here on, vault-agent's own lines go to our log, prefixed.
  child.stdout?.off('data', collect);
  child.stderr?.off('data', collect);
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) opts.log(`vault-agent: ${line.replace(/^vault-agent: /, '')}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);

  return { socketPath, vaultDir, child, stop: () => stopChild(child) };
}

/** Where the agent's socket will be: `socketPath` (VAULT_AGENT_SOCKET), else in the run dir, else in the user's runtime dir. */
export function vaultSocketPath(opts: { runDir?: string; socketPath?: string }): string {
  return path.resolve(opts.socketPath || path.join(opts.runDir ?? defaultRuntimeDir(), VAULT_SOCKET_FILE));
}

/**
 * The socket's directory must be ours, 0700 and not a link (created so when missing; our own run
 * dir is tightened, a directory the user named is refused instead), and nothing may answer on the
 * socket yet: whatever does is not the agent we are about to start.
 */
async function preparePrivateSocket(socketPath: string, ownRunDir: boolean): Promise<void> {
  const dir = await openPrivateDir(path.dirname(socketPath), {
    what: 'vault-agent socket directory',
    setWith: 'VAULT_AGENT_SOCKET',
    create: true,
    tighten: ownRunDir,
    ownerOnly: true,
  });
  if (!dir.ok) throw new VaultImpostorError(dir.message);
  await dir.handle.close();
  const st = await lstat(socketPath).catch(() => null);
  if (st?.isSocket() && (await answers(socketPath))) {
    throw new VaultImpostorError(
      `Something is already answering on the vault-agent socket ${socketPath} (another vault-agent, a second npm start, or another program). ` +
        `npm start stops here so that no key is sent to it: stop that process, or give this factory its own socket with VAULT_AGENT_SOCKET.`,
    );
  }
}

/**
 * Asks the agent on `socketPath` for the proof of `key` (a fresh challenge each time) until it
 * gives it (true), nothing has answered within `timeoutMs` of this process being awake (awakeClock)
 * or `gone()` says to stop waiting (false).
 * Rejects with VaultImpostorError at the first answer that is not the proof: whatever gave it is
 * not our agent, and must get nothing more from us.
 */
export async function awaitProvenAgent(a: { socketPath: string; key: Buffer; timeoutMs: number; gone?: () => boolean }): Promise<boolean> {
  const client = createVaultClient(a.socketPath, { timeoutMs: 5_000 });
  const clock = awakeClock();
  try {
    while (clock.awakeMs() < a.timeoutMs && !a.gone?.()) {
      const challenge = newChallenge();
      const answer = await client.challenge(challenge);
      if (answer.ok && proofMatches(a.key, challenge, answer.proof)) return true;
      if (answer.ok || (answer.code !== 'unavailable' && answer.code !== 'timeout')) {
        const why = answer.ok ? 'it could not prove it is the vault-agent npm start just started' : answer.message;
        throw new VaultImpostorError(
          `The process answering on the vault-agent socket ${a.socketPath} is not the vault-agent npm start started: ${why}. ` +
            `npm start stops here so that no key is sent to it: find what listens there (another user's process, a second npm start?), stop it, ` +
            `or give this factory its own socket with VAULT_AGENT_SOCKET.`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  } finally {
    clock.stop();
    client.close();
  }
}

/**
 * Milliseconds this process's event loop was free to run since the clock was made. The time limit
 * for the agent's answer counts these, not the wall clock: the embedded registry's start runs
 * PGlite's WebAssembly on this thread, holding the loop for seconds at a time (17-27 s in all
 * at load in CI), and a limit that ran on meanwhile gave up on a healthy agent nobody had been
 * able to ask. A held stretch counts as one tick.
 */
function awakeClock(tickMs = 100): { awakeMs(): number; stop(): void } {
  let awake = 0;
  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    awake += Math.min(now - last, 2 * tickMs);
    last = now;
  }, tickMs);
  ticker.unref();
  return { awakeMs: () => awake, stop: () => clearInterval(ticker) };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
