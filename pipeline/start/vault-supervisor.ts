/**
 * npm start keeps its vault-agent running: when the child dies (killed, crashed, stopped by someone
 * else) the exit is logged in one line and a new one is started after a pause that grows with each
 * quick death (0.5 s doubling to 30 s; a child that ran a minute resets it). Each new child gets a
 * new key and must prove it again (vault-process.ts), so nothing else can slip in on the socket
 * while the agent is down. Meanwhile the site finds nobody answering and says "vault unavailable".
 */
import { startVaultProcess, type VaultProcess } from './vault-process.ts';

export interface SupervisedVault {
  socketPath: string;
  vaultDir: string;
  /** The running child's pid, or null while it is down. */
  pid(): number | null;
  /** npm start is stopping: an exit from now on is not restarted. Synchronous, call it first. */
  stopping(): void;
  stop(): Promise<void>;
}

const STABLE_MS = 60_000;
const MAX_PAUSE_MS = 30_000;

export async function superviseVault(opts: Parameters<typeof startVaultProcess>[0]): Promise<SupervisedVault> {
  const { log } = opts;
  // The first start's failure is npm start's: it stops with the message, as before.
  let current: VaultProcess | null = await startVaultProcess(opts);
  let startedAt = Date.now();
  let quickDeaths = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const pauseAfterDeath = () => {
    if (Date.now() - startedAt > STABLE_MS) quickDeaths = 0;
    return Math.min(500 * 2 ** quickDeaths++, MAX_PAUSE_MS);
  };

  const schedule = (pause: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      restarting = restart().finally(() => (restarting = undefined));
    }, pause);
  };

  const watch = (v: VaultProcess) => {
    v.child.once('exit', (code, signal) => {
      if (current !== v) return;
      current = null;
      if (stopping) return;
      const pause = pauseAfterDeath();
      log(`vault-agent: exited (${signal ?? `code ${code}`}); restarting it in ${pause / 1000} s with a new spawn proof`);
      schedule(pause);
    });
  };

  const restart = async () => {
    if (stopping) return;
    let v: VaultProcess;
    try {
      v = await startVaultProcess(opts);
    } catch (err) {
      if (stopping) return;
      const pause = pauseAfterDeath();
      const why = ((err as Error).message.split('\n')[0] ?? '').trim();
      log(`vault-agent: could not restart (${why}); trying again in ${pause / 1000} s`);
      schedule(pause);
      return;
    }
    if (stopping) {
      await v.stop();
      return;
    }
    current = v;
    startedAt = Date.now();
    watch(v);
    log(`vault-agent: restarted (pid ${v.child.pid}), proof checked`);
  };

  watch(current);
  const first = current;
  return {
    socketPath: first.socketPath,
    vaultDir: first.vaultDir,
    pid: () => current?.child.pid ?? null,
    stopping: () => {
      stopping = true;
      if (timer) clearTimeout(timer);
    },
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      await restarting; // a child being started right now is stopped by restart() itself
      await current?.stop();
    },
  };
}
