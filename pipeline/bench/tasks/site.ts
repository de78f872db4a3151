/**
 * A host running the God Config site on a free loopback port against a registry, in its own
 * process so the load generator in the parent never shares its event loop.
 */
import net from 'node:net';
import type { TaskContext } from '../tasks.ts';

export interface SiteInput {
  databaseUrl: string;
  vaultSocket: string;
}

/** `loginUrl` carries the site's login token to the parent over the IPC channel only (never a file or log). */
export async function siteHost(input: SiteInput, context: TaskContext): Promise<{ url: string }> {
  const { startSite, ensureSiteBuilt } = await import('../../../site/server.ts');
  // The site's log goes to stderr, which the parent keeps to explain a failed page.
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await ensureSiteBuilt({ log });
  const site = await startSite({
    host: '127.0.0.1',
    port: await freePort(),
    databaseUrl: input.databaseUrl,
    vaultSocket: input.vaultSocket,
    log,
  });
  try {
    context.ready({ url: site.url, loginUrl: site.loginUrl });
    await context.untilClosed;
  } finally {
    await site.close();
  }
  return { url: site.url };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
