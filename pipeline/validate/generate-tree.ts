/**
 * Writes a repository of N realistic connectors (10 scopes, 5 KPI mappings, 2 keys each) with the
 * real catalogues: for measuring the validator and the sentinel at scale (npm run bench, tests).
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from './repo.ts';

const VERBS = ['read', 'write'] as const;
const NOUNS = ['orders', 'products', 'customers', 'inventory', 'discounts'];
const KPIS = ['gross_sales', 'net_sales', 'orders', 'average_order_value', 'refunds'];

export function realisticManifest(slug: string): string {
  const upper = slug.toUpperCase();
  const scopes = NOUNS.flatMap((noun) =>
    VERBS.map((verb) => {
      const armed = verb === 'write';
      return [
        `  - name: ${verb}_${noun}`,
        `    description: ${verb === 'read' ? 'Read' : 'Create, change and delete'} the store's ${noun} through the Admin API.`,
        `    requires_firearm: ${armed}`,
        ...(armed ? [`    firearm_type: ${noun === 'discounts' ? 'DISCOUNT_CREATE' : 'CODE_DELETE'}`] : []),
      ].join('\n');
    }),
  );
  const kpis = KPIS.map((k, i) => `  - raw: metric_${i}_${k}\n    standard: ${k}\n    aggregation: ${i === 3 ? 'avg' : 'sum'}`);
  return `# yaml-language-server: $schema=../../_template/manifest.schema.json
schema_version: 1
provider_slug: ${slug}
display_name: Generated ${slug}
description: A generated connector used to measure the pipeline at scale.
auth_mode: oauth_and_byok
docs_url: https://example.com/${slug}/docs
secrets:
  - key: PROVIDER_${upper}_API_KEY
    label: API key
    description: Settings > Apps > Develop apps > API credentials.
  - key: PROVIDER_${upper}_WEBHOOK_SECRET
    label: Webhook signing secret
    optional: true
scopes:
${scopes.join('\n')}
kpis:
${kpis.join('\n')}
`;
}

/** Creates `root` with package.json, the catalogues from `catalogFrom`, and N connectors gen_00000... */
export async function writeManifestTree(root: string, count: number, catalogFrom: string): Promise<string[]> {
  await mkdir(path.join(root, 'connectors'), { recursive: true });
  await writeFile(path.join(root, 'package.json'), '{"name":"generated-connectors","private":true}\n');
  await cp(path.join(catalogFrom, 'pipeline/catalog'), path.join(root, 'pipeline/catalog'), { recursive: true });
  const slugs = Array.from({ length: count }, (_, i) => `gen_${String(i).padStart(5, '0')}`);
  await mapLimit(slugs, 64, async (slug) => {
    await mkdir(path.join(root, 'connectors', slug), { recursive: true });
    await writeFile(path.join(root, 'connectors', slug, 'manifest.yaml'), realisticManifest(slug));
  });
  return slugs;
}
