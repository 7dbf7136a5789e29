/**
 * POST /{servicePath}/hl7: one HL7 v2 message as the body (ER7, or v2.xml / Mirth XML), its ACK as the
 * answer, always HTTP 200 (the ACK says accepted or not), in the encoding the message came in.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hisError } from '../../../src/engine/errors';
import type { Admission } from '../../../src/web/admission';
import { readBody } from '../body';
import { ackContentType, Hl7Channel } from './channel';

export function hl7HttpHandler(channel: Hl7Channel, o: { bodyLimitBytes: number; admission?: Admission }): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, status: number, type: string, body: string, retryAfter?: number) => {
    const headers: Record<string, string | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body) };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers);
    res.end(body);
  };
  return (req, res) => {
    const admitted = o.admission?.enter(req, res);
    if (admitted && !admitted.ok) {
      req.resume();
      send(res, 503, 'text/plain; charset=utf-8', admitted.error.message, admitted.retryAfter);
      return;
    }
    readBody(req, o.bodyLimitBytes)
      .then(async ({ body, size, sha256 }) => {
        if (sha256 !== undefined) return channel.refuse(body.toString('utf8'), hisError('E2701', 'tooLarge', { size, limit: o.bodyLimitBytes }, 'body'), 'http', { bytes: size, sha256 });
        return channel.processBytes(body, 'http', req.headers['content-type']);
      })
      .then((r) => send(res, 200, ackContentType(r.encoding), r.ack))
      .catch(() => res.destroy())
      .finally(() => admitted?.ok && admitted.leave());
  };
}
