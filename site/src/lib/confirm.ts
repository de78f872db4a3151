/**
 * The confirmation step every action that asks the operator to confirm shares (DESIGN.md "Site
 * contract", Confirmations): approve or revoke the approval of a connector, replace a key that is
 * set, grant or revoke a licence, approve a request. Without `confirm=yes` (form) or
 * `"confirm": true` (JSON) in the POST, nothing is written: a form post gets the page
 * ConfirmStep.astro renders from a ConfirmView, saying in plain words what confirming does, and a
 * JSON post gets 400 `confirmation_required` with the same words in its message.
 */
import { z } from 'zod';
import { isJson, json } from './api.ts';
import type { ArgumentsText } from './licence-words.ts';

/** One list on the confirmation page: what the action covers, item by item. */
export interface ConfirmList {
  title: string;
  /** `name` is an identifier (shown as code), `detail` plain words about it. */
  items: { name: string; detail?: string }[];
  /** Said instead of the list when it has no item. */
  empty: string;
  /** A sentence under the list. */
  note?: string;
}

export interface ConfirmView {
  title: string;
  /** One sentence: what confirming does. */
  lead: string;
  facts: { term: string; detail: string }[];
  lists?: ConfirmList[];
  /** Sentences after the lists: what else to know (what is kept, what a running process does). */
  notes?: string[];
  arguments?: ArgumentsText;
  /**
   * A password field the operator fills on this page (replacing a key: the value is typed here,
   * after confirming, and never carried by the page itself).
   */
  secretInput?: { name: string; label: string; hint: string };
  /** The same route, posted again with confirm=yes and these fields. */
  action: string;
  fields: Record<string, string>;
  confirmLabel: string;
  cancelHref: string;
}

export type Outcome = { kind: 'response'; response: Response } | { kind: 'confirm'; view: ConfirmView };

export const respond = (response: Response): Outcome => ({ kind: 'response', response });

/** `confirm=yes` in a form, `"confirm": true` in JSON; anything else is not a confirmation. */
export const confirmField = z.union([z.boolean(), z.literal('yes')]).optional();

export const confirmed = (value: boolean | 'yes' | undefined) => value === true || value === 'yes';

/** The words of a view as one line: the JSON answer's message. */
export function confirmWords(view: ConfirmView): string {
  const facts = view.facts.map((f) => `${f.term}: ${f.detail}`);
  const lists = (view.lists ?? []).map((l) =>
    l.items.length ? `${l.title}: ${l.items.map((i) => (i.detail ? `${i.name} (${i.detail})` : i.name)).join(', ')}` : `${l.title}: ${l.empty}`,
  );
  const notes = (view.notes ?? []).map((n) => n.replace(/\.$/, ''));
  return `${view.lead} (${[...facts, ...lists, ...notes].join('; ')})`;
}

/** Asks to confirm: the page for a form post, 400 confirmation_required for JSON. `verb`: "grant it", "approve it"... */
export function needsConfirmation(request: Request, view: ConfirmView, verb: string): Outcome {
  if (!isJson(request)) return { kind: 'confirm', view };
  return respond(
    json(400, {
      ok: false,
      code: 'confirmation_required',
      message: `${confirmWords(view)}. Send the same request with "confirm": true to ${verb}.`,
    }),
  );
}

/** Only POST reaches an action; anything else is told so (these routes are .astro pages). */
export function postOnly(request: Request): Response | null {
  if (request.method === 'POST') return null;
  return new Response('Use POST (the forms on the site do).\n', {
    status: 405,
    headers: { Allow: 'POST', 'Content-Type': 'text/plain; charset=utf-8' },
  });
}
