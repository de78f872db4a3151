/**
 * start_ready_s: how long an operator waits for `npm start` on an existing registry. Spawns the
 * real entry (`npm start`, as a child process in its own process group) on the generated tree
 * (CONNECTORS_REPO_ROOT) against a registry a sync already filled, and times it from the spawn
 * until it has printed its login URL and the site, logged in with it, answered the list page.
 * Then it is stopped with SIGINT, as Ctrl-C does, and must say "stopped." within a minute.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { login } from './site-load.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StartReadyOptions {
  /** The generated tree npm start syncs and watches. */
  repoRoot: string;
  /** The embedded registry's data dir (a closed one that holds the registry), or a private dir for the run dir. */
  dataDir: string;
  /** Real PostgreSQL: the database a sync filled. Without it, npm start opens the embedded registry in dataDir. */
  databaseUrl?: string;
  vaultDir: string;
  /** Longest wait for readiness before the run counts as failed. Default 10 minutes. */
  timeoutMs?: number;
}

export interface StartReady {
  /** From the spawn until the list page answered. */
  seconds: number;
  /** From the spawn until the login URL was printed. */
  login_line_seconds: number;
  /** npm start's own step lines ("✓ label (N ms)"), in milliseconds. */
  steps_ms: Record<string, number>;
  /** From the spawn until the first sync ended (an existing registry is served before it ends). */
  first_sync_seconds: number;
  /** From SIGINT until npm start exited. */
  stop_seconds: number;
}

export async function measureStartReady(opts: StartReadyOptions): Promise<StartReady> {
  const started = performance.now();
  const args = ['start', '--silent', '--', '--port', '0', '--data-dir', opts.dataDir, '--vault-dir', opts.vaultDir];
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  const child = spawn('npm', args, {
    cwd: REPO_ROOT,
    detached: true, // its own process group: SIGINT reaches npm, node and vault-agent, as Ctrl-C does
    env: startEnv(opts.repoRoot),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = signal ?? `code ${code}`;
      resolve();
    }),
  );
  const lastLines = () =>
    output
      .split('\n')
      .filter((l) => l.trim() && !l.includes('token='))
      .slice(-4)
      .join(' | ');

  try {
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    let loginUrl: string | undefined;
    let loginLine = 0;
    while (!loginUrl) {
      if (exited) throw new Error(`npm start exited (${exited}) before it printed its login URL: ${lastLines()}`);
      if (Date.now() > deadline) throw new Error(`npm start printed no login URL within ${(opts.timeoutMs ?? 600_000) / 1000} s: ${lastLines()}`);
      loginUrl = /God Config: (http:\/\/\S+\/\?token=\S+)/.exec(output)?.[1];
      if (loginUrl) loginLine = performance.now();
      else await sleep(25);
    }
    const cookie = await login(loginUrl);
    const list = await fetch(new URL('/', loginUrl), { headers: { cookie } });
    const page = await list.text();
    if (list.status !== 200 || !page.includes('data-testid="count-')) throw new Error(`the list page answered HTTP ${list.status} right after start`);
    const seconds = (performance.now() - started) / 1000;


    // Stopped only after its first sync: Ctrl-C reaches the sync's git too, and a sync whose git
    // failed reads every folder instead, which would be measured as the stop.
    while (!/^✓ sync connectors\/ /m.test(output)) {
      if (exited) throw new Error(`npm start exited (${exited}) during its first sync: ${lastLines()}`);
      if (Date.now() > deadline) throw new Error(`npm start's first sync did not end within ${(opts.timeoutMs ?? 600_000) / 1000} s: ${lastLines()}`);
      await sleep(25);
    }
    const firstSync = performance.now();

    const steps_ms: Record<string, number> = {};
    for (const m of output.matchAll(/^✓ (.+?) \((\d+) ms\)/gm)) steps_ms[m[1]!] = Number(m[2]);
    const stopStart = performance.now();
    process.kill(-child.pid!, 'SIGINT');
    let stopTimer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exit.then(() => true),
      new Promise<boolean>((resolve) => {
        stopTimer = setTimeout(() => resolve(false), 60_000);
      }),
    ]).finally(() => clearTimeout(stopTimer));
    if (!stopped) throw new Error(`npm start did not stop within 60 s of SIGINT: ${lastLines()}`);
    // npm itself re-raises the SIGINT it got (exit by signal); npm start's own word is "stopped.".
    if (!/^stopped\.$/m.test(output) || !['code 0', 'SIGINT'].includes(exited ?? '')) throw new Error(`npm start exited ${exited} after SIGINT: ${lastLines()}`);
    return {
      seconds,
      login_line_seconds: (loginLine - started) / 1000,
      steps_ms,
      first_sync_seconds: (firstSync - started) / 1000,
      stop_seconds: (performance.now() - stopStart) / 1000,
    };
  } finally {
    if (!exited) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exit;
    }
  }
}

/** The bench's environment, without anything that would point npm start elsewhere than the flags say. */
function startEnv(repoRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CONNECTORS_REPO_ROOT: repoRoot };
  for (const name of ['DATABASE_URL', 'VAULT_DIR', 'VAULT_AGENT_SOCKET', 'CONNECTORS_DATA_DIR', 'PORT']) delete env[name];
  return env;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
