/**
 * The operator's login: one login token per server run, and the sessions it opens. Both live in
 * this process's memory only: never written to a file, the database or a log. `npm start` prints
 * the token once, inside the login URL; whoever can read that terminal is the operator.
 *
 * A session is a random id in an HttpOnly, SameSite=Strict cookie (no `Secure`: the site is plain
 * http on loopback). The cookie's name carries the port because browsers do not keep cookies apart
 * by port: two factories on one machine would otherwise log each other out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session nobody used for this long is gone; the operator opens the login URL again. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most (each needs the token, so only the operator makes them); the least recently used goes first. */
export const MAX_SESSIONS = 64;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

export interface Sessions {
  /** 256 random bits, new for every server run. */
  readonly loginToken: string;
  readonly cookieName: string;
  /** Compares a token from a URL with ours in constant time. */
  tokenMatches(candidate: string): boolean;
  /** A new session; answers its id (the cookie value). */
  open(): string;
  /** The live session the Cookie header names (and marks it used), or why there is none. */
  find(cookieHeader: string | undefined): { ok: true; id: string } | { ok: false; reason: 'no_cookie' | 'ended' };
  end(id: string): void;
  /** Set-Cookie values that store and clear the session cookie. */
  cookie(id: string): string;
  clearCookie(): string;
}

export function createSessions(port: number, now: () => number = Date.now): Sessions {
  const loginToken = randomBytes(32).toString('base64url');
  const tokenDigest = sha256(loginToken);
  const cookieName = `god_config_session_${port}`;
  const lastUsed = new Map<string, number>(); // insertion order = least recently used first
  const attributes = 'Path=/; HttpOnly; SameSite=Strict';

  const live = (id: string): boolean => {
    const at = lastUsed.get(id);
    if (at === undefined) return false;
    if (now() - at > SESSION_IDLE_MS) {
      lastUsed.delete(id);
      return false;
    }
    return true;
  };

  return {
    loginToken,
    cookieName,
    tokenMatches: (candidate) => timingSafeEqual(sha256(candidate), tokenDigest),
    open() {
      for (const id of lastUsed.keys()) live(id); // drop the idle ones
      while (lastUsed.size >= MAX_SESSIONS) lastUsed.delete(lastUsed.keys().next().value!);
      const id = randomBytes(32).toString('base64url');
      lastUsed.set(id, now());
      return id;
    },
    find(cookieHeader) {
      const value = readCookie(cookieHeader, cookieName);
      if (value === null) return { ok: false, reason: 'no_cookie' };
      if (!SESSION_ID.test(value) || !live(value)) return { ok: false, reason: 'ended' };
      lastUsed.delete(value);
      lastUsed.set(value, now());
      return { ok: true, id: value };
    },
    end: (id) => void lastUsed.delete(id),
    cookie: (id) => `${cookieName}=${id}; ${attributes}`,
    clearCookie: () => `${cookieName}=; ${attributes}; Max-Age=0`,
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The value of one cookie in a Cookie header, or null when it is not there. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
