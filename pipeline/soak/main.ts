/**
 * `npm run soak -- [--connectors N] [--minutes M] [--json]` (not part of npm test): runs a real
 * `npm start` on a copy of the repository with N synthetic connectors (default 2,000) and, for M
 * minutes (default 5), edits, adds and removes connectors the ways people do (rename-over saves,
 * in-place writes, new folders, deleted folders), sampling the factory's RSS. Then it waits for the
 * factory to settle and asks `plan` (through the factory's registry): it must report no changes,
 * and the RSS must not grow after the first minute. Exit 1 when either fails. Flags: SOAK in args.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog, DEFAULT_SEED } from '../bench/generate.ts';
import { AUTHORED, manifestYaml } from '../schema/manifest-yaml.ts';
import { seededRandom } from '../bench/random.ts';
import { syntheticManifest, syntheticSlug } from '../bench/synthetic.ts';
import { addSyntheticConnectors, copyRepo } from '../start/test/helpers.ts';
import { helpText, wantsHelp } from '../cli/command-line.ts';
import { exitCodeFor } from '../cli/errors.ts';
import { SOAK, parseSoakArgs } from './args.ts';

const say = (line: string) => process.stderr.write(`soak: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(SOAK));
    return 0;
  }
  const { connectors: CONNECTORS, minutes: MINUTES, json } = parseSoakArgs(argv);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-soak-'));
  chmodSync(tmp, 0o700);
  const work = path.join(tmp, 'repo');
  const dataDir = path.join(tmp, 'data');
  const loadBefore = os.loadavg();
  say(`copying the repository and generating ${CONNECTORS} connectors in ${tmp}`);
  copyRepo(work);
  await addSyntheticConnectors(work, CONNECTORS);
  const catalog = await loadCatalog(path.join(work, 'pipeline/catalog'));

  const env = { ...process.env, DATABASE_URL: '', VAULT_DIR: path.join(tmp, 'vault'), VAULT_AGENT_SOCKET: path.join(tmp, 'run', 'vault-agent.sock') };
  const factory = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--data-dir', dataDir], {
    cwd: work,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  factory.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  factory.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  while (!/God Config: http/.test(output)) {
    if (factory.exitCode !== null) throw new Error(`npm start exited during start-up:\n${output}`);
    await sleep(500);
  }
  const startupS = (Date.now() - started) / 1000;
  say(`npm start is up after ${startupS.toFixed(1)} s (first sync of ${CONNECTORS + 6} connectors)`);

  // The soak: one change every 0.5-1.5 s, of every kind, for MINUTES minutes.
  const live = new Set(Array.from({ length: CONNECTORS }, (_, i) => i));
  let nextIndex = CONNECTORS;
  let revision = 0;
  const counts = { edits_rename: 0, edits_in_place: 0, added: 0, removed: 0 };
  const samples: Array<{ t: number; rss: number }> = [];
  const soakStart = Date.now();
  const end = soakStart + MINUTES * 60_000;
  let nextSample = soakStart;
  const rng = seededRandom(20261202);
  const rand = (n: number) => rng.int(0, n - 1);
  const pick = () => [...live][rand(live.size)]!;
  const manifestOf = (i: number) => path.join(work, 'connectors', syntheticSlug(i), 'manifest.yaml');
  const edited = (i: number) => {
    const m = syntheticManifest(i, DEFAULT_SEED, catalog);
    m.scopes[0]!.description = `${m.scopes[0]!.description} (soak revision ${++revision})`;
    return manifestYaml(m, AUTHORED);
  };
  while (Date.now() < end) {
    const roll = rand(10);
    if (roll < 4) {
      const i = pick();
      const temp = path.join(tmp, `save-${revision}.tmp`);
      writeFileSync(temp, edited(i));
      renameSync(temp, manifestOf(i));
      counts.edits_rename++;
    } else if (roll < 7) {
      const i = pick();
      writeFileSync(manifestOf(i), edited(i)); // an editor that writes in place
      counts.edits_in_place++;
    } else if (roll < 9) {
      const i = nextIndex++;
      mkdirSync(path.dirname(manifestOf(i)), { recursive: true });
      writeFileSync(manifestOf(i), manifestYaml(syntheticManifest(i, DEFAULT_SEED, catalog), AUTHORED));
      live.add(i);
      counts.added++;
    } else if (live.size > 1) {
      const i = pick();
      rmSync(path.dirname(manifestOf(i)), { recursive: true, force: true });
      live.delete(i);
      counts.removed++;
    }
    if (Date.now() >= nextSample) {
      const rss = rssMiB(factory.pid!);
      if (rss !== null) samples.push({ t: (Date.now() - soakStart) / 1000, rss });
      nextSample += 5_000;
    }
    if (factory.exitCode !== null) throw new Error(`npm start exited during the soak:\n${output.slice(-4000)}`);
    await sleep(500 + rand(1000));
  }
  say(`changes made: ${JSON.stringify(counts)}; waiting for the factory to settle`);

  // Settled: plan (through npm start's registry) reports no changes.
  const settleStart = Date.now();
  let planOutput = '';
  let clean = false;
  while (Date.now() - settleStart < 180_000) {
    await sleep(3_000);
    const plan = spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/cli/main.ts', 'plan', '--data-dir', dataDir], { cwd: work, env, encoding: 'utf8' });
    planOutput = `${plan.stdout}${plan.stderr}`;
    if (plan.status === 0 && /^No changes\./m.test(plan.stdout)) {
      clean = true;
      break;
    }
  }
  const settleS = (Date.now() - settleStart) / 1000;
  const finalRss = rssMiB(factory.pid!);
  if (finalRss !== null) samples.push({ t: (Date.now() - soakStart) / 1000, rss: finalRss });

  factory.kill('SIGINT');
  await new Promise((r) => factory.once('exit', r));
  const stopped = output.includes('stopped.');
  const crashes = output.split('\n').filter((l) => /^\s+at .+[(:]\d+|Unhandled 'error' event/.test(l));
  const syncs = (output.match(/^sync: /gm) ?? []).length;

  const firstMinute = samples.filter((s) => s.t >= 50 && s.t <= 70).map((s) => s.rss);
  const lastMinute = samples.filter((s) => s.t >= MINUTES * 60 - 60).map((s) => s.rss);
  const rssAfter1 = median(firstMinute.length ? firstMinute : samples.slice(0, 3).map((s) => s.rss));
  const rssEnd = median(lastMinute);
  const growthPct = Math.round(((rssEnd - rssAfter1) / rssAfter1) * 1000) / 10;
  const figures = {
    connectors: CONNECTORS,
    minutes: MINUTES,
    startup_s: Math.round(startupS * 10) / 10,
    ...counts,
    factory_syncs: syncs,
    settle_s: Math.round(settleS * 10) / 10,
    plan_no_changes: clean,
    rss_after_1_min_mib: rssAfter1,
    rss_last_min_mib: rssEnd,
    rss_max_mib: Math.max(...samples.map((s) => s.rss)),
    rss_growth_after_1_min_pct: growthPct,
    stopped_cleanly: stopped,
    stack_traces: crashes.length,
    load_avg_before: loadBefore.map((x) => Math.round(x * 10) / 10),
    load_avg_after: os.loadavg().map((x) => Math.round(x * 10) / 10),
  };
  rmSync(tmp, { recursive: true, force: true });

  const ok = clean && growthPct <= 10 && stopped && crashes.length === 0;
  if (json) process.stdout.write(`${JSON.stringify({ ok, ...figures })}\n`);
  else {
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(30)} ${Array.isArray(v) ? v.join(' ') : String(v)}\n`);
    process.stdout.write(ok ? 'soak: passed\n' : `soak: FAILED${clean ? '' : `\nlast plan:\n${planOutput.slice(0, 4000)}`}\n`);
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
