/**
 * The sync's git commands run in their own process group: a Ctrl-C in the terminal goes to the
 * whole foreground group, and reaching git it would kill the command a running sync waits on (the
 * sync then reads every folder before npm start can stop). Checked on a real git: an alias that
 * prints its process group and the name of that group's leader.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGit } from '../git-folders.ts';

const repo = mkdtempSync(path.join(os.tmpdir(), 'cf-git-group-'));
execFileSync('git', ['init', '-q', repo]);
afterAll(() => rmSync(repo, { recursive: true, force: true }));

/** "<process group> <its leader's command name>", from a shell git starts for an alias. */
const PRINT_GROUP = ['-c', "alias.group=!g=$(cut -d' ' -f5 /proc/$$/stat); echo $g $(cat /proc/$g/comm)", 'group'];

describe('git as the sync runs it', () => {
  it('leads its own process group, apart from the process that runs the sync', async () => {
    const r = await runGit(PRINT_GROUP, repo);
    expect(r.code).toBe(0);
    const [group, leader] = r.stdout.toString('utf8').trim().split(' ');
    expect(leader).toBe('git');
    const ownGroup = /\) \S+ \d+ (\d+)/.exec(execFileSync('cat', ['/proc/self/stat'], { encoding: 'utf8' }))![1];
    // The cat above ran in this process's group; git did not.
    expect(group).not.toBe(ownGroup);
  });
});
