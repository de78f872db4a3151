/**
 * The edge a connector's server.ts calls when run as a program: build the server, then serve it
 * over stdio. stdout belongs to the MCP protocol, so every human-readable line goes to stderr.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createConnectorServer, type ConnectorServerOptions } from './server.ts';

/**
 * Starts the connector on stdin/stdout. On a startup problem (invalid manifest, a required key
 * not set, ...) it writes the message to stderr, sets process.exitCode = 1 and serves nothing:
 * an MCP host shows that stderr line in its server log, and the operator sets the key and restarts.
 */
export async function runConnectorStdio(opts: ConnectorServerOptions): Promise<void> {
  // A stray console.log in a handler would corrupt the JSON-RPC stream on stdout.
  console.log = console.error;
  console.info = console.error;

  const built = await createConnectorServer(opts);
  if (!built.ok) {
    process.stderr.write(`${built.message}\n`);
    process.exitCode = 1;
    return;
  }
  redactStderr(built.redact);
  await built.server.connect(new StdioServerTransport());
  process.stderr.write(
    `${built.manifest.provider_slug}: serving ${built.tools.length} tool(s) over stdio: ${built.tools.map((t) => t.name).join(', ')}\n`,
  );
}

/** True when the module at `moduleUrl` is the program node (or tsx) was asked to run. */
export function isEntryPoint(moduleUrl: string): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Handlers and libraries may write to stderr directly; no key value gets through that way either. */
function redactStderr(redact: (text: string) => string): void {
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : null;
    return text === null ? write(chunk, ...rest) : write(redact(text), ...rest);
  }) as typeof process.stderr.write;
}
