/**
 * A realistic connector manifest (10 scopes, 5 KPI mappings, 2 keys) with the real catalogues'
 * ids: for the differential and digest tests that need many plausible manifests. Written by the
 * one manifest writer (pipeline/schema/manifest-yaml.ts), every field spelt out.
 */
import { manifestYaml } from '../schema/manifest-yaml.ts';

const VERBS = ['read', 'write'] as const;
const NOUNS = ['orders', 'products', 'customers', 'inventory', 'discounts'];
const KPIS = ['gross_sales', 'net_sales', 'orders', 'average_order_value', 'refunds'];

export function realisticManifest(slug: string): string {
  const upper = slug.toUpperCase();
  return manifestYaml({
    provider_slug: slug,
    display_name: `Generated ${slug}`,
    description: 'A generated connector used to measure the pipeline at scale.',
    auth_mode: 'oauth_and_byok',
    docs_url: `https://example.com/${slug}/docs`,
    secrets: [
      { key: `PROVIDER_${upper}_API_KEY`, label: 'API key', description: 'Settings > Apps > Develop apps > API credentials.' },
      { key: `PROVIDER_${upper}_WEBHOOK_SECRET`, label: 'Webhook signing secret', optional: true },
    ],
    scopes: NOUNS.flatMap((noun) =>
      VERBS.map((verb) => {
        const armed = verb === 'write';
        return {
          name: `${verb}_${noun}`,
          description: `${verb === 'read' ? 'Read' : 'Create, change and delete'} the store's ${noun} through the Admin API.`,
          requires_firearm: armed,
          ...(armed ? { firearm_type: noun === 'discounts' ? 'DISCOUNT_CREATE' : 'CODE_DELETE' } : {}),
        };
      }),
    ),
    kpis: KPIS.map((k, i) => ({ raw: `metric_${i}_${k}`, standard: k, aggregation: i === 3 ? 'avg' : 'sum' })),
  });
}
