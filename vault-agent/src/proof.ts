/**
 * Proof that the agent answering on a socket is the one a parent started. The parent makes a random
 * key and hands it to the child at spawn through an inherited pipe (never argv or a file); later it
 * asks `GET /v1/health?challenge=C` and accepts only `{"ok":true,"proof":HMAC-SHA256(key, C)}`.
 * Another user's process, a second factory's agent or a stale socket that still answers cannot
 * produce the proof, so `npm start` stops before it sends that process any key. A fresh random
 * challenge each time means a recorded answer is worth nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, readFileSync } from 'node:fs';

/** The environment variable naming the inherited descriptor the key is read from ("3"). */
export const PROOF_FD_ENV = 'VAULT_AGENT_PROOF_FD';

/** What a challenge looks like: 16 to 128 URL-safe characters (ours are 43: 32 random bytes, base64url). */
export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

const KEY_BYTES = 32;

export function newProofKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/** HMAC-SHA256 of the challenge under the key, hex. Bound to this route so it proves nothing elsewhere. */
export function proofFor(key: Buffer, challenge: string): string {
  return createHmac('sha256', key).update(`vault-agent health v1:${challenge}`).digest('hex');
}

/** True when `proof` is the key's proof for `challenge` (compared in constant time). */
export function proofMatches(key: Buffer, challenge: string, proof: unknown): boolean {
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(proofFor(key, challenge), 'hex'), Buffer.from(proof, 'hex'));
}

export type ProofKeyRead = { ok: true; key: Buffer | undefined } | { ok: false; message: string };

/**
 * The key the parent passed, if it named a descriptor in VAULT_AGENT_PROOF_FD: read to its end
 * (the parent writes the key as hex and closes its end), then closed, and the variable removed
 * so nothing this process starts inherits it. No variable: no key (started by hand).
 */
export function readProofKey(env: NodeJS.ProcessEnv = process.env): ProofKeyRead {
  const named = env[PROOF_FD_ENV];
  if (named === undefined || named === '') return { ok: true, key: undefined };
  delete env[PROOF_FD_ENV];
  const fd = Number(named);
  if (!Number.isInteger(fd) || fd < 3) return { ok: false, message: `${PROOF_FD_ENV} must name an inherited file descriptor (3 or more).` };
  let text: string;
  try {
    text = readFileSync(fd, 'utf8').trim();
  } catch (err) {
    return { ok: false, message: `Could not read the proof key from descriptor ${fd} (${(err as NodeJS.ErrnoException).code ?? 'error'}); it is set by npm start.` };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  if (!new RegExp(`^[0-9a-f]{${KEY_BYTES * 2}}$`).test(text)) {
    return { ok: false, message: `The proof key on descriptor ${fd} is not ${KEY_BYTES} bytes of hex; it is set by npm start.` };
  }
  return { ok: true, key: Buffer.from(text, 'hex') };
}
