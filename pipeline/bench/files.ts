/**
 * Reading a generated tree's manifests the plain way: the I/O part of both floors
 * (what validation and sync cannot avoid doing).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const READ_CONCURRENCY = 64;

/** Reads `connectors/<slug>/<fileName>` for every folder under root, `concurrency` at a time. */
export async function readManifests(root: string, fileName: string, each?: (text: string) => void): Promise<number> {
  const folders = (await readdir(path.join(root, 'connectors'), { withFileTypes: true })).filter((e) => e.isDirectory());
  let next = 0;
  let bytes = 0;
  const lane = async () => {
    while (next < folders.length) {
      const folder = folders[next++]!.name;
      const text = await readFile(path.join(root, 'connectors', folder, fileName), 'utf8');
      bytes += text.length;
      each?.(text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, folders.length) }, lane));
  return bytes;
}

export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
