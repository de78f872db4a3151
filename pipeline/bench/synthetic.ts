/**
 * Synthetic but realistic manifests for the bench: each has 10 scopes (a third need a firearm,
 * with a type from the catalogue that fits the action), 5 KPI mappings to catalogue KPIs, 1-3 keys,
 * and descriptions of the length real providers write. Pure: connector i depends only on (seed, i).
 */
import type { Catalog, Manifest } from '../schema/manifest.ts';
import { mixSeed, seededRandom, type Random } from './random.ts';

const BRANDS = ['Acme', 'Nimbus', 'Bright', 'Cobalt', 'Harbor', 'Lumen', 'Orbit', 'Pioneer', 'Quartz', 'Summit',
  'Atlas', 'Beacon', 'Cedar', 'Delta', 'Ember', 'Falcon', 'Granite', 'Helix', 'Indigo', 'Juniper', 'Kestrel',
  'Lattice', 'Meridian', 'Nova', 'Onyx', 'Prairie', 'Radiant', 'Sierra', 'Tandem', 'Vertex', 'Willow', 'Zephyr'];
const KINDS = ['Commerce', 'Pay', 'Ads', 'Mail', 'CRM', 'Analytics', 'Shipping', 'Reviews', 'Social', 'Cloud',
  'Support', 'Billing', 'Inventory', 'Loyalty', 'Forms', 'Chat', 'Video', 'Deploy', 'Storage', 'Tickets'];
const RESOURCES = ['orders', 'products', 'customers', 'invoices', 'campaigns', 'contacts', 'messages', 'posts',
  'comments', 'files', 'reports', 'subscriptions', 'payouts', 'shipments', 'tickets', 'webhooks', 'segments',
  'reviews', 'videos', 'analytics', 'payments', 'locations', 'events', 'audiences', 'balances'];

/** Actions that can spend money, destroy data, speak for the business or deploy code, and their licence. */
const ARMED_ACTIONS: { verb: string; resource: string; type: string; what: string }[] = [
  { verb: 'refund', resource: 'payments', type: 'REFUND_ISSUE', what: 'Issue full or partial refunds on captured payments' },
  { verb: 'write', resource: 'prices', type: 'PRICING_UPDATE', what: 'Change list prices and compare-at prices of products' },
  { verb: 'create', resource: 'discounts', type: 'DISCOUNT_CREATE', what: 'Create discount codes and automatic discounts' },
  { verb: 'send', resource: 'campaigns', type: 'CRM_BROADCAST', what: 'Send email and SMS campaigns to whole audience segments' },
  { verb: 'publish', resource: 'posts', type: 'SOCIAL_PUBLISH', what: 'Publish posts, stories and videos on the business account' },
  { verb: 'reply', resource: 'messages', type: 'CLIENT_DM_REPLY', what: 'Reply to direct messages from customers' },
  { verb: 'write', resource: 'announcements', type: 'CLIENT_VOICE', what: 'Post announcements in the name of the business' },
  { verb: 'delete', resource: 'repositories', type: 'CODE_DELETE', what: 'Delete repositories, branches and release artifacts' },
  { verb: 'deploy', resource: 'releases', type: 'PROD_DEPLOY', what: 'Promote a build to the production environment' },
  { verb: 'export', resource: 'customers', type: 'DATA_EXPORT', what: 'Export customer records with contact details in bulk' },
  { verb: 'spend', resource: 'ad_budgets', type: 'AD_SPEND_EXECUTE', what: 'Raise daily budgets and launch paid campaigns' },
  { verb: 'order', resource: 'inventory', type: 'INVENTORY_ORDER', what: 'Place purchase orders with suppliers for stock' },
  { verb: 'call', resource: 'escalations', type: 'FOUNDER_HOTLINE', what: "Page the founder's phone for an urgent escalation" },
  { verb: 'delete', resource: 'records', type: 'GENERAL', what: 'Permanently delete records and their history' },
];
const CONSEQUENCES = [
  'The change takes effect immediately and cannot be undone from the API.',
  'The provider keeps an audit entry but offers no undo.',
  'Customers may see the result within minutes.',
  'Rate limited to 40 requests per minute per account.',
  'Available on paid plans only; the API answers 403 otherwise.',
];
const READ_DETAILS = [
  'including archived items and their custom fields',
  'with pagination of up to 250 items per page',
  'as they were at the time of the request; changes arrive through webhooks',
  'for every location and sales channel of the account',
  'including line items, taxes and fulfilment status',
];
const RAW_METRICS: Record<string, string[]> = {
  gross_sales: ['total_sales', 'gross_revenue', 'sales_amount'],
  net_sales: ['net_revenue', 'sales_after_returns', 'net_amount'],
  orders: ['order_count', 'transactions', 'checkouts_completed'],
  average_order_value: ['avg_order_value', 'basket_size', 'aov'],
  ad_spend: ['spend', 'cost', 'amount_spent'],
  profit_after_costs: ['contribution_margin', 'profit', 'net_profit'],
  mer: ['marketing_efficiency', 'blended_roas', 'mer_ratio'],
  growth: ['period_growth', 'revenue_growth', 'growth_rate'],
  discount_rate: ['discount_share', 'discounts_ratio', 'promo_rate'],
  returns_rate: ['return_ratio', 'refund_rate', 'returns_share'],
};
const AGGREGATIONS = ['sum', 'sum', 'sum', 'avg', 'last', 'max', 'min'] as const;
const SECRET_FIELDS: Record<string, { field: string; label: string; description: string; optional?: boolean }[]> = {
  byok: [
    { field: 'API_KEY', label: 'API key', description: 'Settings > Developers > API keys; create a restricted key with the scopes above.' },
    { field: 'ACCOUNT_ID', label: 'Account ID', description: 'Shown under Settings > Account, next to the account name.', optional: true },
  ],
  oauth: [
    { field: 'CLIENT_ID', label: 'OAuth client ID', description: 'From the app you registered in the developer console.' },
    { field: 'CLIENT_SECRET', label: 'OAuth client secret', description: 'Shown once when the app is created; rotate it there if lost.' },
    { field: 'WEBHOOK_SECRET', label: 'Webhook signing secret', description: 'Developer console > Webhooks > Signing secret.', optional: true },
  ],
  oauth_and_byok: [
    { field: 'CLIENT_ID', label: 'OAuth client ID', description: 'From the app you registered in the developer console.' },
    { field: 'CLIENT_SECRET', label: 'OAuth client secret', description: 'Shown once when the app is created.' },
    { field: 'API_KEY', label: 'Admin API key', description: 'Admin > Apps > Develop apps > API credentials.' },
  ],
};

export const SCOPES_PER_CONNECTOR = 10;
export const KPIS_PER_CONNECTOR = 5;

/** The slug of connector `index`: readable, unique, and stable for a given index. */
export function syntheticSlug(index: number): string {
  return `${BRANDS[index % BRANDS.length]}_${KINDS[Math.floor(index / BRANDS.length) % KINDS.length]}_${index}`.toLowerCase();
}

/** Manifest `index` of a generated tree, as the validator returns it (defaults applied). */
export function syntheticManifest(index: number, seed: number, catalog: Catalog): Manifest {
  const rng = seededRandom(mixSeed(seed, index));
  const slug = syntheticSlug(index);
  const [brand, kind] = [BRANDS[index % BRANDS.length], KINDS[Math.floor(index / BRANDS.length) % KINDS.length]];
  const authMode = rng.pick(['byok', 'byok', 'oauth', 'oauth_and_byok'] as const);
  const armedCount = index % 3 === 0 ? 4 : 3; // a third of the scopes on average
  return {
    schema_version: 1,
    provider_slug: slug,
    display_name: `${brand} ${kind} ${index}`,
    description: providerDescription(rng, `${brand} ${kind}`),
    auth_mode: authMode,
    docs_url: `https://developer.${`${brand}${kind}`.toLowerCase()}.com/docs/api/v${rng.int(1, 5)}`,
    secrets: secretsFor(rng, slug, authMode),
    scopes: scopesFor(rng, catalog, rng.pick(['snake', 'colon', 'url'] as const), `${brand}${kind}`.toLowerCase(), armedCount),
    kpis: kpisFor(rng, catalog),
  };
}

function providerDescription(rng: Random, name: string): string {
  const parts = [
    `${name} is a hosted platform that small brands use to run ${rng.pick(RESOURCES)} and ${rng.pick(RESOURCES)}.`,
    `This connector reads its ${rng.pick(RESOURCES)} and ${rng.pick(RESOURCES)} through the REST API (version ${rng.int(2019, 2026)}-${String(rng.int(1, 12)).padStart(2, '0')}) and maps the provider's metrics to our core KPIs.`,
    `Write actions are limited to what an operator licenses; every one of them is behind a firearm.`,
    `Rate limits are ${rng.int(2, 40)} requests per second per account, with bursts up to ${rng.int(40, 200)}.`,
  ];
  return parts.slice(0, rng.int(2, 4)).join(' ');
}

function scopesFor(rng: Random, catalog: Catalog, style: 'snake' | 'colon' | 'url', host: string, armedCount: number) {
  const firearmIds = new Set(catalog.firearmTypes.map((f) => f.id));
  const firearmList = catalog.firearmTypes.map((f) => f.id);
  const name = (verb: string, resource: string) =>
    style === 'snake' ? `${verb}_${resource}` : style === 'colon' ? `${resource}:${verb}` : `https://api.${host}.com/auth/${resource}.${verb}`;
  const reads = rng.sample(RESOURCES, SCOPES_PER_CONNECTOR - armedCount).map((resource) => ({
    name: name('read', resource),
    description: `Read ${resource.replace(/_/g, ' ')} ${rng.pick(READ_DETAILS)}.`,
    requires_firearm: false,
  }));
  const armed = rng.sample(ARMED_ACTIONS, armedCount).map((a) => ({
    name: name(a.verb, a.resource),
    description: `${a.what}. ${rng.pick(CONSEQUENCES)}`,
    requires_firearm: true,
    firearm_type: firearmIds.has(a.type) ? a.type : rng.pick(firearmList),
  }));
  // Interleave so armed scopes are not always last, as in real manifests.
  return [...reads, ...armed].sort(() => rng.next() - 0.5);
}

function kpisFor(rng: Random, catalog: Catalog) {
  const ids = catalog.coreKpis.map((k) => k.id);
  // Distinct KPIs while the catalogue has enough; past that, a numbered raw metric keeps the
  // (raw, standard) pair unique.
  const picked = rng.sample(ids, KPIS_PER_CONNECTOR);
  while (picked.length < KPIS_PER_CONNECTOR) picked.push(rng.pick(ids));
  return picked.map((standard, i) => ({
    raw: `${rng.pick(RAW_METRICS[standard] ?? [`${standard}_total`])}${i >= ids.length ? `_${i}` : ''}`,
    standard,
    aggregation: rng.pick(AGGREGATIONS),
  }));
}

function secretsFor(rng: Random, slug: string, authMode: 'byok' | 'oauth' | 'oauth_and_byok') {
  const fields = SECRET_FIELDS[authMode] ?? [];
  const count = authMode === 'oauth_and_byok' ? 3 : rng.int(authMode === 'oauth' ? 2 : 1, fields.length);
  return fields.slice(0, count).map((f) => ({
    key: `PROVIDER_${slug.toUpperCase()}_${f.field}`,
    label: f.label,
    description: f.description,
    optional: f.optional ?? false,
  }));
}
