/**
 * Dummy Service as an MCP server over stdio:
 *
 *   DUMMY_SERVICE_BASE_URL=http://127.0.0.1:PORT npx tsx connectors/dummy_service/server.ts
 *
 * Its key, PROVIDER_DUMMY_SERVICE_API_KEY, comes from the vault (VAULT_DIR, default ~/northstar-keys).
 */
import { fileURLToPath } from 'node:url';
import { isEntryPoint, runConnectorStdio, type ConnectorServerOptions } from '#connector-runtime';
import { createDummyServiceHandlers } from './handlers.ts';

export const manifestPath = fileURLToPath(new URL('./manifest.yaml', import.meta.url));

/** The base URL from the environment, checked, or a message saying what to set. */
export function baseUrlFromEnv(env: NodeJS.ProcessEnv): { ok: true; baseUrl: string } | { ok: false; message: string } {
  const raw = env.DUMMY_SERVICE_BASE_URL;
  const hint = 'Start the stand-in (npx tsx connectors/dummy_service/stand-in-api.ts) and set DUMMY_SERVICE_BASE_URL to the URL it prints.';
  if (!raw) return { ok: false, message: `dummy_service cannot start: DUMMY_SERVICE_BASE_URL is not set. ${hint}` };
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    return { ok: false, message: `dummy_service cannot start: DUMMY_SERVICE_BASE_URL "${raw}" is not an http(s) URL. ${hint}` };
  }
  return { ok: true, baseUrl: raw };
}

/** Everything but the host's own choices (licences, vault) to build this connector in-process. */
export function dummyServiceOptions(baseUrl: string): Pick<ConnectorServerOptions, 'manifestPath' | 'handlers'> {
  return { manifestPath, handlers: createDummyServiceHandlers({ baseUrl }) };
}

if (isEntryPoint(import.meta.url)) {
  const base = baseUrlFromEnv(process.env);
  if (!base.ok) {
    process.stderr.write(`${base.message}\n`);
    process.exitCode = 1;
  } else {
    await runConnectorStdio(dummyServiceOptions(base.baseUrl));
  }
}
