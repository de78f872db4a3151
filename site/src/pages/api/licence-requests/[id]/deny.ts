/**
 * POST /api/licence-requests/{id}/deny: the waiting call is refused and the request's arguments
 * are dropped. No confirmation: denying allows nothing (site/src/lib/licence-actions.ts).
 */
import type { APIRoute } from 'astro';
import { denyRequestAction } from '../../../../lib/licence-actions.ts';

export const POST: APIRoute = ({ request, locals, params }) => denyRequestAction(request, locals, params.id);
