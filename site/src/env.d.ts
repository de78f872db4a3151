/// <reference types="astro/client" />

declare namespace App {
  // What site/server.ts hands every page (see src/lib/ports.ts).
  type SiteLocals = import('./lib/ports.ts').SiteLocals;
  interface Locals extends SiteLocals {}
}
