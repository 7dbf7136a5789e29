/**
 * HIS SOAP channel: GET …/ws/EBillService?wsdl serves the committed WSDL with its address
 * rewritten to the public URL; POST at the same URL takes SOAP 1.1 (text/xml) and SOAP 1.2
 * (application/soap+xml) and answers each in its own version. Every call, and every refusal that got as
 * far as a request body, goes through handleInbound (channel his-soap, the XML text as the raw message),
 * so SOAP shares the JSON channel's flows, message store, idempotency and metrics.
 *
 * Business errors (bad sign, unknown appid, invalid field, no stock…) are answered like JSON: a normal
 * response whose result is not S0000. SOAP Faults are for messages that are not a call at all:
 * malformed XML, a DOCTYPE, an unknown operation, an oversize or undecodable body.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type express from 'express';
import type { CallerConfig, Config } from '../../../src/config';
import type { Catalogue } from '../../../src/engine/catalogue';
import { FlowError, hisError } from '../../../src/engine/errors';
import { strictDecode } from '../strict-decode';
import type { InboundRequest, InboundResult, OriginalLookup } from '../../../src/engine/inbound';
import { log } from '../../../src/log';
import type { Admission } from '../../../src/web/admission';
import { OVERSIZE_HEAD_BYTES, readBody } from '../body';
import { envelopeToInbound, NoiseWindow, resultEnvelope } from '../json/channel';
import { checkReplayClaim, MESSAGE_ID_HEADER, REPLAY_HEADER } from '../replay-claim';
import { envelopeFromFields, verifySign } from '../json/envelope';
import { ADDRESS_PLACEHOLDER, ENVELOPE_REQUEST_FIELDS, SERVICE_NAME, SoapOperation, soapOperations, TNS } from './operations';
import { contentType, envelopeXml, FaultCode, faultXml, readEnvelope, SoapVersion, wrapperXml, XNode } from './soap-xml';
import { Business, businessToXml, xmlToBusiness } from './typed';
import { generateWsdl } from './wsdl-gen';
import { checkUsernameToken, NonceCheck } from './wssec';
import { xmlText } from './xml';

export const CHANNEL = 'his-soap';
export interface SoapChannelDeps {
  config: Pick<Config, 'projectRoot' | 'server'>;
  /** read on every call: a reload may swap it (the operations follow) */
  readonly catalogue: Catalogue;
  callers: Map<string, CallerConfig>;
  handle(req: InboundRequest): Promise<InboundResult>;
  /** rate limits and max in-flight; absent = unlimited */
  admission?: Admission;
  /** stored messages, for replays through this server (x-medbill-replay-of); without it replays are refused */
  original?: OriginalLookup;
}

export interface SoapReply {
  status: number;
  contentType: string;
  body: string;
  /** seconds, for a refusal by a limit */
  retryAfter?: number;
  /** the new message's id, on replays only (sent back as x-medbill-message-id) */
  msgId?: string;
}

export interface RequestMeta {
  contentType?: string;
  contentEncoding?: string;
  /** total bytes received; larger than the body when the body was cut at the limit */
  size?: number;
  /** SHA-256 (hex) of everything received, when the body was cut at the limit */
  sha256?: string;
  /** the client's limit key (admission), for the per-appid limit */
  client?: string;
  /** the x-medbill-replay-of header, when `medbill replay` re-sends a stored message */
  replayOf?: string | string[];
}

export interface DecodeOptions {
  callers: Map<string, CallerConfig>;
  /** opt-in noise replay protection of envelope operations (as on the JSON channel) */
  noises?: NoiseWindow;
  /** WS-Security nonce window of typed operations; undefined when replaying a stored message */
  nonces?: NonceCheck;
  /** clock for wsu:Created; a replay passes the original receive time */
  now?: number;
  /** bytes received and the operation's own body limit (catalogue `limits.bodyBytes`), checked once the operation is known */
  size?: number;
  serviceBodyLimit?(serviceId: string): number | undefined;
}

type Answer = { fault: FaultCode } | { op: SoapOperation; caller?: CallerConfig };

export interface Decoded {
  version: SoapVersion;
  req: InboundRequest;
  answer: Answer;
}

/** Bytes → text: BOM, then the XML declaration, then the Content-Type charset, then UTF-8. */
export function decodeBody(buf: Buffer, ct = ''): { ok: true; text: string } | { ok: false; error: FlowError } {
  let label = 'utf-8';
  let start = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  else if (buf[0] === 0xff && buf[1] === 0xfe) (label = 'utf-16le'), (start = 2);
  else if (buf[0] === 0xfe && buf[1] === 0xff) (label = 'utf-16be'), (start = 2);
  else {
    const decl = /^<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(buf.subarray(0, 200).toString('latin1'));
    const charset = /charset\s*=\s*"?([A-Za-z0-9._-]+)/i.exec(ct);
    label = (decl?.[1] ?? charset?.[1] ?? 'utf-8').toLowerCase();
  }
  return strictDecode(buf.subarray(start), label);
}

/**
 * A request body → the inbound request to store and run, and how to answer it. Pure (no I/O), so the
 * replay CLI can decode a stored SOAP message exactly as the live channel did.
 */
export function decodeSoap(text: string, hinted: SoapVersion, ops: Map<string, SoapOperation>, o: DecodeOptions): Decoded {
  const base = (serviceId: string): InboundRequest => ({ channel: CHANNEL, serviceId, raw: text });
  const fault = (version: SoapVersion, code: FaultCode, error: FlowError, serviceId = '-'): Decoded => ({
    version,
    req: { ...base(serviceId), refusal: error },
    answer: { fault: code },
  });
  // Refused before any parser sees it: no DTD, no entity, no XXE, whatever the parser's settings.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return fault(hinted, 'Sender', hisError('E0003', 'doctype', {}, 'DOCTYPE'));
  const env = readEnvelope(text, hinted);
  if (!env.ok) return fault(env.version, env.code, env.error);
  const { version, op: el } = env;
  const op = ops.get(el.local);
  if (!op) return fault(version, 'Sender', hisError('E0004', 'unknownOperation', { operation: el.local.slice(0, 60), wsdl: SERVICE_NAME }, 'operation'), el.local);
  if (el.ns !== TNS && el.ns !== '')
    return fault(version, 'Sender', hisError('E0003', 'opNamespace', { local: el.local, expected: TNS, ns: el.ns.slice(0, 200) }, 'operation'), op.serviceId);
  const limit = o.serviceBodyLimit?.(op.serviceId);
  const size = o.size ?? Buffer.byteLength(text);
  if (limit !== undefined && size > limit) return fault(version, 'Sender', hisError('E0003', 'tooLargeFor', { serviceId: op.serviceId, limit, size }, 'body'), op.serviceId);
  if (op.style === 'envelope') {
    const fields: Record<string, string> = {};
    for (const name of ENVELOPE_REQUEST_FIELDS) {
      const c = el.children.find((n) => n.local === name);
      // Surrounding whitespace is formatting, not data (Base64 never holds spaces).
      if (c) fields[name] = c.text.trim();
    }
    const rawData = el.children.find((n) => n.local === 'data')?.text;
    if (rawData !== undefined) fields.data = signedData(fields, rawData, o.callers);
    const { req, caller } = envelopeToInbound(envelopeFromFields(fields), base(op.serviceId), o.callers, o.noises);
    return { version, req, answer: { op, caller } };
  }
  const auth = checkUsernameToken(env.headers, o.callers, o.nonces, o.now);
  if (!auth.ok) return { version, req: { ...base(op.serviceId), appid: auth.appid, noise: auth.nonce, refusal: auth.error }, answer: { op } };
  const request: XNode | undefined = el.children.find((c) => c.local === 'request');
  const ids = { appid: auth.appid, noise: auth.nonce, authenticated: true };
  if (!request) return { version, req: { ...base(op.serviceId), ...ids, refusal: hisError('E0003', 'noRequest', { op: op.name }, 'request') }, answer: { op, caller: auth.caller } };
  return { version, req: { ...base(op.serviceId), ...ids, input: xmlToBusiness(request, op.request ?? []) }, answer: { op, caller: auth.caller } };
}

/**
 * `data` as the client signed it. The sign covers the Base64 text as sent, but XML parsing normalises
 * a raw CRLF to LF (XML 1.0 §2.11) and we trim indentation; old Windows clients wrap Base64 every 76
 * characters with CRLF (sun.misc.BASE64Encoder) and concatenate it into the XML unescaped. So try the
 * text as parsed, untrimmed, and with CRLF restored; the first that verifies wins. Data without a line
 * break (the usual case) costs nothing extra, and a really bad sign gets the usual refusal.
 */
function signedData(fields: Record<string, string>, raw: string, callers: Map<string, CallerConfig>): string {
  const trimmed = raw.trim();
  const caller = callers.get(fields.appid ?? '');
  if (!caller || !fields.sign || !raw.includes('\n')) return trimmed;
  const crlf = (t: string) => t.replace(/\r?\n/g, '\r\n');
  for (const candidate of [trimmed, raw, crlf(trimmed), crlf(raw)])
    if (verifySign({ appid: fields.appid, data: candidate, noise: fields.noise ?? '', version: fields.version ?? '', sign: fields.sign }, caller.key)) return candidate;
  return trimmed;
}

/**
 * A stored his-soap message decoded as the live channel decoded it (for `medbill replay`): checked
 * against the time it arrived and without the nonce window, so a replay reproduces the original
 * decision instead of failing on freshness. Never reachable from HTTP.
 */
export function soapReplayRequest(raw: string, receivedAt: number, catalogue: Catalogue, callers: Map<string, CallerConfig>): InboundRequest {
  const ops = new Map(soapOperations(catalogue).map((o) => [o.name, o]));
  return decodeSoap(raw, '1.1', ops, { callers, now: receivedAt, serviceBodyLimit: (id) => catalogue.services.get(id)?.limits?.bodyBytes }).req;
}

/** The SOAP body content answering a call. */
export function answerXml(op: SoapOperation, r: InboundResult, req: InboundRequest, caller?: CallerConfig): string {
  if (op.style === 'envelope') {
    const env = resultEnvelope(r, req.appid ?? '', caller);
    return wrapperXml(`${op.name}Response`, [
      ['data', env.data],
      ['noise', env.noise],
      ['sign', env.sign],
    ]);
  }
  const resp = r.error ? undefined : r.response;
  const message = r.error ? r.error.message : typeof resp === 'string' ? resp : '成功';
  const fields = resp && typeof resp === 'object' ? businessToXml(resp as Business, op.response ?? []) : '';
  return (
    `<tns:${op.name}Response xmlns:tns="${TNS}"><tns:response>` +
    `<tns:result>${xmlText(r.result)}</tns:result><tns:message>${xmlText(message)}</tns:message>${fields}` +
    `</tns:response></tns:${op.name}Response>`
  );
}

export class SoapEndpoint {
  readonly path: string;
  private readonly noises = new NoiseWindow();
  private readonly nonces = new NoiseWindow();
  /** operations and WSDL of the catalogue they were built from: rebuilt when a reload swaps it */
  private built?: { catalogue: Catalogue; ops: Map<string, SoapOperation>; wsdl: string };

  constructor(private readonly deps: SoapChannelDeps) {
    this.path = `/${deps.config.server.servicePath}/ws/${SERVICE_NAME}`;
    this.build();
  }

  get ops(): Map<string, SoapOperation> {
    return this.build().ops;
  }

  get wsdl(): string {
    return this.build().wsdl;
  }

  private build(): { ops: Map<string, SoapOperation>; wsdl: string } {
    const catalogue = this.deps.catalogue;
    if (this.built?.catalogue === catalogue) return this.built;
    const { server, projectRoot } = this.deps.config;
    const ops = new Map(soapOperations(catalogue).map((o) => [o.name, o]));
    const generated = generateWsdl(catalogue);
    const file = path.join(projectRoot, 'wsdl', `${SERVICE_NAME}.wsdl`);
    let served: string;
    try {
      served = readFileSync(file, 'utf8');
    } catch {
      log().warn('WSDL file missing: serving a freshly generated one (run `medbill wsdl` and commit it)', { file });
      served = generated;
    }
    // Dispatch follows the live catalogue (an overlay's entries, a reload's changes): a file that
    // describes other operations than we serve is not served; the generated WSDL is.
    if (served !== generated) {
      log().warn('WSDL file differs from the catalogue (overlay or reloaded entries, or a stale file): serving the generated WSDL; run `medbill wsdl` if the shipped catalogue changed', { file });
      served = generated;
    }
    const address = `${server.publicBaseUrl.replace(/\/+$/, '')}${this.path}`;
    const wsdl = served.split(`location="${ADDRESS_PLACEHOLDER}"`).join(`location="${xmlText(address).replace(/"/g, '&quot;')}"`);
    this.built = { catalogue, ops, wsdl };
    return this.built;
  }

  private reply(d: Decoded, r: InboundResult): SoapReply {
    if ('fault' in d.answer) {
      const reason = r.error?.message ?? d.req.refusal?.message ?? '请求无法处理';
      return faultXml(d.version, d.answer.fault, reason, { result: r.result, msgId: r.msgId });
    }
    return { status: 200, contentType: contentType(d.version), body: envelopeXml(d.version, answerXml(d.answer.op, r, d.req, d.answer.caller)) };
  }

  /** One POST body (possibly cut at the size limit) → the HTTP answer. Never throws. */
  async process(body: Buffer, meta: RequestMeta = {}): Promise<SoapReply> {
    const ct = meta.contentType ?? '';
    const hinted = hintedVersion(ct);
    const limit = this.deps.config.server.bodyLimitBytes;
    const size = meta.size ?? body.length;
    let d: Decoded;
    if (size > limit) {
      const head = body.subarray(0, OVERSIZE_HEAD_BYTES).toString('utf8');
      d = this.refused(hinted, head, hisError('E0003', 'tooLarge', { size, limit }, 'body'), { bytes: size, sha256: meta.sha256 ?? createHash('sha256').update(body).digest('hex') });
    } else if (meta.contentEncoding && !/^identity$/i.test(meta.contentEncoding.trim())) {
      d = this.refused(hinted, body.toString('latin1'), hisError('E0003', 'compressed', { encoding: meta.contentEncoding.slice(0, 40) }, 'Content-Encoding'), body);
    } else if (meta.replayOf !== undefined) {
      try {
        d = await this.replayed(body, hinted, meta.replayOf);
      } catch (e) {
        log().error('SOAP replay: stored message not readable', { error: (e as Error).message });
        return faultXml(hinted, 'Receiver', hisError('E9999', 'internal', {}).message, { result: 'E9999' });
      }
    } else {
      const text = decodeBody(body, ct);
      if (!text.ok) d = this.refused(hinted, body.toString('latin1'), text.error, body);
      else {
        try {
          d = decodeSoap(text.text, hinted, this.ops, {
            callers: this.deps.callers,
            noises: this.noises,
            nonces: this.nonces,
            size,
            serviceBodyLimit: (id) => this.deps.catalogue.services.get(id)?.limits?.bodyBytes,
          });
        } catch (e) {
          // Whatever a reader throws is a stored refusal and a fault, never a reset connection.
          log().warn('SOAP message unreadable', { error: String((e as Error)?.message ?? e).slice(0, 200) });
          d = this.refused(hinted, text.text, hisError('E0003', 'xmlUnreadable', {}, 'Envelope'));
        }
        d.req.received = body;
      }
    }
    const appid = d.req.appid;
    if (this.deps.admission && meta.client !== undefined && d.req.authenticated && appid) {
      const limited = this.deps.admission.appid(appid, meta.client);
      if (limited) return { ...this.reply(d, { msgId: '', result: limited.error.code, error: limited.error }), retryAfter: limited.retryAfter };
    }
    try {
      const r = await this.deps.handle(d.req);
      const reply = this.reply(d, r);
      return meta.replayOf === undefined ? reply : { ...reply, msgId: r.msgId };
    } catch (e) {
      log().error('SOAP request failed', { error: (e as Error).message, service: d.req.serviceId });
      return faultXml(d.version, 'Receiver', hisError('E9999', 'internal', {}).message, { result: 'E9999' });
    }
  }

  /**
   * A stored message sent again by `medbill replay` (see replay-claim.ts): decoded as on arrival —
   * checked against the time it arrived, outside the nonce and noise windows. The CLI sends the stored
   * text as UTF-8 whatever encoding its XML declaration names, so it is read as UTF-8 here.
   */
  private async replayed(body: Buffer, hinted: SoapVersion, header: string | string[]): Promise<Decoded> {
    const text = body.toString('utf8');
    const claim = await checkReplayClaim(header, CHANNEL, text, this.deps.original);
    if (claim.kind === 'refused') return this.refused(hinted, text, claim.refusal, body);
    const d = decodeSoap(text, hinted, this.ops, { callers: this.deps.callers, now: claim.receivedAt });
    return { ...d, req: { ...d.req, replayOf: claim.id, received: body } };
  }

  private refused(version: SoapVersion, raw: string, refusal: FlowError, received?: InboundRequest['received']): Decoded {
    return { version, req: { channel: CHANNEL, serviceId: '-', raw, refusal, received }, answer: { fault: 'Sender' } };
  }
}

function hintedVersion(contentType: string): SoapVersion {
  return /application\/soap\+xml/i.test(contentType) ? '1.2' : '1.1';
}

/** A refusal by a limit before the body is read (no operation known yet): a Receiver fault with the code and Retry-After. */
function limitFault(contentType: string, error: FlowError, retryAfter: number): SoapReply {
  return { ...faultXml(hintedVersion(contentType), 'Receiver', error.message, { result: error.code }), retryAfter };
}

/** Mounts the channel on the web app: one line in createApp. */
export function mountSoapChannel(web: express.Express, deps: SoapChannelDeps): SoapEndpoint {
  const ep = new SoapEndpoint(deps);
  web.get(ep.path, (req, res) => {
    if (Object.keys(req.query).some((k) => k.toLowerCase() === 'wsdl')) res.type('text/xml; charset=utf-8').send(ep.wsdl);
    else res.type('text/plain; charset=utf-8').send(`${SERVICE_NAME}：WSDL 见 ${ep.path}?wsdl；调用方式见 docs/guides/his-soap.md\n`);
  });
  const send = (res: express.Response, r: SoapReply) => {
    if (r.retryAfter !== undefined) res.set('retry-after', String(r.retryAfter));
    if (r.msgId) res.set(MESSAGE_ID_HEADER, r.msgId);
    res.status(r.status).type(r.contentType).send(r.body);
  };
  web.post(ep.path, (req, res) => {
    const admitted = deps.admission?.enter(req, res);
    if (admitted && !admitted.ok) {
      // Answered before the body is read: the rest of it is discarded, not buffered.
      req.resume();
      send(res, limitFault(req.headers['content-type'] ?? '', admitted.error, admitted.retryAfter));
      return;
    }
    readBody(req, deps.config.server.bodyLimitBytes)
      .then(({ body, size, sha256 }) =>
        ep.process(body, {
          contentType: req.headers['content-type'],
          contentEncoding: req.headers['content-encoding'],
          size,
          sha256,
          client: admitted?.client,
          replayOf: req.headers[REPLAY_HEADER],
        }),
      )
      .then((r) => send(res, r))
      .catch(() => res.destroy())
      .finally(() => admitted?.ok && admitted.leave());
  });
  return ep;
}
