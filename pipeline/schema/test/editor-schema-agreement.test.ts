/**
 * The editor schema (_template/manifest.schema.json, what yaml-language-server and Ajv read) agrees
 * with the validator on a corpus of manifests: the six real connectors and single mutations of
 * them, valid and each invalid kind. Ajv and the validator parse the same YAML text; a case where
 * one accepts and the other refuses fails the test, unless the case is listed as out of JSON
 * Schema's reach (OUT_OF_REACH, with the reason). A listed case that stops disagreeing fails too,
 * so the list stays exact.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateManifestText } from '../../validate/manifest.ts';
import { REPO_ROOT, realCatalog } from '../../validate/test/helpers.ts';
import { JSON_SCHEMA_FILE } from '../generate-json-schema.ts';
import { cases, connectorFolders } from './corpus.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Cases the validator refuses and JSON Schema cannot: the reason each is out of reach. Everything
 * else must agree.
 */
const OUT_OF_REACH: Record<string, string> = {
  'provider_slug differs from the folder name': 'the folder name is not in the file',
  'a secret key prefix naming another slug': 'the prefix must equal this manifest\'s provider_slug in upper case; JSON Schema cannot compare two values (the schema checks the PROVIDER_<SLUG>_<FIELD> shape only)',
  'the same secret key twice': 'uniqueItems compares whole entries, not one field of them',
  'the same scope name twice': 'uniqueItems compares whole entries, not one field of them',
  'the same kpi mapping twice with another aggregation': 'uniqueItems compares whole entries, not the (raw, standard) pair',
  'oauth.client_id_key not declared under secrets': 'the key must be one of the values under secrets: JSON Schema cannot compare two values',
  'oauth.refresh_token_key the same as client_id_key': 'three fields must hold three different values: JSON Schema cannot compare two values',
  'docs_url with an invalid punycode label': 'whether an xn-- label is valid punycode needs a decoder, not a regular expression',
  'a duplicate YAML key': 'a YAML rule: an editor (and Ajv) sees only the last value',
  'an explicit YAML tag': 'a YAML rule: the tag is gone once the text is parsed',
  'a second YAML document': 'a YAML rule: editors check each document on its own',
  'a %YAML 1.1 directive': 'a YAML rule: the directive is not part of the parsed value',
};

const catalog = realCatalog();
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, JSON_SCHEMA_FILE), 'utf8'));
// strict: an unknown or misspelt keyword in the generated schema is an error, not ignored. Not
// strictRequired: the if/then rules require fields that the parent schema defines, as they should.
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true, strictRequired: false }));
// The editors' message keywords (VS Code's JSON service, yaml-language-server): annotations only.
for (const keyword of ['patternErrorMessage', 'errorMessage']) ajv.addKeyword({ keyword, schemaType: 'string' });
const ajvValidate = ajv.compile(schema);

interface Outcome {
  name: string;
  validator: string[];
  editor: string[];
}

/** What each side says about each case: the validator's codes and Ajv's errors ([] when valid). */
function outcomes(): Outcome[] {
  return cases.map((c) => {
    const result = validateManifestText(c.text, `connectors/${c.folder}/manifest.yaml`, catalog, c.folder);
    const value = parseAllDocuments(c.text, { version: '1.2', uniqueKeys: false })[0]?.toJS() ?? null;
    const ok = ajvValidate(value);
    const errors = ok ? [] : (ajvValidate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}`);
    return { name: c.name, validator: result.errors.map((p) => `${p.path} ${p.code}`), editor: errors };
  });
}

describe('the editor schema agrees with the validator', () => {
  const results = outcomes();

  it('on a corpus of at least 90 manifests, valid and each invalid kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(90);
    // The corpus is worth something only if it has both kinds, and the real connectors are valid.
    expect(results.filter((r) => r.validator.length === 0).length).toBeGreaterThanOrEqual(20);
    expect(results.filter((r) => r.validator.length > 0).length).toBeGreaterThanOrEqual(70);
    for (const folder of connectorFolders) expect(results.find((r) => r.name === `connectors/${folder} as committed`)?.validator).toEqual([]);
  });

  it('every case within JSON Schema\'s reach: both accept or both refuse', () => {
    const disagreements = results
      .filter((r) => !(r.name in OUT_OF_REACH))
      .filter((r) => (r.validator.length === 0) !== (r.editor.length === 0))
      .map((r) => ({ case: r.name, validator: r.validator.length ? r.validator : 'accepts', editor: r.editor.length ? r.editor : 'accepts' }));
    expect(disagreements).toEqual([]);
  });

  it('every case listed as out of reach is one the validator refuses and the schema accepts', () => {
    for (const name of Object.keys(OUT_OF_REACH)) {
      const r = results.find((x) => x.name === name);
      expect(r, `OUT_OF_REACH names a case that is not in the corpus: ${name}`).toBeDefined();
      expect({ name, validator: r!.validator.length > 0, editor: r!.editor }).toEqual({ name, validator: true, editor: [] });
    }
  });

  it('where both refuse, the editor flags the field the validator names (or the mapping holding it)', () => {
    const misplaced: { case: string; validator: string; editor: string[] }[] = [];
    for (const r of results) {
      if (!r.validator.length || !r.editor.length) continue;
      // Errors of the YAML text itself have no field path; the others must be seen by the editor at
      // the field or at one of its parents (a required field is missing from its parent mapping).
      const pointers = r.editor.map((e) => e.slice(0, e.indexOf(' ')));
      for (const v of r.validator) {
        const field = v.slice(0, v.indexOf(' '));
        if (!field) continue;
        const pointer = `/${field.replace(/\[(\d+)\]/g, '.$1').split('.').join('/')}`;
        if (!pointers.some((p) => p === '/' ? !field.includes('.') && !field.includes('[') : pointer === p || pointer.startsWith(`${p}/`))) {
          misplaced.push({ case: r.name, validator: v, editor: r.editor });
        }
      }
    }
    expect(misplaced).toEqual([]);
  });
});
