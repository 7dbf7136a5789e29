/**
 * A replay through a running server (`medbill replay`): the CLI POSTs a stored message again with
 * `x-medbill-replay-of: <its id>`. The channel accepts the claim only if that message exists, arrived
 * on this channel and the body is exactly its stored text; then it decodes the body as it was decoded
 * on arrival (its receive time for WS-Security freshness, no noise/nonce window) and links the new
 * message to it. Anything else claiming to be a replay is refused and stored like any refusal: the
 * header is never a way round freshness or noise checks for a body medbill has not already stored.
 */
import type { FlowError } from '../../src/engine/errors';
import { hisError } from '../../src/engine/errors';
import type { OriginalLookup } from '../../src/engine/inbound';

export const REPLAY_HEADER = 'x-medbill-replay-of';
/** Sent back on replays only: the id of the new message, so the CLI reads its outcome from the store. */
export const MESSAGE_ID_HEADER = 'x-medbill-message-id';

export type ReplayClaim = { kind: 'ok'; id: string; receivedAt: number } | { kind: 'refused'; refusal: FlowError };

const MESSAGE_ID = /^[0-9A-Z]{26}$/;

export async function checkReplayClaim(
  header: string | string[],
  channel: string,
  body: string,
  original: OriginalLookup | undefined,
  serviceId?: string,
): Promise<ReplayClaim> {
  const id = Array.isArray(header) ? header[0] : header;
  const refused: ReplayClaim = { kind: 'refused', refusal: hisError('E0003', 'replayMismatch', { id: String(id).slice(0, 40) }, REPLAY_HEADER) };
  if (!original || typeof id !== 'string' || !MESSAGE_ID.test(id)) return refused;
  const m = await original(id);
  if (!m || m.channel !== channel || m.raw !== body || (serviceId !== undefined && m.serviceId !== serviceId)) return refused;
  return { kind: 'ok', id, receivedAt: m.receivedAt };
}
