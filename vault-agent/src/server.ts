/**
 * Programmatic start of the vault-agent, for `npm run vault-agent`, `npm start`, tests and the bench:
 * checks the vault dir and socket dir, cleans leftovers, opens the audit log and serves the HTTP
 * API on a 0600 unix socket. Start-up problems reject with VaultAgentStartError (a message meant
 * for the operator); nothing here calls process.exit.
 */
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { openAuditLog, type AuditLog } from './audit.ts';
import { holdDir } from './held-dir.ts';
import { createRequestHandler } from './http-handler.ts';
import { createBoundStore } from './oauth-bindings.ts';
import { createOAuthService } from './oauth-routes.ts';
import { defaultRuntimeDir, resolveSocketPath, resolveVaultDir } from './paths.ts';
import { openPrivateDir } from './safety.ts';
import { prepareSocketPath } from './socket-file.ts';
import { cleanVaultDir, createStore, type VaultStore } from './store.ts';
import type { AtomicWriteOptions } from './atomic-write.ts';
import { parseRecipients } from '../sops/age-keys.ts';

export { defaultRuntimeDir, defaultSocketPath, defaultVaultDir, resolveSocketPath, resolveVaultDir } from './paths.ts';

export class VaultAgentStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultAgentStartError';
  }
}

export interface StartOptions {
  /** Vault dir (default: VAULT_DIR or ~/northstar-keys). */
  vaultDir?: string;
  /** Socket path (default: VAULT_AGENT_SOCKET or <runtime dir>/vault-agent.sock). */
  socketPath?: string;
  /**
   * Age recipients (list, or a comma/space separated string): non-empty = SOPS mode. Default:
   * VAULT_AGE_RECIPIENTS; pass '' or [] to force plain mode whatever the environment says.
   */
  ageRecipients?: string[] | string;
  /** Receives one line per start, stop and request (never a value). Default: silent. */
  log?: (line: string) => void;
  /** Test seam: temp file names, to plant symlink/hardlink attacks at predictable names. */
  tempName?: AtomicWriteOptions['tempName'];
  /** The key its parent gave it (proof.ts): `GET /v1/health?challenge=C` answers with the proof. */
  proofKey?: Buffer;
}

export interface RunningVaultAgent {
  socketPath: string;
  vaultDir: string;
  mode: 'plain' | 'sops';
  auditLogPath: string;
  close(): Promise<void>;
}

export async function startVaultAgent(opts: StartOptions = {}): Promise<RunningVaultAgent> {
  const log = opts.log ?? (() => {});
  const vaultDir = resolveVaultDir(opts.vaultDir);
  const socketPath = resolveSocketPath(opts.socketPath);

  let recipients: string[] | undefined;
  const r = opts.ageRecipients ?? process.env.VAULT_AGE_RECIPIENTS;
  if (r !== undefined && (typeof r === 'string' ? r.trim() !== '' : r.length > 0)) {
    const parsed = parseRecipients(typeof r === 'string' ? r : r.join(','));
    if (!parsed.ok) throw new VaultAgentStartError(parsed.message);
    recipients = parsed.value;
  }

  const vault = await openPrivateDir(vaultDir, { what: 'vault dir', setWith: '--vault-dir or VAULT_DIR', create: true, tighten: true });
  if (!vault.ok) throw new VaultAgentStartError(vault.message);

  const cleanup: (() => Promise<unknown>)[] = [() => vault.handle.close()];
  const undo = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
  };
  try {
    const ownRuntimeDir = dirname(socketPath) === defaultRuntimeDir();
    const sockDir = await openPrivateDir(dirname(socketPath), {
      what: 'socket directory',
      setWith: '--socket or VAULT_AGENT_SOCKET',
      create: true,
      tighten: ownRuntimeDir,
      ownerOnly: true,
    });
    if (!sockDir.ok) throw new VaultAgentStartError(sockDir.message);
    await sockDir.handle.close();

    // From here on every file in the vault is named through the descriptor checked above.
    const held = await holdDir(vaultDir, vault.handle);
    const { removedTemps } = await cleanVaultDir(held);
    if (removedTemps > 0) log(`vault-agent: removed ${removedTemps} temp file(s) left by an interrupted write`);

    const audit = await openAuditLog(held);
    if (audit.repairedBytes > 0) log(`vault-agent: ${audit.path} ended in a torn line (${audit.repairedBytes} bytes, a write cut short); removed it and recorded the repair`);
    cleanup.push(() => audit.close());
    const store = createStore({ dir: held, recipients, tempName: opts.tempName });

    const prep = await prepareSocketPath(socketPath);
    if (!prep.ok) throw new VaultAgentStartError(prep.message);
    const bound = createBoundStore(store, held, { tempName: opts.tempName });
    const oauth = createOAuthService({ bound, dir: held });
    const server = createServer(createRequestHandler({ store, bound, oauth, audit, log, proofKey: opts.proofKey }));
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.on('clientError', (_err, socket: Socket) => {
      // Malformed HTTP still gets a JSON answer.
      const body = JSON.stringify({ ok: false, code: 'invalid_request', message: 'Malformed HTTP request.' });
      if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      else socket.destroy();
    });
    await listen(server, socketPath);
    await fs.chmod(socketPath, 0o600);
    const ino = (await fs.lstat(socketPath)).ino;
    log(`vault-agent listening on unix:${socketPath} (vault ${vaultDir}, ${store.mode} mode)`);
    return {
      socketPath,
      vaultDir,
      mode: store.mode,
      auditLogPath: audit.path,
      close: once(() => shutdown(server, store, audit, socketPath, ino, log)),
    };
  } catch (err) {
    await undo();
    if (err instanceof VaultAgentStartError) throw err;
    const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : String(err);
    throw new VaultAgentStartError(`The vault-agent could not start (${code}).`);
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function shutdown(server: Server, store: VaultStore, audit: AuditLog, socketPath: string, ino: number, log: (l: string) => void): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  await store.close(); // lets writes in flight finish
  server.closeAllConnections();
  await closed;
  await audit.close();
  // Remove the socket only if it is still ours (a new agent may have replaced a path we lost).
  const st = await fs.lstat(socketPath).catch(() => null);
  if (st && st.isSocket() && st.ino === ino) await fs.unlink(socketPath).catch(() => {});
  log('vault-agent stopped');
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
