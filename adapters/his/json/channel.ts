/**
 * HIS JSON channel: POST /{servicePath}/api/medical/{serviceId} with the Bosssoft envelope. Always HTTP
 * 200 with a signed {data, noise, sign} (clients treat anything else as a transport failure), whatever
 * the Content-Type and whatever query string (cache busters such as `?random= `) is appended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerConfig } from '../../../src/config';
import { FlowError, hisError } from '../../../src/engine/errors';
import type { InboundRequest, InboundResult, OriginalLookup } from '../../../src/engine/inbound';
import type { Admission } from '../../../src/web/admission';
import { readBody } from '../body';
import { checkReplayClaim, MESSAGE_ID_HEADER, REPLAY_HEADER } from '../replay-claim';
import { buildResponse, decodeData, Parsed, parseEnvelope, ResponseEnvelope, verifySign } from './envelope';

export interface JsonChannelDeps {
  servicePath: string;
  bodyLimitBytes: number;
  /** a service's own, smaller body limit (catalogue `limits.bodyBytes`), when it declares one */
  serviceBodyLimit?(serviceId: string): number | undefined;
  callers: Map<string, CallerConfig>;
  handle(req: InboundRequest): Promise<InboundResult>;
  /** rate limits and max in-flight; absent = unlimited (tests of other things) */
  admission?: Admission;
  /** stored messages, for replays through this server (x-medbill-replay-of); without it replays are refused */
  original?: OriginalLookup;
}

/** Recently seen noises of appids that opted into replay protection (in-process, 10 minutes). */
export class NoiseWindow {
  private seen = new Map<string, number>();
  check(appid: string, noise: string): boolean {
    const now = Date.now();
    if (this.seen.size > 100_000) for (const [k, t] of this.seen) if (now - t > 600_000) this.seen.delete(k);
    const k = appid + '\u0000' + noise;
    const t = this.seen.get(k);
    if (t !== undefined && now - t < 600_000) return false;
    this.seen.set(k, now);
    return true;
  }
}

/** Turns a raw body into an inbound request: envelope checks become a stored refusal, not a crash. */
export function toInbound(body: string, serviceId: string, callers: Map<string, CallerConfig>, noises?: NoiseWindow, channel = 'his-json'): { req: InboundRequest; caller?: CallerConfig } {
  return envelopeToInbound(parseEnvelope(body), { channel, serviceId, raw: body }, callers, noises);
}

/** The envelope checks (appid, sign, version, noise, data) on an already-extracted envelope; shared with SOAP. */
export function envelopeToInbound(parsed: Parsed, base: InboundRequest, callers: Map<string, CallerConfig>, noises?: NoiseWindow): { req: InboundRequest; caller?: CallerConfig } {
  if (!parsed.ok) return { req: { ...base, refusal: parsed.error } };
  const env = parsed.env;
  const caller = callers.get(env.appid);
  const withIds = { ...base, appid: env.appid, noise: env.noise };
  if (!caller) return { req: { ...withIds, refusal: hisError('E0002', 'unknownApp', { appid: env.appid.slice(0, 64) }, 'appid') } };
  // A bad sign under a real appid proves nothing about the sender: it is as unauthenticated as an unknown appid.
  if (!verifySign(env, caller.key)) return { req: { ...withIds, refusal: hisError('E0001', 'md5', {}, 'sign') }, caller };
  const authed = { ...withIds, authenticated: true };
  if (env.version !== '1.0') return { req: { ...authed, refusal: hisError('E0003', 'version', { version: env.version.slice(0, 20) }, 'version') }, caller };
  if (caller.replayProtection && noises && !noises.check(env.appid, env.noise))
    return { req: { ...authed, refusal: hisError('E0006', 'noise', { noise: env.noise.slice(0, 128) }, 'noise') }, caller };
  const decoded = decodeData(env.data);
  if (!decoded.ok) return { req: { ...authed, refusal: decoded.error }, caller };
  return { req: { ...authed, input: decoded.value }, caller };
}

export function encodeResult(r: InboundResult, appid: string, caller?: CallerConfig): string {
  return JSON.stringify(resultEnvelope(r, appid, caller));
}

export function resultEnvelope(r: InboundResult, appid: string, caller?: CallerConfig): ResponseEnvelope {
  const message = r.error ? r.error.message : r.response ?? '成功';
  return buildResponse(appid, caller?.key, r.result, message);
}

export function createJsonChannel(deps: JsonChannelDeps): { prefix: string; handler: (req: IncomingMessage, res: ServerResponse) => void } {
  const prefix = `/${deps.servicePath}/api/medical/`;
  const noises = new NoiseWindow();
  const send = (res: ServerResponse, body: string, o: { retryAfter?: number; msgId?: string } = {}) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    if (o.retryAfter !== undefined) headers['retry-after'] = o.retryAfter;
    if (o.msgId) headers[MESSAGE_ID_HEADER] = o.msgId;
    res.writeHead(200, headers);
    res.end(body);
  };
  /** A refusal answered without storing (a limit): the envelope as usual, unsigned unless the caller is known. */
  const refuse = (res: ServerResponse, error: FlowError, retryAfter: number, appid = '', caller?: CallerConfig) =>
    send(res, JSON.stringify(buildResponse(appid, caller?.key, error.code, error.message)), { retryAfter });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const admitted = deps.admission?.enter(req, res);
    if (admitted && !admitted.ok) {
      // Answered before the body is read: the rest of it is discarded, not buffered.
      req.resume();
      refuse(res, admitted.error, admitted.retryAfter);
      return;
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const rawId = (q < 0 ? url : url.slice(0, q)).slice(prefix.length);
    let serviceId = rawId;
    try {
      serviceId = decodeURIComponent(rawId);
    } catch {
      // A malformed %-escape is just an unknown serviceId: refused and stored, never an uncaught URIError.
    }
    serviceId = serviceId.replace(/\/+$/, '');
    const leave = () => admitted?.ok && admitted.leave();
    const internal = (appid = '', caller?: CallerConfig) => send(res, JSON.stringify(buildResponse(appid, caller?.key, 'E9999', hisError('E9999', 'internal', {}).message)));
    const answer = (inbound: InboundRequest, caller?: CallerConfig, replay = false) =>
      deps
        .handle(inbound)
        .then((r) => send(res, encodeResult(r, inbound.appid ?? '', caller), { msgId: replay ? r.msgId : undefined }))
        .catch(() => internal(inbound.appid, caller))
        .finally(leave);
    /** Decoding never throws out of here: whatever the envelope reader throws is a stored refusal like any other. */
    const decode = (body: string, bytes: Buffer, window?: NoiseWindow): { req: InboundRequest; caller?: CallerConfig } => {
      let d: { req: InboundRequest; caller?: CallerConfig };
      try {
        d = toInbound(body, serviceId, deps.callers, window);
      } catch (e) {
        d = { req: { channel: 'his-json', serviceId, raw: body, refusal: hisError('E9999', 'internal', {}, 'envelope', e) } };
      }
      d.req.received = bytes;
      return d;
    };
    // The service is known from the URL before the body: its own limit applies while reading.
    const own = deps.serviceBodyLimit?.(serviceId);
    const limit = own !== undefined && own < deps.bodyLimitBytes ? own : deps.bodyLimitBytes;
    readBody(req, limit).then(
      ({ body: bytes, size, sha256 }) => {
        if (sha256 !== undefined) {
          // Refused like any bad input and, like any bad input, kept in the message store (docs/architecture.md#invariants):
          // a bounded head with the original's length and hash (the door cuts it, see storedRaw).
          const refusal =
            limit < deps.bodyLimitBytes ? hisError('E0003', 'tooLargeFor', { serviceId, limit, size }, 'body') : hisError('E0003', 'tooLarge', { size, limit }, 'body');
          void answer({ channel: 'his-json', serviceId, raw: bytes.toString('utf8'), refusal, received: { bytes: size, sha256 } });
          return;
        }
        const body = bytes.toString('utf8');
        const claimed = req.headers[REPLAY_HEADER];
        if (claimed !== undefined) {
          checkReplayClaim(claimed, 'his-json', body, deps.original, serviceId)
            .then((claim) => {
              // No noise window: a replay repeats its original's noise by design.
              const { req: inbound, caller } = decode(body, bytes);
              if (claim.kind === 'ok') return answer({ ...inbound, replayOf: claim.id }, caller, true);
              return answer({ ...inbound, input: undefined, refusal: claim.refusal }, caller, true);
            })
            .catch(() => {
              internal();
              leave();
            });
          return;
        }
        const { req: inbound, caller } = decode(body, bytes, noises);
        const limited = deps.admission && admitted?.ok && inbound.authenticated && inbound.appid ? deps.admission.appid(inbound.appid, admitted.client) : undefined;
        if (limited) {
          refuse(res, limited.error, limited.retryAfter, inbound.appid, caller);
          leave();
          return;
        }
        void answer(inbound, caller);
      },
      () => {
        res.destroy();
        leave();
      },
    );
  };
  return { prefix, handler };
}
