/** The approval rule and its words, as a pure function of the registry's answer and the folder's digest. */
import { describe, expect, it } from 'vitest';
import { changedFiles, judgeApproval, uncheckedApproval } from '../approval-decision.ts';

const PAGE = 'http://127.0.0.1:4321/connectors/shop';
const D = 'd'.repeat(64);
const A = 'a'.repeat(64);
const file = (path: string, c = '0') => ({ path, sha256: c.repeat(64) });
const local = { slug: 'shop', digest: D, files: [file('manifest.yaml'), file('server.ts', '1')] };
const provider = (status: string, manifest_digest: string, approved_digest: string | null) => ({ provider: { status, manifest_digest, approved_digest }, approvedFiles: [] });
const refusal = (v: ReturnType<typeof judgeApproval>) => (v.approved ? '' : v.message);

describe('keys only when the registry says approved at exactly this digest', () => {
  it('approved at this digest: keys', () => {
    expect(judgeApproval(local, provider('approved', D, D), PAGE)).toEqual({ approved: true });
  });

  it('every other answer refuses, naming the page and what to do', () => {
    const cases: [string, ReturnType<typeof provider> | { provider: null; approvedFiles: [] }, RegExp][] = [
      ['unknown', { provider: null, approvedFiles: [] }, /The registry has no connector "shop"\.\nSync it .*approve it on http:\/\/127\.0\.0\.1:4321\/connectors\/shop/],
      ['draft, synced', provider('draft', D, null), /"draft": nobody has approved it yet, or its approval was revoked\.\nReview it and approve it on /],
      ['draft, not synced as it is', provider('draft', A, null), /"draft".*\nSync it .*then review it/],
      ['changed', provider('changed', D, A), /"changed": approved at aaaaaaaaaaaa, changed since\.\nReview the changes and approve them on /],
      ['retired', provider('retired', D, A), /"retired".*\nSync it .*comes back as a draft/],
      ['approved, other bytes', provider('approved', A, A), /approved digest aaaaaaaaaaaa, not this folder\.\nSync it .*or restore the approved files/],
    ];
    for (const [name, registry, words] of cases) {
      const message = refusal(judgeApproval(local, registry, PAGE));
      expect(message, name).toMatch(/^shop cannot start with its keys: this folder \(digest dddddddddddd\) is not what an operator approved\.\n/);
      expect(message, name).toMatch(words);
      expect(message, name).toContain(PAGE);
      expect(message, name).toContain('CONNECTOR_DEV=1 runs it without any key');
    }
  });

  it('says which files changed since the approval, when the approval recorded them', () => {
    const registry = { ...provider('changed', D, A), approvedFiles: [file('manifest.yaml'), file('server.ts', '2'), file('old.ts')] };
    expect(refusal(judgeApproval({ ...local, files: [...local.files, file('new.ts')] }, registry, PAGE))).toContain(
      'approved at aaaaaaaaaaaa; since then: modified server.ts; added new.ts; removed old.ts.',
    );
  });

  it('an unreachable registry refuses too, with its reason', () => {
    expect(uncheckedApproval('shop', 'cannot reach the registry at DATABASE_URL: connect ECONNREFUSED', PAGE)).toBe(
      'shop cannot start with its keys: its approval could not be checked: cannot reach the registry at DATABASE_URL: connect ECONNREFUSED.\n' +
        `A connector gets its keys only when the registry confirms that an operator approved this exact folder (${PAGE}). ` +
        '(CONNECTOR_DEV=1 runs it without any key, against a stand-in.)',
    );
  });
});

describe('changedFiles', () => {
  it('lists at most 8 names, then how many more, and escapes control characters', () => {
    const approved = Array.from({ length: 10 }, (_, i) => file(`f${i}.ts`));
    const now = approved.map((f) => ({ ...f, sha256: '9'.repeat(64) }));
    expect(changedFiles(now, approved)).toBe('modified f0.ts, f1.ts, f2.ts, f3.ts, f4.ts, f5.ts, f6.ts, f7.ts and 2 more');
    expect(changedFiles([file('a\u001b[2K.ts')], [file('b.ts')])).toBe('added a\\x1b[2K.ts; removed b.ts');
    expect(changedFiles(now, [])).toBe('');
  });
});
