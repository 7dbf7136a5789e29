/**
 * HIS JSON channel: POST /{servicePath}/api/medical/{serviceId} with the Bosssoft envelope. Always HTTP
 * 200 with a signed {data, noise, sign} (clients treat anything else as a transport failure), whatever
 * the Content-Type and whatever query string (cache busters such as `?random= `) is appended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerConfig } from '../../../src/config';
import { FlowError, hisError, RESULT } from '../../../src/engine/errors';
import type { InboundRequest, InboundResult, OriginalLookup } from '../../../src/engine/inbound';
import { checkReplayClaim, MESSAGE_ID_HEADER, REPLAY_HEADER } from '../replay-claim';
import { buildResponse, decodeData, Parsed, parseEnvelope, ResponseEnvelope, verifySign } from './envelope';

export interface JsonChannelDeps {
  servicePath: string;
  bodyLimitBytes: number;
  /** a service's own, smaller body limit (catalogue `limits.bodyBytes`), when it declares one */
  serviceBodyLimit?(serviceId: string): number | undefined;
  callers: Map<string, CallerConfig>;
  handle(req: InboundRequest): Promise<InboundResult>;
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
  if (!parsed.ok) return { req: { ...base, refusal: new FlowError('ValidationError', RESULT.badEnvelope, parsed.reason, 'envelope') } };
  const env = parsed.env;
  const caller = callers.get(env.appid);
  const withIds = { ...base, appid: env.appid, noise: env.noise };
  if (!caller) return { req: { ...withIds, refusal: new FlowError('ValidationError', RESULT.unknownApp, `appid ${env.appid} 不存在或未授权`, 'appid') } };
  if (!verifySign(env, caller.key))
    return { req: { ...withIds, refusal: new FlowError('ValidationError', RESULT.badSign, '签名验证失败：sign 应为 MD5("appid=…&data=…&noise=…&key=…&version=…") 的大写十六进制，data 取传输时的原值', 'sign') }, caller };
  if (env.version !== '1.0') return { req: { ...withIds, refusal: new FlowError('ValidationError', RESULT.badEnvelope, `版本号 version 应为 1.0，收到 ${env.version}`, 'version') }, caller };
  if (caller.replayProtection && noises && !noises.check(env.appid, env.noise))
    return { req: { ...withIds, refusal: new FlowError('ValidationError', RESULT.replayedNoise, `请求随机数 noise ${env.noise} 在 10 分钟内已使用过，请每次请求生成新的 noise`, 'noise') }, caller };
  const decoded = decodeData(env.data);
  if (!decoded.ok) return { req: { ...withIds, refusal: new FlowError('ValidationError', RESULT.badData, decoded.reason, 'data') }, caller };
  return { req: { ...withIds, input: decoded.value }, caller };
}

export function encodeResult(r: InboundResult, appid: string, caller?: CallerConfig): string {
  return JSON.stringify(resultEnvelope(r, appid, caller));
}

export function resultEnvelope(r: InboundResult, appid: string, caller?: CallerConfig): ResponseEnvelope {
  const message = r.error ? r.error.message : r.response ?? '成功';
  return buildResponse(appid, caller?.key, r.result, message);
}

/** How much of an oversize body the message store keeps. */
const OVERSIZE_HEAD_BYTES = 64 * 1024;

export function createJsonChannel(deps: JsonChannelDeps): { prefix: string; handler: (req: IncomingMessage, res: ServerResponse) => void } {
  const prefix = `/${deps.servicePath}/api/medical/`;
  const noises = new NoiseWindow();
  const send = (res: ServerResponse, body: string, msgId?: string) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    if (msgId) headers[MESSAGE_ID_HEADER] = msgId;
    res.writeHead(200, headers);
    res.end(body);
  };
  const answer = (res: ServerResponse, inbound: InboundRequest, caller: CallerConfig | undefined, replay: boolean) =>
    deps
      .handle(inbound)
      .then((r) => send(res, encodeResult(r, inbound.appid ?? '', caller), replay ? r.msgId : undefined))
      .catch(() => send(res, JSON.stringify(buildResponse(inbound.appid ?? '', caller?.key, RESULT.internal, '系统内部错误，请稍后重试'))));
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
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
    // The service is known from the URL before the body: its own limit applies while reading.
    const own = deps.serviceBodyLimit?.(serviceId);
    const limit = own !== undefined && own < deps.bodyLimitBytes ? own : deps.bodyLimitBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooBig) {
        // Refused like any bad input and, like any bad input, kept in the message store (docs/architecture.md#invariants):
        // a bounded head is enough to see who sent what; megabytes of it are not worth storing.
        const head = Buffer.concat(chunks).subarray(0, OVERSIZE_HEAD_BYTES).toString('utf8');
        const refusal =
          limit < deps.bodyLimitBytes ? hisError('E0003', 'tooLargeFor', { serviceId, limit, size }, 'body') : hisError('E0003', 'tooLarge', { limit }, 'body');
        const inbound: InboundRequest = { channel: 'his-json', serviceId, raw: `${head}…[已截断，原请求共 ${size} 字节]`, refusal };
        deps
          .handle(inbound)
          .then((r) => send(res, encodeResult(r, '', undefined)))
          .catch(() => send(res, JSON.stringify(buildResponse('', undefined, RESULT.badEnvelope, refusal.message))));
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const claimed = req.headers[REPLAY_HEADER];
      if (claimed === undefined) {
        const { req: inbound, caller } = toInbound(body, serviceId, deps.callers, noises);
        void answer(res, inbound, caller, false);
        return;
      }
      checkReplayClaim(claimed, 'his-json', body, deps.original, serviceId)
        .then((claim) => {
          // No noise window: a replay repeats its original's noise by design.
          const { req: inbound, caller } = toInbound(body, serviceId, deps.callers);
          if (claim.kind === 'ok') return answer(res, { ...inbound, replayOf: claim.id }, caller, true);
          return answer(res, { ...inbound, input: undefined, refusal: claim.refusal }, caller, true);
        })
        .catch(() => send(res, JSON.stringify(buildResponse('', undefined, RESULT.internal, '系统内部错误，请稍后重试'))));
    });
  };
  return { prefix, handler };
}
