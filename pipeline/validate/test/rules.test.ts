/**
 * One test per DESIGN.md manifest rule, on text alone (validateManifestText): each asserts the
 * stable code, the field path and the line and column the problem points at.
 */
import { describe, expect, it } from 'vitest';
import { validateManifestText } from '../manifest.ts';
import { scopeWords } from '../rules.ts';
import { VALID, codes, edit, only, pos, realCatalog } from './helpers.ts';

const catalog = realCatalog();
const FILE = 'connectors/acme/manifest.yaml';
const check = (text: string, folder = 'acme') => validateManifestText(text, FILE, catalog, folder);

/** The single error with this code, with its position. */
function theError(text: string, code: string, folder = 'acme') {
  const r = check(text, folder);
  const found = only(r.errors, code);
  expect(found, `errors were ${JSON.stringify(r.errors, null, 1)}`).toHaveLength(1);
  return found[0]!;
}

describe('manifest rules', () => {
  it('a valid manifest passes with defaults applied and a digest', () => {
    const r = check(VALID);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.connector?.slug).toBe('acme');
    expect(r.connector?.manifest?.kpis[1]?.aggregation).toBe('sum');
    expect(r.connector?.manifest?.secrets[0]?.optional).toBe(false);
    expect(r.connector?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an unknown field is an error at its key, with a did-you-mean', () => {
    const text = edit(VALID, '    optional: true\n', '    optinal: true\n');
    const p = theError(text, 'unknown_field');
    expect(p).toMatchObject({ path: 'secrets[1].optinal', ...pos(text, 'optinal:') });
    expect(p.message).toContain('Did you mean optional?');
  });

  it('an unknown top-level field suggests the nearest field', () => {
    const text = `${VALID}scops: []\n`;
    const p = theError(text, 'unknown_field');
    expect(p).toMatchObject({ path: 'scops', ...pos(text, 'scops:') });
    expect(p.message).toContain('Did you mean scopes?');
  });

  it('an enum value outside the list is an error at the value, with a suggestion', () => {
    const text = edit(VALID, 'auth_mode: byok', 'auth_mode: byk');
    const p = theError(text, 'invalid_value');
    expect(p).toMatchObject({ path: 'auth_mode', ...pos(text, 'auth_mode: byk', 'byk') });
    expect(p.message).toContain('Did you mean byok?');
  });

  it('a missing required field is an error naming the field', () => {
    const text = edit(VALID, 'display_name: Acme Shop\n', '');
    const p = theError(text, 'missing_field');
    expect(p.path).toBe('display_name');
    expect(p.line).toBeGreaterThan(0);
    expect(p.message).toContain('display_name');
  });

  it('schema_version other than 1 is refused', () => {
    const text = edit(VALID, 'schema_version: 1', 'schema_version: 2');
    expect(theError(text, 'invalid_value')).toMatchObject({ path: 'schema_version', ...pos(text, 'schema_version: 2', '2') });
  });

  it('a blank display_name is refused', () => {
    const text = edit(VALID, 'display_name: Acme Shop', 'display_name: "   "');
    expect(theError(text, 'blank_value')).toMatchObject({ path: 'display_name', ...pos(text, 'display_name:', '"') });
  });

  it('docs_url must be https', () => {
    const text = edit(VALID, 'https://acme.example/docs', 'http://acme.example/docs');
    expect(theError(text, 'invalid_url')).toMatchObject({ path: 'docs_url', ...pos(text, 'docs_url:', 'http:') });
  });

  it('a provider_slug that breaks the slug pattern is refused', () => {
    const text = edit(VALID, 'provider_slug: acme', 'provider_slug: Acme-Shop');
    expect(theError(text, 'invalid_format')).toMatchObject({ path: 'provider_slug', ...pos(text, 'provider_slug:', 'Acme') });
  });

  it('provider_slug must equal the folder name', () => {
    const text = VALID;
    const p = theError(text, 'slug_mismatch', 'acme_two');
    expect(p).toMatchObject({ path: 'provider_slug', ...pos(text, 'provider_slug: acme', 'acme') });
    expect(p.message).toContain('acme_two');
  });

  it('requires_firearm must be a real boolean: yes is refused', () => {
    const text = edit(VALID, '    requires_firearm: false\n', '    requires_firearm: yes\n');
    const p = theError(text, 'invalid_type');
    expect(p).toMatchObject({ path: 'scopes[0].requires_firearm', ...pos(text, 'requires_firearm: yes', 'yes') });
    expect(p.message).toContain('real boolean');
  });

  it('requires_firearm must be a real boolean: a quoted "true" is refused', () => {
    const text = edit(VALID, '    requires_firearm: true\n', '    requires_firearm: "true"\n');
    expect(theError(text, 'invalid_type')).toMatchObject({ path: 'scopes[1].requires_firearm', ...pos(text, 'requires_firearm: "true"', '"true"') });
  });

  it('auth_mode none takes no secrets', () => {
    const text = edit(VALID, 'auth_mode: byok', 'auth_mode: none');
    expect(theError(text, 'secrets_not_allowed')).toMatchObject({ path: 'secrets', ...pos(text, 'secrets:') });
  });

  it('any other auth_mode needs at least one secret', () => {
    const text = VALID.replace(/secrets:\n(?:  .*\n)+/, 'secrets: []\n');
    expect(theError(text, 'secrets_required')).toMatchObject({ path: 'secrets', ...pos(text, 'secrets: []') });
  });

  it('auth_mode none with no secrets is valid', () => {
    const text = edit(VALID.replace(/secrets:\n(?:  .*\n)+/, ''), 'auth_mode: byok', 'auth_mode: none');
    expect(check(text).errors).toEqual([]);
  });

  it('secret keys start with PROVIDER_<SLUG>_', () => {
    const text = edit(VALID, 'key: PROVIDER_ACME_WEBHOOK_SECRET', 'key: ACME_WEBHOOK_SECRET');
    const p = theError(text, 'secret_key_prefix');
    expect(p).toMatchObject({ path: 'secrets[1].key', ...pos(text, 'key: ACME_WEBHOOK', 'ACME_') });
    expect(p.message).toContain('PROVIDER_ACME_');
  });

  it('secret keys are unique', () => {
    const text = edit(VALID, 'key: PROVIDER_ACME_WEBHOOK_SECRET', 'key: PROVIDER_ACME_API_KEY');
    expect(theError(text, 'duplicate_secret_key')).toMatchObject({ path: 'secrets[1].key', line: pos(text, 'label: Webhook').line - 1, column: 10 });
  });

  it('an unknown firearm_type is an error with the nearest catalogue ids', () => {
    const text = edit(VALID, 'firearm_type: REFUND_ISSUE', 'firearm_type: REFUND');
    const p = theError(text, 'unknown_firearm_type');
    expect(p).toMatchObject({ path: 'scopes[1].firearm_type', ...pos(text, 'firearm_type: REFUND', 'REFUND') });
    expect(p.message).toContain('Did you mean REFUND_ISSUE?');
    expect(p.message).toContain('pipeline/catalog/firearm-types.yaml');
  });

  it('an unknown core KPI is an error with the nearest catalogue ids', () => {
    const text = edit(VALID, 'standard: gross_sales', 'standard: gross_sale');
    const p = theError(text, 'unknown_core_kpi');
    expect(p).toMatchObject({ path: 'kpis[0].standard', ...pos(text, 'standard: gross_sale', 'gross_sale') });
    expect(p.message).toContain('Did you mean gross_sales?');
  });

  it('firearm_type without requires_firearm true is an error at firearm_type', () => {
    const text = edit(VALID, '    requires_firearm: false\n', '    requires_firearm: false\n    firearm_type: CODE_DELETE\n');
    expect(theError(text, 'firearm_type_without_firearm')).toMatchObject({ path: 'scopes[0].firearm_type', ...pos(text, 'firearm_type: CODE_DELETE', 'firearm_type') });
  });

  it('requires_firearm true without firearm_type is an error at requires_firearm', () => {
    const text = edit(VALID, '    firearm_type: REFUND_ISSUE\n', '');
    expect(theError(text, 'firearm_type_missing')).toMatchObject({ path: 'scopes[1].firearm_type', ...pos(text, 'requires_firearm: true', 'true') });
  });

  it('a firearm scope marked access: read is an error at access, saying a firearm scope is always write', () => {
    const text = edit(VALID, '    firearm_type: REFUND_ISSUE\n', '    firearm_type: REFUND_ISSUE\n    access: read\n');
    const p = theError(text, 'firearm_scope_read_only');
    expect(p).toMatchObject({ path: 'scopes[1].access', ...pos(text, '    access: read', 'read') });
    expect(p.message).toContain('"refund_orders" requires a firearm');
    expect(p.message).toContain('always write');
  });

  it('access is optional, read or write; a firearm scope may say write', () => {
    const both = edit(
      edit(VALID, '    requires_firearm: false\n', '    requires_firearm: false\n    access: read\n'),
      '    firearm_type: REFUND_ISSUE\n',
      '    firearm_type: REFUND_ISSUE\n    access: write\n',
    );
    const r = check(both);
    expect(r.errors).toEqual([]);
    expect(r.connector?.manifest?.scopes.map((s) => s.access)).toEqual(['read', 'write']);
    expect(check(VALID).connector?.manifest?.scopes.map((s) => s.access)).toEqual([undefined, undefined]);
    const wrong = edit(VALID, '    requires_firearm: false\n', '    requires_firearm: false\n    access: readonly\n');
    expect(theError(wrong, 'invalid_value')).toMatchObject({ path: 'scopes[0].access', ...pos(wrong, 'access: readonly', 'readonly') });
  });

  it('scope names are unique within a connector', () => {
    const text = edit(VALID, 'name: refund_orders', 'name: read_orders');
    expect(theError(text, 'duplicate_scope')).toMatchObject({ path: 'scopes[1].name', line: pos(text, 'description: Refund orders').line - 1, column: 11 });
  });

  it('(raw, standard) KPI pairs are unique', () => {
    const text = edit(VALID, '  - raw: order_count\n    standard: orders\n', '  - raw: total_sales\n    standard: gross_sales\n');
    const second = text.split('\n').lastIndexOf('  - raw: total_sales') + 1;
    expect(theError(text, 'duplicate_kpi_mapping')).toMatchObject({ path: 'kpis[1]', line: second, column: 5 });
  });

  it('a value that is or begins with TODO is a placeholder error, and replaces other errors at that field', () => {
    const text = edit(edit(VALID, 'display_name: Acme Shop', 'display_name: TODO'), '    requires_firearm: false\n', '    requires_firearm: TODO true or false\n');
    const r = check(text);
    expect(codes(r.errors)).toEqual(['todo_placeholder', 'todo_placeholder']);
    expect(r.errors[0]).toMatchObject({ path: 'display_name', ...pos(text, 'display_name: TODO', 'TODO') });
    expect(r.errors[1]).toMatchObject({ path: 'scopes[0].requires_firearm', ...pos(text, 'requires_firearm: TODO', 'TODO') });
  });

  it('a secret key whose field part is TODO is a placeholder', () => {
    const text = edit(VALID, 'key: PROVIDER_ACME_WEBHOOK_SECRET', 'key: PROVIDER_ACME_TODO');
    expect(theError(text, 'todo_placeholder')).toMatchObject({ path: 'secrets[1].key', ...pos(text, 'PROVIDER_ACME_TODO') });
  });

  it('words merely starting with Todo are not placeholders', () => {
    expect(check(edit(VALID, 'display_name: Acme Shop', 'display_name: Todoist')).errors).toEqual([]);
  });

  it('warns about a destructive-looking scope without a firearm, and only warns', () => {
    const text = edit(VALID, 'name: read_orders', 'name: write_orders');
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'destructive_scope_without_firearm', path: 'scopes[0].name', ...pos(text, 'name: write_orders', 'write_orders') })]);
    expect(r.connector).toBeDefined();
  });

  it.each(['chat:write', 'https://www.googleapis.com/auth/youtube.upload', 'delete_repo', 'sendMessage', 'refunds.create', 'charge'])(
    'warns for the destructive-looking scope name %s',
    (name) => {
      const r = check(edit(VALID, 'name: read_orders', `name: ${name}`));
      expect(codes(r.warnings)).toEqual(['destructive_scope_without_firearm']);
    },
  );

  it.each(['read_orders', 'charge_read', 'https://www.googleapis.com/auth/youtube.readonly', 'read:org', 'posts.list'])(
    'does not warn for the read scope %s',
    (name) => {
      expect(check(edit(VALID, 'name: read_orders', `name: ${name}`)).warnings).toEqual([]);
    },
  );

  it('reports every problem, not just the first', () => {
    const text = edit(edit(edit(VALID, 'auth_mode: byok', 'auth_mode: byk'), 'firearm_type: REFUND_ISSUE', 'firearm_type: REFUND'), 'standard: orders', 'standard: order');
    expect(codes(check(text).errors)).toEqual(['invalid_value', 'unknown_firearm_type', 'unknown_core_kpi']);
  });

  it('with an empty (invalid) catalogue, catalogue ids are not looked up', () => {
    const r = validateManifestText(VALID, FILE, { firearmTypes: [], coreKpis: [] }, 'acme');
    expect(r.errors).toEqual([]);
  });
});

describe('scopeWords', () => {
  it('splits snake_case, camelCase, colon and URL scope names into lower-case words', () => {
    expect(scopeWords('write_orders')).toEqual(['write', 'orders']);
    expect(scopeWords('__read__orders_')).toEqual(['read', 'orders']);
    expect(scopeWords('chat:write')).toEqual(['chat', 'write']);
    expect(scopeWords('https://www.googleapis.com/auth/youtube.upload')).toEqual(['https', 'www', 'googleapis', 'com', 'auth', 'youtube', 'upload']);
    expect(scopeWords('sendMessage')).toEqual(['send', 'message']);
    expect(scopeWords('read2_v3')).toEqual(['read2', 'v3']);
    expect(scopeWords('')).toEqual([]);
  });
});
