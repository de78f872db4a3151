// Worker thread entry for pool.ts. Plain JavaScript so that it starts under any runner (tsx, vitest,
// node): it loads the TypeScript validator through tsx's scoped importer.
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { checkChunkForWire } = await tsImport('./pool.ts', import.meta.url);
const { catalog, known, keep } = workerData;

parentPort.on('message', ({ chunk, repoRoot, folders }) => {
  const { reply, transfer } = checkChunkForWire(repoRoot, folders, catalog, { known, keep });
  parentPort.postMessage({ chunk, ...reply }, transfer);
});
