/** Pure parsing of `npm run vault-agent -- [--vault-dir DIR] [--socket PATH]`. */

export const USAGE = `Usage: npm run vault-agent -- [--vault-dir DIR] [--socket PATH]

  --vault-dir DIR   where key files are written (default: VAULT_DIR or ~/northstar-keys)
  --socket PATH     the unix socket to serve on (default: VAULT_AGENT_SOCKET or a 0700 runtime dir)

Environment: VAULT_AGE_RECIPIENTS (comma/space separated age recipients) switches to SOPS mode.
VAULT_AGENT_PROOF_FD (set by npm start) names an inherited descriptor holding the key whose proof
GET /v1/health?challenge=C returns.`;

export type ParsedArgs =
  | { ok: true; help: boolean; vaultDir?: string; socketPath?: string }
  | { ok: false; message: string };

export function parseArgs(argv: string[]): ParsedArgs {
  const out: { vaultDir?: string; socketPath?: string; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--help' || flag === '-h') {
      out.help = true;
      continue;
    }
    if (flag === '--vault-dir' || flag === '--socket') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) return { ok: false, message: `${flag} needs a value.` };
      if (flag === '--vault-dir') out.vaultDir = v;
      else out.socketPath = v;
      continue;
    }
    return { ok: false, message: `Unknown argument: ${a}` };
  }
  return { ok: true, ...out };
}
