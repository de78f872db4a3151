/**
 * A small connector tree whose digests and source sha256 values are pinned in digest-identity.test.ts.
 * The values were computed by the validator as it was before digests became optional for
 * `validate` (commit aebce73): the registry stores digests, so a changed value would mark every
 * connector changed and void every approval. Do not edit this data; add new folders instead.
 */
import { realisticManifest } from '../generate-tree.ts';
import { manifestFor } from './fs-helpers.ts';

export const DIGEST_FIXTURE: Record<string, string | Uint8Array> = {
  // The bench's and the differential tests' manifest, alone in its folder: the manifest digest.
  'connectors/shop_a/manifest.yaml': realisticManifest('shop_a'),
  // The same with code beside it: the connector digest covers the files.
  'connectors/shop_b/manifest.yaml': realisticManifest('shop_b'),
  'connectors/shop_b/server.ts': "import { runConnectorStdio } from '#connector-runtime';\nexport const x = 1;\n",
  'connectors/shop_b/lib/handlers.ts': 'export const handlers = {};\n',
  'connectors/shop_b/README.md': '# shop_b\n',
  'connectors/shop_b/logo.bin': new Uint8Array([0, 1, 2, 255]),
  // Defaults applied (aggregation, optional), comments, quoted and non-ASCII strings.
  'connectors/acme/manifest.yaml': manifestFor('acme')
    .replace('description: A test shop.', 'description: "Café — a \\"quoted\\" shop: déjà vu" # a comment')
    .replace('label: API key', "label: 'API key (it''s secret)'"),
  // The full positional parser's path (a block scalar is left to it by the fast path).
  'connectors/blocky/manifest.yaml': manifestFor('blocky').replace('description: A test shop.', 'description: |\n  Two lines\n  of text.'),
};
