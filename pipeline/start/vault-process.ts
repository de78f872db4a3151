import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createVaultClient } from '../../vault-agent/src/client.ts';
// Imported up front, never lazily: Ctrl-C reaches tsx's esbuild service too (same process group),
// and a TypeScript module imported after that can no longer be transformed.
import { resolveVaultPaths } from '../../vault-agent/src/paths.ts';

export interface VaultProcess {
  socketPath: string;
  vaultDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs vault-agent as its own process, so the site never holds the vault's files or keys:
 * it only hands a value over the socket. Resolves once the agent answers /v1/health.
 */
export async function startVaultProcess(opts: {
  repoRoot: string;
  vaultDir?: string;
  socketPath?: string;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<VaultProcess> {
  const args = ['--import', 'tsx', path.join(opts.repoRoot, 'vault-agent/src/main.ts')];
  if (opts.vaultDir) args.push('--vault-dir', opts.vaultDir);
  if (opts.socketPath) args.push('--socket', opts.socketPath);
  const child = spawn(process.execPath, args, {
    cwd: opts.repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });

  let output = '';
  const ready = new Promise<{ socketPath: string; vaultDir: string }>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      output += chunk.toString();
      // vault-agent prints a JSON-free line naming its socket and vault dir; we ask it via flags
      // instead of parsing, and only use the output to explain a failure.
    };
    child.stdout?.on('data', onLine);
    child.stderr?.on('data', onLine);
    child.once('exit', (code, signal) =>
      reject(new Error(`vault-agent exited (${signal ?? `code ${code}`}) before it was ready:\n${output.trim()}`)),
    );
    child.once('error', reject);
    void waitHealthy(opts, resolve, reject, () => output);
  });

  const { socketPath, vaultDir } = await ready.catch((err: unknown) => {
    child.kill('SIGTERM');
    throw err;
  });
  // From here on, vault-agent's own lines go to our log, prefixed.
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) opts.log(`vault-agent: ${line.replace(/^vault-agent: /, '')}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);

  return {
    socketPath,
    vaultDir,
    child,
    stop: () => stopChild(child),
  };
}

async function waitHealthy(
  opts: { socketPath?: string; vaultDir?: string; timeoutMs?: number },
  resolve: (v: { socketPath: string; vaultDir: string }) => void,
  reject: (e: Error) => void,
  output: () => string,
): Promise<void> {
  const paths = resolveVaultPaths({ vaultDir: opts.vaultDir, socketPath: opts.socketPath });
  const client = createVaultClient(paths.socketPath);
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const health = await client.health();
    if (health.ok) return resolve(paths);
    await new Promise((r) => setTimeout(r, 100));
  }
  reject(new Error(`vault-agent did not answer on ${paths.socketPath} within the time limit:\n${output().trim()}`));
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
