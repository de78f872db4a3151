/**
 * Serves the built client assets (site/dist/client: Astro's /_astro/ bundles and public/ files).
 * The file list is read once at start, so a request can only ever name a file that is there:
 * no path from the URL is joined onto the disk path.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface Asset {
  file: string;
  size: number;
  type: string;
  cache: string;
}

export type StaticHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean;

export async function createStaticHandler(clientDir: string): Promise<StaticHandler> {
  const assets = new Map<string, Asset>();
  for (const rel of await listFiles(clientDir)) {
    const type = TYPES[path.extname(rel).toLowerCase()];
    if (!type) continue; // only asset types; never HTML or source maps from the client dir
    const file = path.join(clientDir, rel);
    const urlPath = `/${rel.split(path.sep).join('/')}`;
    // Hashed bundle names never change content, so browsers may keep them; public files may.
    const cache = urlPath.startsWith('/_astro/') ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
    assets.set(urlPath, { file, size: (await stat(file)).size, type, cache });
  }
  return (req, res, pathname) => {
    const asset = assets.get(pathname);
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.size, 'Cache-Control': asset.cache });
    if (req.method === 'HEAD') {
      res.end();
    } else {
      createReadStream(asset.file)
        .on('error', () => res.destroy())
        .pipe(res);
    }
    return true;
  };
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files;
}
