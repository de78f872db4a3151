/**
 * `npm run vault-agent -- [--vault-dir DIR] [--socket PATH]`: reads flags and environment once,
 * starts the agent, prints where it listens, and stops cleanly on SIGINT/SIGTERM (removing the
 * socket). Exit codes: 0 after a clean stop, 1 when it cannot start, 2 for a usage error.
 */
import { helpText, wantsHelp } from '../../pipeline/cli/command-line.ts';
import { UsageError, exitCodeFor } from '../../pipeline/cli/errors.ts';
import { VAULT_AGENT, parseVaultAgentArgs } from './args.ts';
import { watchLifeline } from './lifeline.ts';
import { readProofKey } from './proof.ts';
import { startVaultAgent, VaultAgentStartError, type RunningVaultAgent } from './server.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(VAULT_AGENT));
    return;
  }
  const args = parseVaultAgentArgs(argv);
  // Started by npm start: the key that lets it prove it is the child npm start spawned (proof.ts).
  const proof = readProofKey();
  if (!proof.ok) {
    console.error(proof.message);
    process.exitCode = 1;
    return;
  }
  // Signal handlers come first: a SIGINT that lands while the agent is starting (after it printed
  // where it listens, say) must still close it and remove the socket, not kill it mid-way.
  let agent: RunningVaultAgent | undefined;
  let stopRequested: string | null = null;
  let lifelineOff = () => undefined as void;
  const stop = (signal: string, why = `${signal} received`) => {
    if (stopRequested) return;
    stopRequested = signal;
    lifelineOff();
    console.log(`vault-agent: ${why}, shutting down`);
    agent?.close().then(
      () => (process.exitCode = 0),
      () => (process.exitCode = 1),
    );
  };
  // `on`, not `once`: tsx's own signal relay re-raises the signal when it sees no other listener.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Spawned by npm start: stop when it is gone, never live on as an orphan holding the socket.
  lifelineOff = watchLifeline(() => stop('lifeline', 'its npm start is gone'));

  agent = await startVaultAgent({
    vaultDir: args.vaultDir,
    socketPath: args.socketPath,
    ageRecipients: process.env.VAULT_AGE_RECIPIENTS,
    proofKey: proof.key,
    log: (line) => console.log(line),
  });
  if (stopRequested) await agent.close();
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`vault-agent: ${err.message}`);
    process.exitCode = exitCodeFor(err);
    return;
  }
  console.error(err instanceof VaultAgentStartError ? err.message : `vault-agent failed: ${err instanceof Error ? err.name : String(err)}`);
  process.exitCode = 1;
});
