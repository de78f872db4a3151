/**
 * The parent side of child.ts: run one task in a fresh Node process (with tsx), or start a
 * long-lived host and close it later. A child that dies or errors rejects with its message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'child.ts');
const REPO_ROOT = path.resolve(HERE, '../..');

export interface TaskOutcome<R> {
  result: R;
  /** Peak resident set size of the child, in MiB. */
  maxRssMb: number;
}

export interface Host<V, R = unknown> {
  value: V;
  /** The last lines the host printed (its log), to explain a failure. */
  output(): string;
  pid: number | undefined;
  close(): Promise<TaskOutcome<R>>;
}

type Message =
  | { type: 'ready'; value: unknown }
  | { type: 'result'; result: unknown; maxRssMb: number }
  | { type: 'error'; message: string };

function start(task: string, input: unknown, env?: NodeJS.ProcessEnv) {
  const child = fork(CHILD, [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // The last lines of what the child printed, each cut short (a crash inside minified code prints
  // whole bundles on one line), to explain a failure.
  let tail: string[] = [];
  const keep = (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter((l) => l.trim());
    tail = [...tail, ...lines.map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))].slice(-15);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (process.env.BENCH_DEBUG) {
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
  }
  child.send({ task, input });
  return { child, output: () => tail.join('\n') };
}

function outcome<R>(child: ChildProcess, task: string, output: () => string, onReady?: (value: unknown) => void) {
  return new Promise<TaskOutcome<R>>((resolve, reject) => {
    let settled = false;
    child.on('message', (m: Message) => {
      if (m.type === 'ready') onReady?.(m.value);
      else if (m.type === 'result') {
        settled = true;
        resolve({ result: m.result as R, maxRssMb: m.maxRssMb });
      } else if (m.type === 'error') {
        settled = true;
        reject(new Error(`bench task ${task} failed: ${m.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      const last = output().split('\n').slice(-3).join(' | ');
      reject(new Error(`bench task ${task} exited (${signal ?? `code ${code}`}) without a result${last ? `; its last output: ${last}` : ''}`));
    });
  });
}

/** Runs `task` to completion in a fresh child. */
export async function runTask<R>(task: string, input: unknown, env?: NodeJS.ProcessEnv): Promise<TaskOutcome<R>> {
  const { child, output } = start(task, input, env);
  try {
    return await outcome<R>(child, task, output);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

/** Starts a host task and resolves once it is ready; close() asks it to stop and waits for it. */
export async function startHost<V, R = unknown>(task: string, input: unknown, env?: NodeJS.ProcessEnv): Promise<Host<V, R>> {
  const { child, output } = start(task, input, env);
  let readyValue: (v: V) => void = () => undefined;
  const ready = new Promise<V>((resolve) => {
    readyValue = resolve;
  });
  const done = outcome<R>(child, task, output, (v) => readyValue(v as V));
  const value = await Promise.race([ready, done.then(() => Promise.reject(new Error(`bench host ${task} ended before it was ready`)))]);
  done.catch(() => undefined); // observed by close()
  return {
    value,
    output,
    pid: child.pid,
    close: async () => {
      if (child.connected) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
