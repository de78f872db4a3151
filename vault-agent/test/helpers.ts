/** Shared test fixtures: private temp dirs, an in-process agent with captured logs, raw requests. */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVaultAgent, type RunningVaultAgent, type StartOptions } from '../src/server.ts';

/** A fresh 0700 dir under os.tmpdir(), short enough for socket paths inside it. */
export async function privateTempDir(): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'va-'));
  await fs.chmod(d, 0o700);
  return d;
}

export function canary(): string {
  return `CANARY-${randomBytes(12).toString('hex')}`;
}

export interface TestAgent extends RunningVaultAgent {
  logs: string[];
  root: string;
}

/** Starts an agent in `root/vault` serving `root/run/a.sock`, collecting its log lines. */
export async function startTestAgent(root: string, extra: Partial<StartOptions> = {}): Promise<TestAgent> {
  const logs: string[] = [];
  const agent = await startVaultAgent({
    vaultDir: join(root, 'vault'),
    socketPath: join(root, 'run', 'a.sock'),
    log: (l) => logs.push(l),
    ...extra,
  });
  return Object.assign(agent, { logs, root });
}

export interface RawResponse {
  status: number;
  text: string;
  json: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request over the socket with full control of path, headers and body bytes. */
export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          /* asserted by callers */
        }
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** PUT a JSON body (as given, not re-encoded) with Content-Type application/json. */
export function putRaw(socketPath: string, name: string, body: string | Buffer, contentType = 'application/json'): Promise<RawResponse> {
  return rawRequest(socketPath, 'PUT', `/v1/secrets/${name}`, {
    headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
    body,
  });
}

/** Every entry in a dir with its mode and, for regular files, its content. */
export async function snapshotDir(dir: string): Promise<{ name: string; mode: number; kind: string; content?: string }[]> {
  const out = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const st = await fs.lstat(join(dir, name));
    const kind = st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : 'other';
    out.push({ name, mode: st.mode & 0o777, kind, content: kind === 'file' ? await fs.readFile(join(dir, name), 'utf8') : undefined });
  }
  return out;
}

/** The modes rule: vault dir 0700 and every file in it 0600; socket 0600 in a 0700 dir. */
export async function expectPrivateModes(agent: RunningVaultAgent): Promise<string[]> {
  const problems: string[] = [];
  const dirMode = (await fs.stat(agent.vaultDir)).mode & 0o777;
  if (dirMode !== 0o700) problems.push(`vault dir is ${dirMode.toString(8)}`);
  for (const e of await snapshotDir(agent.vaultDir)) {
    if (e.kind === 'file' && e.mode !== 0o600) problems.push(`${e.name} is ${e.mode.toString(8)}`);
  }
  const sock = (await fs.lstat(agent.socketPath)).mode & 0o777;
  if (sock !== 0o600) problems.push(`socket is ${sock.toString(8)}`);
  const sockDir = (await fs.stat(join(agent.socketPath, '..'))).mode & 0o777;
  if (sockDir !== 0o700) problems.push(`socket dir is ${sockDir.toString(8)}`);
  return problems;
}

export async function removeDir(d: string): Promise<void> {
  await fs.rm(d, { recursive: true, force: true });
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf<E = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected a rejection');
}
