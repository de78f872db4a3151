/**
 * The agent npm start spawns stops when npm start is gone, however it went (Ctrl-C, a crash,
 * `kill -9`): npm start gives it a pipe as stdin and never writes to it; the pipe ends when the
 * parent's end is closed, which the OS does when the parent dies. Started by hand, the agent's
 * stdin is the terminal and means nothing, so this is only on when the parent asks for it.
 */
export const LIFELINE_ENV = 'VAULT_AGENT_LIFELINE';

/** Calls `onGone` once when the parent's end of stdin closes, if the parent asked (LIFELINE_ENV=stdin). Returns the off switch. */
export function watchLifeline(onGone: () => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env[LIFELINE_ENV] !== 'stdin') return () => undefined;
  let done = false;
  const gone = () => {
    if (done) return;
    done = true;
    onGone();
  };
  process.stdin.on('end', gone);
  process.stdin.on('error', gone);
  process.stdin.resume(); // nothing ever arrives; reading is how the end is noticed
  return () => {
    done = true;
    process.stdin.destroy(); // lets the process exit once the agent has closed
  };
}
