/**
 * What a request without a login gets (401): a small page, or JSON for JSON requests, saying where
 * the login URL is. Built by the server itself (Astro pages need the registry, and nothing of the
 * registry is shown before login); styled by the built site stylesheet, which stays public.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export type LoginRefusal = 'login_required' | 'session_ended' | 'logged_out' | 'login_token_invalid';

const WHERE = 'the URL `npm start` printed in its terminal';
const RESTART = 'Restart npm start for a new one.';

/** One sentence per refusal: what happened, then what to do. */
export function loginMessage(reason: LoginRefusal, siteUrl: string): { title: string; message: string } {
  const example = `${siteUrl}/?token=…`;
  switch (reason) {
    case 'login_token_invalid':
      return {
        title: 'This login link is not valid',
        message: `The token in this link is not the current one (it may be from an earlier run of npm start, or cut short). Open ${WHERE} (${example}); its token is new at every start. ${RESTART}`,
      };
    case 'session_ended':
      return {
        title: 'Your session has ended',
        message: `npm start was restarted, you logged out, or the session was idle for 12 hours. Log in again with ${WHERE} (${example}). ${RESTART}`,
      };
    case 'logged_out':
      return { title: 'You are logged out', message: `To log in again, open ${WHERE} (${example}). ${RESTART}` };
    case 'login_required':
      return {
        title: 'Log in to God Config',
        message: `This site answers only its operator. Open ${WHERE} (${example}): it logs this browser in. ${RESTART}`,
      };
  }
}

/**
 * The 401 page. `bounce`: the request came by a link from another site, which does not carry a
 * SameSite=Strict cookie; the page loads itself once more from this origin (a same-origin request
 * that does carry it), so links from elsewhere (a PR comment, a provider's redirect) work for a
 * logged-in operator. The second load is same-origin and never bounces again.
 */
export function loginPage(args: { reason: LoginRefusal; siteUrl: string; stylesheets: string[]; bounce: boolean }): string {
  const { title, message } = loginMessage(args.reason, args.siteUrl);
  const paragraphs = message.split(/(?<=\.) /).map((s) => `<p>${formatText(s)}</p>`);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
${args.bounce ? '    <meta http-equiv="refresh" content="0" />\n' : ''}${args.stylesheets.map((href) => `    <link rel="stylesheet" href="${escapeHtml(href)}" />\n`).join('')}    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
    <title>${escapeHtml(title)} · God Config</title>
  </head>
  <body>
    <header class="top"><div class="top-inner"><span class="brand">God Config</span></div></header>
    <main id="main" class="page">
      <section class="card" data-testid="login-required" data-reason="${args.reason}">
        <h1>${escapeHtml(title)}</h1>
        ${paragraphs.join('\n        ')}
      </section>
    </main>
  </body>
</html>
`;
}

/** The built site's stylesheets (/_astro/*.css), so the 401 page looks like the site. */
export async function findStylesheets(clientDir: string): Promise<string[]> {
  const files = await readdir(path.join(clientDir, '_astro')).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.css')).map((f) => `/_astro/${f}`);
}

/** Escapes, and shows `code spans` as <code>. */
function formatText(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
