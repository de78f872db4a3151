/**
 * `npm run vault-agent -- [--vault-dir DIR] [--socket PATH]`, defined once (VAULT_AGENT) and parsed
 * by the CLI's parser (pipeline/cli/command-line.ts), as every entry point is: the closest flag for
 * a misspelt one, a flag without its value refused, the synopsis with every usage error, --help
 * listing each flag. Pure: no file, no environment.
 */
import { defineCommand, parseCommandLine } from '../../pipeline/cli/command-line.ts';

export const VAULT_AGENT = defineCommand({
  name: 'vault-agent',
  program: 'npm run vault-agent --',
  summary: 'The local, write-only secret daemon (DESIGN.md, "vault-agent contract"): keys are written through a unix socket, and no route, log line or error ever holds a value.',
  flags: {
    'vault-dir': { type: 'string', value: 'DIR', help: 'where key files are written (default: VAULT_DIR, else ~/northstar-keys)' },
    socket: { type: 'string', value: 'PATH', help: 'the unix socket to serve on (default: VAULT_AGENT_SOCKET, else one in a 0700 runtime dir)' },
  },
  noArgsHint: 'everything it takes is a flag.',
  notes:
    'Environment: VAULT_AGE_RECIPIENTS (comma/space separated age recipients) switches to SOPS mode.\nVAULT_AGENT_PROOF_FD (set by npm start) names an inherited descriptor holding the key whose proof\nGET /v1/health?challenge=C returns.',
  exitCodes: 'Exit codes: 0 after a clean stop (SIGINT, SIGTERM), 1 when it cannot start, 2 usage error.',
});

export interface VaultAgentArgs {
  vaultDir?: string;
  socketPath?: string;
}

/** The daemon's flags; a misspelt flag, an argument or a flag without its value is a UsageError (exit 2). */
export function parseVaultAgentArgs(argv: string[]): VaultAgentArgs {
  const { values } = parseCommandLine(VAULT_AGENT, argv);
  return { vaultDir: values['vault-dir'], socketPath: values.socket };
}
