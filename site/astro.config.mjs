// The God Config site: server-rendered Astro behind our own Node http server (site/server.ts),
// which owns the socket and enforces the security rules before a request reaches Astro.
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';

export default defineConfig({
  output: 'server',
  // 'middleware' mode exports a handler instead of starting a server, so site/server.ts decides
  // the bind address, Host allowlist, CSRF and headers.
  // Pages render to a whole response before sending: an error mid-render becomes a clean 500
  // instead of a truncated page with status 200, and the page goes out in one write.
  adapter: node({ mode: 'middleware', experimentalDisableStreaming: true }),
  // server.ts checks Origin itself (only when present, as DESIGN.md asks); Astro's own check
  // would refuse curl-style requests without an Origin header and compares against a guessed host.
  security: { checkOrigin: false },
  // Every stylesheet is a file under /_astro/, so the CSP needs no 'unsafe-inline'.
  build: { inlineStylesheets: 'never' },
  vite: { build: { assetsInlineLimit: 0 } },
  devToolbar: { enabled: false },
});
