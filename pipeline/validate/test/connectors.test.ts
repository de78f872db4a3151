/** The committed connectors and catalogues are the examples agents copy: they must validate clean. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateRepo } from '../repo.ts';
import { REPO_ROOT } from './helpers.ts';

describe('committed connectors', () => {
  it('every connector and both catalogues validate with no errors and no warnings', async () => {
    const r = await validateRepo({ repoRoot: REPO_ROOT });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const folders = readdirSync(path.join(REPO_ROOT, 'connectors')).filter((f) => !f.startsWith('.'));
    expect(r.connectors.map((c) => c.slug).sort()).toEqual(folders.sort());
  });

  it.each(['shopify', 'stripe', 'youtube', 'github'])('%s declares at least one firearm scope with a catalogue type', async (slug) => {
    const r = await validateRepo({ repoRoot: REPO_ROOT, paths: [`connectors/${slug}`] });
    const manifest = r.connectors[0]!.manifest!;
    const armed = manifest.scopes.filter((s) => s.requires_firearm);
    expect(armed.length).toBeGreaterThan(0);
    for (const s of armed) expect(r.catalog.firearmTypes.map((f) => f.id)).toContain(s.firearm_type);
    expect(manifest.kpis.length).toBeGreaterThan(0);
  });
});
