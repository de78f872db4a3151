/**
 * The bench's figures, their targets, and the two ways it prints them: a table for people and one
 * JSON line for machines. Pure: no I/O here.
 */
export const FIGURES = [
  { key: 'validate_s', label: 'validate, cold, all connectors', unit: 's' },
  { key: 'validate_floor_s', label: '  floor: read files + JSON.parse', unit: 's' },
  { key: 'sync_cold_s', label: 'sync into an empty registry', unit: 's' },
  { key: 'sync_floor_s', label: '  floor: read files + one COPY', unit: 's' },
  { key: 'row_by_row_s', label: '  same sync, one INSERT per row', unit: 's' },
  { key: 'sync_noop_s', label: 'sync, nothing changed', unit: 's' },
  { key: 'sync_one_change_s', label: 'sync, one manifest changed', unit: 's' },
  { key: 'sync_noop_watched_s', label: 'npm start sync, a file saved unchanged', unit: 's' },
  { key: 'sync_one_change_watched_s', label: 'npm start sync, one manifest changed', unit: 's' },
  { key: 'site_list_p50_ms', label: 'site list page, p50', unit: 'ms' },
  { key: 'site_detail_p50_ms', label: 'site detail page, p50', unit: 'ms' },
  { key: 'site_list_uncached_p50_ms', label: 'site list, pages/sorts/filters, every one a miss, p50', unit: 'ms' },
  { key: 'site_search_uncached_p50_ms', label: 'site search, every one a miss, p50', unit: 'ms' },
  { key: 'site_detail_uncached_p50_ms', label: 'site detail, every one a miss, p50', unit: 'ms' },
  { key: 'site_rps', label: 'site pages, req/s (slower of list, detail)', unit: 'req/s' },
  { key: 'site_static_rps', label: '  static asset, req/s', unit: 'req/s' },
  { key: 'start_ready_s', label: 'npm start on this registry, until the list page answers', unit: 's' },
  { key: 'vault_writes_per_s', label: 'vault-agent, 50 clients, fsync', unit: 'writes/s' },
  { key: 'vault_floor_writes_per_s', label: '  floor: write+fsync+rename loop', unit: 'writes/s' },
  { key: 'licence_check_p50_ms', label: 'firearm call with a licence, added p50', unit: 'ms' },
  { key: 'peak_rss_mb_validate', label: 'peak RSS, validate process', unit: 'MiB' },
  { key: 'peak_rss_mb_sync', label: 'peak RSS, cold sync process', unit: 'MiB' },
] as const;

export type FigureKey = (typeof FIGURES)[number]['key'];
export type Figures = Record<FigureKey, number | null>;

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_mb: number;
  node: string;
  platform: string;
}

export interface BenchReport {
  connectors: number;
  backend: 'embedded' | 'postgres';
  runs: number;
  seed: number;
  machine: Machine;
  figures: Figures;
  /** Why a figure is null: the part is not built yet, or it failed (its message). */
  reasons: Partial<Record<FigureKey, string>>;
  /** Every run's value, of which the figure is the median. */
  samples: Partial<Record<FigureKey, number[]>>;
  /** Supporting numbers that are not figures (rows written, per-page rps, where the time goes, ...). */
  details: Record<string, unknown>;
}

export interface Target {
  figure: FigureKey;
  text: string;
  /** null when a figure it needs is missing. */
  holds(f: Figures): boolean | null;
}

const need = (...values: (number | null)[]) => values.every((v) => v !== null);

/** From this many connectors on, the registry-at-scale targets apply (LARGE_TARGETS). */
export const LARGE_REGISTRY = 50_000;

/** The targets at the default 10,000 connectors. */
export const TARGETS: Target[] = [
  { figure: 'validate_s', text: '≤ 3 s', holds: (f) => (need(f.validate_s) ? f.validate_s! <= 3 : null) },
  {
    figure: 'sync_cold_s',
    text: '≤ 3 × sync_floor_s',
    holds: (f) => (need(f.sync_cold_s, f.sync_floor_s) ? f.sync_cold_s! <= 3 * f.sync_floor_s! : null),
  },
  {
    figure: 'row_by_row_s',
    text: '≥ 20 × sync_cold_s',
    holds: (f) => (need(f.row_by_row_s, f.sync_cold_s) ? f.row_by_row_s! >= 20 * f.sync_cold_s! : null),
  },
  { figure: 'sync_noop_s', text: '≤ 1 s', holds: (f) => (need(f.sync_noop_s) ? f.sync_noop_s! <= 1 : null) },
  { figure: 'sync_one_change_s', text: '≤ 0.5 s', holds: (f) => (need(f.sync_one_change_s) ? f.sync_one_change_s! <= 0.5 : null) },
  { figure: 'sync_noop_watched_s', text: '≤ 0.5 s', holds: (f) => (need(f.sync_noop_watched_s) ? f.sync_noop_watched_s! <= 0.5 : null) },
  {
    figure: 'sync_one_change_watched_s',
    text: '≤ 0.5 s',
    holds: (f) => (need(f.sync_one_change_watched_s) ? f.sync_one_change_watched_s! <= 0.5 : null),
  },
  { figure: 'site_list_p50_ms', text: '< 30 ms', holds: (f) => (need(f.site_list_p50_ms) ? f.site_list_p50_ms! < 30 : null) },
  { figure: 'site_detail_p50_ms', text: '< 15 ms', holds: (f) => (need(f.site_detail_p50_ms) ? f.site_detail_p50_ms! < 15 : null) },
  {
    figure: 'site_list_uncached_p50_ms',
    text: '< 30 ms',
    holds: (f) => (need(f.site_list_uncached_p50_ms) ? f.site_list_uncached_p50_ms! < 30 : null),
  },
  {
    figure: 'site_search_uncached_p50_ms',
    text: '< 50 ms',
    holds: (f) => (need(f.site_search_uncached_p50_ms) ? f.site_search_uncached_p50_ms! < 50 : null),
  },
  {
    figure: 'site_detail_uncached_p50_ms',
    text: '< 15 ms',
    holds: (f) => (need(f.site_detail_uncached_p50_ms) ? f.site_detail_uncached_p50_ms! < 15 : null),
  },
  {
    figure: 'site_rps',
    text: '≥ 0.3 × site_static_rps',
    holds: (f) => (need(f.site_rps, f.site_static_rps) ? f.site_rps! >= 0.3 * f.site_static_rps! : null),
  },
  { figure: 'start_ready_s', text: '≤ 10 s', holds: (f) => (need(f.start_ready_s) ? f.start_ready_s! <= 10 : null) },
  { figure: 'licence_check_p50_ms', text: '< 5 ms', holds: (f) => (need(f.licence_check_p50_ms) ? f.licence_check_p50_ms! < 5 : null) },
  {
    figure: 'vault_writes_per_s',
    text: '≥ 0.5 × vault_floor_writes_per_s',
    holds: (f) =>
      need(f.vault_writes_per_s, f.vault_floor_writes_per_s) ? f.vault_writes_per_s! >= 0.5 * f.vault_floor_writes_per_s! : null,
  },
];

/**
 * The targets for a registry of 100,000 (from LARGE_REGISTRY connectors on): validate ≤ 10 s, a
 * cold sync ≤ 2 × its floor, no-op and one-change syncs ≤ 0.5 s, and at most 1 GiB peak RSS for
 * validate and for the cold sync; the rest as at 10,000.
 */
export const LARGE_TARGETS: Target[] = [
  { figure: 'validate_s', text: '≤ 10 s', holds: (f) => (need(f.validate_s) ? f.validate_s! <= 10 : null) },
  {
    figure: 'sync_cold_s',
    text: '≤ 2 × sync_floor_s',
    holds: (f) => (need(f.sync_cold_s, f.sync_floor_s) ? f.sync_cold_s! <= 2 * f.sync_floor_s! : null),
  },
  { figure: 'sync_noop_s', text: '≤ 0.5 s', holds: (f) => (need(f.sync_noop_s) ? f.sync_noop_s! <= 0.5 : null) },
  { figure: 'peak_rss_mb_validate', text: '≤ 1024 MiB', holds: (f) => (need(f.peak_rss_mb_validate) ? f.peak_rss_mb_validate! <= 1024 : null) },
  { figure: 'peak_rss_mb_sync', text: '≤ 1024 MiB', holds: (f) => (need(f.peak_rss_mb_sync) ? f.peak_rss_mb_sync! <= 1024 : null) },
  ...TARGETS.filter((t) => !['validate_s', 'sync_cold_s', 'sync_noop_s'].includes(t.figure)),
];

/** The targets that apply to a bench of `connectors`. */
export function targetsFor(connectors: number): Target[] {
  return connectors >= LARGE_REGISTRY ? LARGE_TARGETS : TARGETS;
}

/** Ratios that explain the relative targets, e.g. sync_cold_s / sync_floor_s. */
export function ratios(f: Figures): Record<string, number | null> {
  const div = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round(a / b, 2) : null);
  return {
    sync_cold_over_floor: div(f.sync_cold_s, f.sync_floor_s),
    row_by_row_over_sync_cold: div(f.row_by_row_s, f.sync_cold_s),
    validate_over_floor: div(f.validate_s, f.validate_floor_s),
    site_over_static: div(f.site_rps, f.site_static_rps),
    vault_over_floor: div(f.vault_writes_per_s, f.vault_floor_writes_per_s),
  };
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'null';
  if (unit === 's') return `${value < 10 ? value.toFixed(3) : value.toFixed(1)} s`;
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
}

/** The table people read: figure, value, target, and whether it holds (or why it is missing). */
export function formatTable(report: BenchReport): string {
  const rows: string[][] = [['figure', 'value', 'target', 'holds']];
  for (const fig of FIGURES) {
    const target = targetsFor(report.connectors).find((t) => t.figure === fig.key);
    const holds = target?.holds(report.figures);
    const reason = report.reasons[fig.key];
    rows.push([
      fig.label,
      formatValue(report.figures[fig.key], fig.unit),
      target?.text ?? '',
      reason ? `n/a: ${reason}` : holds === undefined ? '' : holds === null ? 'n/a' : holds ? 'yes' : 'NO',
    ]);
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  ').trimEnd();
  const m = report.machine;
  const ratioText = Object.entries(ratios(report.figures))
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `Connector Factory bench: ${report.connectors.toLocaleString('en-US')} connectors, ${report.backend} registry, median of ${report.runs} run(s)`,
    `machine: ${m.cpus} × ${m.cpu_model}, ${Math.round(m.memory_mb / 1024)} GiB, Node ${m.node}, ${m.platform}`,
    '',
    line(rows[0]!),
    line(rows[0]!.map((_, c) => '-'.repeat(c < 3 ? widths[c]! : 5))),
    ...rows.slice(1).map(line),
    '',
    ratioText ? `ratios: ${ratioText}` : '',
  ]
    .filter((l, i, all) => !(l === '' && i === all.length - 1))
    .join('\n');
}

/** The one final JSON line: every figure at the top level (null when missing), then the context. */
export function formatJsonLine(report: BenchReport): string {
  return JSON.stringify({
    ...report.figures,
    connectors: report.connectors,
    backend: report.backend,
    runs: report.runs,
    seed: report.seed,
    machine: report.machine,
    targets: targetsFor(report.connectors).map((t) => ({ figure: t.figure, target: t.text, holds: t.holds(report.figures) })),
    ratios: ratios(report.figures),
    null_reasons: report.reasons,
    samples: report.samples,
    details: report.details,
  });
}
