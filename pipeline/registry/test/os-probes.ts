/**
 * Looking at real processes from outside, as another user on the machine would: run a script as
 * `nobody`, and list which sockets a process holds and which of them listen.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface OtherUserRun {
  code: number;
  stdout: string;
  stderr: string;
}

const AS_NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** Writes `script` into a fresh 0755 temp dir, so `nobody` can read it. */
function scriptFile(script: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-attacker-'));
  chmodSync(dir, 0o755);
  const file = path.join(dir, 'attack.mjs');
  writeFileSync(file, script, { mode: 0o644 });
  return { dir, file };
}

/**
 * Runs a plain Node script as `nobody` (`setpriv --reuid=nobody --regid=nogroup --clear-groups
 * node script.mjs ARGS`) to its end. The script lives in its own 0755 temp dir so that user can
 * read it; it may use Node's built-in modules only.
 */
export function runAsNobody(script: string, args: string[] = []): Promise<OtherUserRun> {
  const { dir, file } = scriptFile(script);
  return new Promise((resolve) => {
    execFile('setpriv', [...AS_NOBODY, process.execPath, file, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts a plain Node script as `nobody` and leaves it running (a server, say); kill it when done. */
export function spawnAsNobody(script: string, args: string[] = []): ChildProcess {
  const { dir, file } = scriptFile(script);
  const child = spawn('setpriv', [...AS_NOBODY, process.execPath, file, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return child;
}

/** Inodes of the sockets process `pid` holds open (its /proc/PID/fd entries `socket:[N]`). */
export function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  return inodes;
}

/** Inodes of every TCP socket (IPv4 and IPv6) in LISTEN state on this machine, with its local address. */
export function listeningTcp(): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') out.set(cols[9]!, cols[1]!); // st 0A = LISTEN; column 10 is the inode
    }
  }
  return out;
}

/** Inodes of listening unix sockets bound to a path, with the path (/proc/net/unix). */
export function listeningUnix(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Flags 00010000 = __SO_ACCEPTCON (listening); column 7 the inode, column 8 the path.
    if (cols[3] === '00010000' && cols[7]) out.set(cols[6]!, cols[7]);
  }
  return out;
}
