import { chromium, type Browser } from 'playwright-core';
import { addKnownSessions } from './login.ts';

/** Debian's Chromium; no browser is ever downloaded here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, with everything that would reach the network switched off: this machine's closed
 * network refuses those connections, many at a time, and they slow every start.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Every new context (and so every `browser.newPage()`) starts with the sessions this test file
 * logged in with (helpers/login.ts; the fixture logs in), so a page opened on the fixture's site
 * is the operator's. `{ loggedIn: false }`: contexts start empty, as a stranger's browser.
 */
export async function launchChromium(options: { loggedIn?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  if (options.loggedIn === false) return browser;
  const newContext = browser.newContext.bind(browser);
  // Browser.newPage() makes its context through this.newContext(), so both are covered.
  browser.newContext = async (contextOptions) => {
    const context = await newContext(contextOptions);
    await addKnownSessions(context);
    return context;
  };
  return browser;
}
