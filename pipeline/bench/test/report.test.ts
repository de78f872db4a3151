import { describe, expect, it } from 'vitest';
import { FIGURES, LARGE_TARGETS, TARGETS, targetsFor, formatJsonLine, formatTable, median, type BenchReport, type Figures } from '../report.ts';

const allNull = () => Object.fromEntries(FIGURES.map((f) => [f.key, null])) as Figures;
const report = (figures: Partial<Figures>, reasons: BenchReport['reasons'] = {}): BenchReport => ({
  connectors: 10_000,
  backend: 'embedded',
  runs: 3,
  seed: 1,
  machine: { cpus: 2, cpu_model: 'test cpu', memory_mb: 4096, node: 'v20.20.2', platform: 'linux' },
  figures: { ...allNull(), ...figures },
  reasons,
  samples: {},
  details: {},
});
const holds = (figure: string, figures: Partial<Figures>) =>
  TARGETS.find((t) => t.figure === figure)!.holds({ ...allNull(), ...figures });

describe('bench targets', () => {
  it('hold, miss, or are unknown when a figure they need is null', () => {
    expect(holds('validate_s', { validate_s: 2.9 })).toBe(true);
    expect(holds('validate_s', { validate_s: 3.1 })).toBe(false);
    expect(holds('validate_s', {})).toBeNull();
    expect(holds('sync_cold_s', { sync_cold_s: 3, sync_floor_s: 1 })).toBe(true);
    expect(holds('sync_cold_s', { sync_cold_s: 3.1, sync_floor_s: 1 })).toBe(false);
    expect(holds('sync_cold_s', { sync_cold_s: 3 })).toBeNull();
    expect(holds('row_by_row_s', { row_by_row_s: 20, sync_cold_s: 1 })).toBe(true);
    expect(holds('row_by_row_s', { row_by_row_s: 19, sync_cold_s: 1 })).toBe(false);
    expect(holds('site_list_p50_ms', { site_list_p50_ms: 30 })).toBe(false);
    expect(holds('site_detail_p50_ms', { site_detail_p50_ms: 14.9 })).toBe(true);
    expect(holds('site_rps', { site_rps: 300, site_static_rps: 1000 })).toBe(true);
    expect(holds('site_rps', { site_rps: 299, site_static_rps: 1000 })).toBe(false);
    expect(holds('vault_writes_per_s', { vault_writes_per_s: 50, vault_floor_writes_per_s: 100 })).toBe(true);
    expect(holds('vault_writes_per_s', { vault_writes_per_s: 49, vault_floor_writes_per_s: 100 })).toBe(false);
  });

  it('have one figure each that the bench measures', () => {
    const keys = new Set<string>(FIGURES.map((f) => f.key));
    for (const t of [...TARGETS, ...LARGE_TARGETS]) expect(keys.has(t.figure)).toBe(true);
    for (const list of [TARGETS, LARGE_TARGETS]) expect(new Set(list.map((t) => t.figure)).size).toBe(list.length);
  });

  it('at 100,000 connectors are the registry-at-scale ones: validate 10 s, cold sync 2 x floor, no-op 0.5 s, 1 GiB', () => {
    const large = (figure: string, figures: Partial<Figures>) =>
      targetsFor(100_000).find((t) => t.figure === figure)!.holds({ ...allNull(), ...figures });
    expect(large('validate_s', { validate_s: 9.9 })).toBe(true);
    expect(large('validate_s', { validate_s: 10.1 })).toBe(false);
    expect(large('sync_cold_s', { sync_cold_s: 2.5, sync_floor_s: 1 })).toBe(false);
    expect(large('sync_noop_s', { sync_noop_s: 0.6 })).toBe(false);
    expect(large('peak_rss_mb_sync', { peak_rss_mb_sync: 1100 })).toBe(false);
    expect(large('peak_rss_mb_validate', { peak_rss_mb_validate: 900 })).toBe(true);
    expect(large('start_ready_s', { start_ready_s: 9 })).toBe(true);
    expect(targetsFor(10_000)).toBe(TARGETS);
    const table = formatTable({ ...report({ validate_s: 9 }, {}), connectors: 100_000 });
    expect(table).toMatch(/validate, cold, all connectors\s+9\.000 s\s+≤ 10 s\s+yes/);
  });
});

describe('bench output', () => {
  it('ends with a JSON line holding every figure, a missing one as null with its reason', () => {
    const line = formatJsonLine(report({ validate_s: 1.5 }, { site_rps: 'site/server.ts not built yet' }));
    const json = JSON.parse(line) as Record<string, unknown>;
    for (const f of FIGURES) expect(json).toHaveProperty(f.key);
    expect(json.validate_s).toBe(1.5);
    expect(json.site_rps).toBeNull();
    expect(json.null_reasons).toEqual({ site_rps: 'site/server.ts not built yet' });
    expect(json.connectors).toBe(10_000);
    expect(json.machine).toMatchObject({ cpus: 2, node: 'v20.20.2' });
    expect(line).not.toContain('\n');
  });

  it('prints a table with each figure, its target and whether it holds', () => {
    const table = formatTable(report({ validate_s: 3.5, sync_noop_s: 0.2 }, { site_rps: 'site/server.ts not built yet' }));
    expect(table).toMatch(/validate, cold, all connectors\s+3\.500 s\s+≤ 3 s\s+NO/);
    expect(table).toMatch(/sync, nothing changed\s+0\.200 s\s+≤ 1 s\s+yes/);
    expect(table).toMatch(/site pages.*null.*n\/a: site\/server\.ts not built yet/);
    expect(table).toContain('2 × test cpu');
  });

  it('takes the median of the runs', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});
