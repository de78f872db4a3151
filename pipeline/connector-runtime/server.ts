/**
 * createConnectorServer: a connector's manifest, its handlers and its keys become an MCP server
 * with one tool per scope. Everything that can be wrong at start (manifest, handler names, an
 * approval that does not cover this folder, keys) is a result with a message, before any tool is
 * served; keys are read only once the registry says the folder is approved as it is.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Manifest } from '../schema/manifest.ts';
import { fail, type HandlerOutcome, type ScopeHandlers } from './handlers.ts';
import { runFirearmCall } from './firearm-call.ts';
import { licenceSettingsFromEnv } from './licence.ts';
import { createFirearmGate } from './licence-gate.ts';
import { readManifestFile } from './manifest-file.ts';
import { checkApprovalAtStart, connectorPage } from './approval-gate.ts';
import { DEFAULT_SITE_URL, keylessSecrets, loadManifestKeys, type SecretLoader, type VaultOptions } from './secrets.ts';
import { openRegistryLink } from './registry-link.ts';
import { attachAccessTokens, runtimeVaultSocket } from './oauth-wiring.ts';
import { AccessTokenError } from './oauth-tokens.ts';
import { ERROR_CODES, notImplemented, toCallToolResult } from './tool-results.ts';
import { toolSpecsFor, type ToolSpec } from './tool-specs.ts';
import { vaultReaderLoader } from './vault-reader.ts';

export interface ConnectorServerOptions {
  /** The connector's manifest.yaml (next to its server.ts). */
  manifestPath: string;
  /** One handler per scope name; a scope without one answers `not_implemented`. */
  handlers: ScopeHandlers;
  /** Where the vault reader looks; default VAULT_DIR, else ~/northstar-keys. */
  vault?: VaultOptions;
  /** Default: the vault reader's loadSecrets. */
  loadSecrets?: SecretLoader;
  /** Where operators set keys and decide licences; default CONNECTORS_SITE_URL, else http://127.0.0.1:4321. */
  siteUrl?: string;
  /** Default: one line to stderr. */
  log?: (line: string) => void;
  /** vault-agent, where an oauth connector stores a rotated refresh token. Default: VAULT_AGENT_SOCKET, else `<data dir>/run/vault-agent.sock`. */
  vaultSocket?: string;
}

export type StartupCode =
  | 'manifest_invalid'
  | 'handler_unknown_scope'
  | 'keys_missing'
  | 'vault_unreadable'
  /** The registry does not say `approved` at this folder's digest (draft, changed, retired, unknown, other bytes). */
  | 'not_approved'
  /** The registry could not be asked (unreachable, slow, failing): refused all the same. */
  | 'approval_unchecked'
  /** The folder is not connectors/<slug>/ of a repository, or does not validate. */
  | 'folder_invalid';

export type ConnectorServerResult =
  | {
      ok: true;
      server: McpServer;
      manifest: Manifest;
      tools: ToolSpec[];
      /** The text with every loaded key value replaced by [redacted]. */
      redact: (text: string) => string;
    }
  | { ok: false; code: StartupCode; message: string };

const stderrLine = (line: string) => void process.stderr.write(`${line}\n`);

export async function createConnectorServer(opts: ConnectorServerOptions): Promise<ConnectorServerResult> {
  const read = await readManifestFile(opts.manifestPath);
  if (!read.ok) return { ok: false, code: 'manifest_invalid', message: read.message };
  const manifest = read.manifest;

  const specs = toolSpecsFor(manifest);
  if (!specs.ok) return { ok: false, code: 'manifest_invalid', message: `${opts.manifestPath}: ${specs.message}` };

  const scopeNames = new Set(manifest.scopes.map((s) => s.name));
  const stray = Object.keys(opts.handlers).filter((name) => !scopeNames.has(name));
  if (stray.length > 0) {
    return {
      ok: false,
      code: 'handler_unknown_scope',
      message:
        `${manifest.provider_slug}: handlers for scopes the manifest does not declare: ${stray.join(', ')}. ` +
        `Scopes in manifest.yaml: ${[...scopeNames].join(', ')}. Rename the handler or add the scope.`,
    };
  }

  const siteUrl = opts.siteUrl ?? process.env.CONNECTORS_SITE_URL ?? DEFAULT_SITE_URL;
  // Keys only at the approved digest: the folder (manifest and code) must be what an operator
  // approved, checked in the registry before any key is read (approval-gate.ts).
  const approval = await checkApprovalAtStart({
    manifestPath: opts.manifestPath,
    slug: manifest.provider_slug,
    siteUrl,
    siteUrlChosen: opts.siteUrl !== undefined || Boolean(process.env.CONNECTORS_SITE_URL),
    env: process.env,
    log: (line) => (opts.log ?? stderrLine)(`${manifest.provider_slug}: ${line}`),
  });
  if (!approval.ok) return approval;
  const keys =
    approval.mode === 'keys'
      ? await loadManifestKeys(manifest, opts.loadSecrets ?? vaultReaderLoader, opts.vault ?? {}, siteUrl)
      : ({ ok: true, secrets: keylessSecrets(manifest, connectorPage(siteUrl, manifest.provider_slug)) } as const);
  if (!keys.ok) return keys;
  const secrets = keys.secrets;
  const log = (line: string) => (opts.log ?? stderrLine)(secrets.redact(`${manifest.provider_slug}: ${line}`));
  if (approval.mode === 'dev') (opts.log ?? stderrLine)(approval.line);

  const server = new McpServer(
    { name: manifest.provider_slug, title: manifest.display_name, version: '1.0.0' },
    {
      instructions:
        `${manifest.display_name} connector. One tool per provider scope (the real scope is in each tool's description ` +
        `and _meta). Tools marked read-only only read; any other tool may change data at the provider. Tools marked destructive are ` +
        `firearm scopes: they run only under a licence a human operator granted in the God Config, or an approval of ` +
        `that exact call; otherwise they answer firearm_licence_required with a request_id and an approve_url.`,
    },
  );

  // Firearm calls are decided in the registry (DATABASE_URL, else the running npm start of the
  // data dir), never by connector code: there is no checker to plug in.
  const licencing = licenceSettingsFromEnv(process.env, siteUrl, opts.siteUrl === undefined && !process.env.CONNECTORS_SITE_URL);
  for (const warning of licencing.warnings) log(`warning: ${warning}`);
  const link = openRegistryLink({ env: process.env, timeoutMs: licencing.settings.timeoutMs, log });
  const gate = createFirearmGate({ link, settings: licencing.settings, redact: (value) => secrets.redactDeep(value), log });
  // An oauth connector's ctx.secrets.accessToken() (oauth-tokens.ts); only with vault keys.
  const tokens =
    approval.mode === 'keys'
      ? attachAccessTokens({
          manifest,
          secrets,
          link,
          load: opts.loadSecrets ?? vaultReaderLoader,
          vault: opts.vault ?? {},
          vaultSocket: opts.vaultSocket ?? runtimeVaultSocket(process.env),
          page: connectorPage(siteUrl, manifest.provider_slug),
          log,
        })
      : null;
  const closed = server.server.onclose;
  server.server.onclose = () => {
    closed?.();
    void link.close();
    tokens?.close();
  };
  for (const spec of specs.specs) {
    const handler = Object.hasOwn(opts.handlers, spec.scope.name) ? opts.handlers[spec.scope.name] : undefined;
    if (!handler) log(`warning: scope ${spec.scope.name} has no handler; its tool ${spec.name} answers not_implemented`);

    server.registerTool(
      spec.name,
      {
        title: spec.title,
        description: spec.description,
        inputSchema: handler?.input ?? {},
        annotations: spec.annotations,
        _meta: spec.meta,
      },
      async (args, extra): Promise<CallToolResult> => {
        let outcome: HandlerOutcome;
        const firearmType = spec.scope.requires_firearm ? spec.scope.firearm_type : undefined;
        if (!handler) {
          outcome = notImplemented(spec);
        } else {
          const run = () => runHandler(() => handler.run(args, { secrets, manifest, scope: spec.scope, tool: spec.name, log, signal: extra.signal }));
          outcome = firearmType === undefined ? await run() : await runFirearmCall({ gate, server, manifest, spec, firearmType, args, extra, run });
        }
        if (!outcome.ok && outcome.code !== ERROR_CODES.firearmLicenceRequired && outcome.code !== ERROR_CODES.notImplemented) {
          log(`${spec.name} failed: ${outcome.code}`);
        }
        // The last line of defence: whatever a handler returned, no key value leaves the process.
        return secrets.redactDeep(toCallToolResult(outcome));
      },
    );
  }
  return { ok: true, server, manifest, tools: specs.specs, redact: (text) => secrets.redact(text) };
}

async function runHandler(run: () => Promise<HandlerOutcome>): Promise<HandlerOutcome> {
  try {
    const outcome = await run();
    if (outcome && typeof outcome === 'object' && typeof outcome.ok === 'boolean') return outcome;
    return fail(ERROR_CODES.handlerFailed, 'the handler returned no result; it must return ok(...) or fail(...)');
  } catch (err) {
    // A failed ctx.secrets.accessToken(): its own code (reconnect needed, ...) and a message naming the page.
    if (err instanceof AccessTokenError) return fail(err.code, err.message);
    return fail(ERROR_CODES.handlerFailed, err instanceof Error ? err.message : String(err));
  }
}
