/**
 * The bench's child process entry. Every measured operation runs in a fresh child so that it is
 * cold (as a CLI run is), so its peak RSS is its own, and so long-lived servers (a registry, the
 * site) do not share an event loop with the load generator.
 *
 * Protocol over the IPC channel: the parent sends {task, input}; the child answers
 * {type:'ready', value} (hosts only), then {type:'result', result, maxRssMb} or {type:'error', message}.
 * A host keeps running until the parent sends {type:'close'}.
 */
import { TASKS, type TaskContext } from './tasks.ts';

interface StartMessage {
  task: string;
  input: unknown;
}

const send = (message: unknown) =>
  new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

let closeRequested: () => void = () => undefined;
const untilClosed = new Promise<void>((resolve) => {
  closeRequested = resolve;
});

process.on('message', (message: StartMessage | { type: 'close' }) => {
  if ('type' in message && message.type === 'close') return closeRequested();
  void run(message as StartMessage);
});

async function run({ task, input }: StartMessage): Promise<void> {
  const context: TaskContext = { ready: (value) => void send({ type: 'ready', value }), untilClosed };
  try {
    const load = TASKS[task];
    if (!load) throw new Error(`unknown bench task "${task}"`);
    // Each task checks the shape of its own input; the parent built it from the same types.
    const fn = (await load()) as unknown as (input: unknown, context: TaskContext) => Promise<unknown>;
    const result = await fn(input, context);
    // maxRSS is in KiB: the peak of this whole process, which did nothing but this task.
    await send({ type: 'result', result, maxRssMb: process.resourceUsage().maxRSS / 1024 });
  } catch (err) {
    // The message goes to the report; the stack to stderr, which the parent shows if we die.
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    await send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  process.disconnect?.();
}
