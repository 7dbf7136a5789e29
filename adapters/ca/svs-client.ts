/**
 * SOAP client for signature servers (SVS), vendor-neutral: which operation, which parameter names,
 * which namespace and SOAPAction, and what a reply means all come from the vendor mapping
 * (vendor-mapping.ts, config/ca-vendors/*.yaml). Requests are written and replies read by hand (no
 * WSDL download, no node-soap on the hot path) over a keep-alive agent.
 *
 * Failures become SignerErrors of three reasons (src/engine/signer.ts); the sign step decides what the
 * HIS is told, in its own words — never these messages, which name hosts and vendor codes:
 *   Timeout      no complete reply within ca.timeoutMs
 *   Unavailable  no connection, reset, HTTP 5xx without a SOAP reply, an unreadable reply,
 *                or a vendor code listed as `unavailable` (busy)
 *   Rejected     the server answered and refused: SOAP fault, a non-success code
 * The vendor's code and message are kept verbatim on the error and in the log line; passwords and
 * data never reach a log.
 */
import type { CaClientConfig } from '../../src/config';
import http from 'node:http';
import https from 'node:https';
import { SignerError } from '../../src/engine/signer';
import { log } from '../../src/log';
import { xmlEscape } from '../../src/xml-escape';
import { detachSignedData } from './p7-detach';
import { scanXml, type XmlElement } from './svs/xml-scan';
import { LogicalOperation, normaliseCode, OperationMapping, TemplateVariable, VendorMapping } from './vendor-mapping';

/** The `ca:` settings with the vendor mapping file already loaded in place of its name. */
export interface SvsClientOptions extends Omit<CaClientConfig, 'vendor'> {
  mapping: VendorMapping;
  maxResponseBytes?: number;
}

export interface CallContext {
  msgId?: string;
  busNo?: string;
}

export type CaErrorClass = 'Timeout' | 'Unavailable' | 'Rejected';

export class CaError extends SignerError {
  constructor(
    readonly caClass: CaErrorClass,
    message: string,
    readonly detail: { vendorCode?: string; vendorMessage?: string; httpStatus?: number; operation?: string },
    cause?: unknown,
  ) {
    super(caClass, message, cause);
  }
}

/** A reply: the value asked for, or the verdict of a verify call with the server's words. */
export interface CaReply {
  value?: Buffer;
  valid?: boolean;
  code?: string;
  message?: string;
}

export type CallVars = Partial<Record<TemplateVariable, Buffer | string | number | undefined>>;

const SOAP_ENV = { '1.1': 'http://schemas.xmlsoap.org/soap/envelope/', '1.2': 'http://www.w3.org/2003/05/soap-envelope' } as const;


const child = (el: XmlElement | undefined, name: string): XmlElement | undefined => el?.children.find((c) => c.name === name);
const text = (el: XmlElement | undefined): string | undefined => (el && !el.children.length ? el.text.trim() : undefined);

const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

interface RawReply {
  status: number;
  body: string;
}

export class SvsClient {
  private readonly agent: http.Agent;
  private readonly target: URL;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly o: SvsClientOptions) {
    this.target = new URL(o.url);
    this.transport = this.target.protocol === 'https:' ? https : http;
    const Agent = this.target.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: o.keepAlive, maxSockets: o.maxSockets, keepAliveMsecs: 10_000 });
  }

  get vendor(): string {
    return this.o.mapping.vendor;
  }

  supports(op: LogicalOperation): boolean {
    return this.o.mapping.operations[op] !== undefined;
  }

  async call(op: LogicalOperation, vars: CallVars = {}, ctx: CallContext = {}): Promise<CaReply> {
    const m = this.o.mapping.operations[op];
    if (!m) throw new CaError('Rejected', `签名服务器（${this.vendor}）的接口映射没有 ${op} 操作`, { operation: op });
    if (m.via) {
      const r = await this.call(m.via, vars, ctx);
      if (m.detach && r.value) {
        try {
          r.value = detachSignedData(r.value);
        } catch (e) {
          throw new CaError('Rejected', `签名服务器返回的签名无法转为不带原文形式：${(e as Error).message}`, { operation: op }, e);
        }
      }
      return r;
    }
    const t0 = Date.now();
    const base = { msgId: ctx.msgId, busNo: ctx.busNo, vendor: this.vendor, op, operation: m.operation };
    try {
      const reply = this.interpret(op, m, await this.exchange(m, vars));
      log().debug('ca call', { ...base, ms: Date.now() - t0, valid: reply.valid });
      return reply;
    } catch (e) {
      const err = e instanceof CaError ? e : new CaError('Unavailable', `签名服务器调用失败：${(e as Error).message}`, { operation: m.operation }, e);
      log().warn('ca call failed', { ...base, ms: Date.now() - t0, errorClass: err.caClass, httpStatus: err.detail.httpStatus, vendorCode: err.detail.vendorCode, vendorMessage: err.detail.vendorMessage, error: err.message });
      throw err;
    }
  }

  // ---------------------------------------------------------------- logical operations

  async exportCert(certSN?: string, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('exportCert', { certSN }, ctx), 'exportCert');
  }

  async signData(data: Buffer, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('signData', { data }, ctx), 'signData');
  }

  async verifyData(data: Buffer, signature: Buffer, cert: Buffer, ctx?: CallContext): Promise<CaReply> {
    return this.call('verifyData', { data, signature, cert }, ctx);
  }

  async signMessage(data: Buffer, opts: { detached: boolean }, ctx?: CallContext): Promise<Buffer> {
    const op = opts.detached ? 'signMessageDetached' : 'signMessageAttached';
    return this.value(await this.call(op, { data }, ctx), op);
  }

  async verifyMessage(signedMessage: Buffer, data?: Buffer, ctx?: CallContext): Promise<CaReply> {
    return this.call('verifyMessage', { signedMessage, data }, ctx);
  }

  async makeEnvelope(data: Buffer, cert: Buffer, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('makeEnvelope', { data, cert }, ctx), 'makeEnvelope');
  }

  async openEnvelope(envelope: Buffer, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('openEnvelope', { envelope }, ctx), 'openEnvelope');
  }

  async validateCert(cert: Buffer, ctx?: CallContext): Promise<CaReply> {
    return this.call('validateCert', { cert }, ctx);
  }

  async hash(data: Buffer, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('hash', { data }, ctx), 'hash');
  }

  async genRandom(length: number, ctx?: CallContext): Promise<Buffer> {
    return this.value(await this.call('genRandom', { length }, ctx), 'genRandom');
  }

  /**
   * Reachability of the signature server, vendor-neutral: an HTTP GET of the SOAP endpoint. Any answer
   * below 500 (the embedded SVS says 405 to a GET without ?wsdl) means a server is listening there; no
   * operation is called, so no key is used and nothing is audited. Never throws.
   */
  probe(timeoutMs = Math.min(this.o.timeoutMs, 2000)): Promise<{ ok: true; latencyMs: number } | { ok: false; reason: string }> {
    const t0 = Date.now();
    return new Promise((resolve) => {
      const req = this.transport.request(this.target, { method: 'GET', agent: this.agent, timeout: timeoutMs }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status < 500 ? { ok: true, latencyMs: Date.now() - t0 } : { ok: false, reason: `answered HTTP ${status}` });
      });
      req.on('timeout', () => {
        req.destroy();
        resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` });
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, reason: `unreachable (${e.code ?? 'connection failed'})` }));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }

  // ---------------------------------------------------------------- wire

  private value(r: CaReply, op: string): Buffer {
    if (!r.value) throw new CaError('Rejected', `签名服务器的 ${op} 没有返回结果`, { operation: op });
    return r.value;
  }

  requestXml(m: OperationMapping, vars: CallVars): string {
    const s = this.o.mapping.soap;
    const all: CallVars = { appName: this.o.appName, password: this.o.password, keyIndex: this.o.keyIndex, ...vars };
    const q = s.qualified ? `${s.prefix}:` : '';
    let fields = '';
    for (const [name, tpl] of Object.entries(m.params ?? {})) {
      const ref = /^\{([A-Za-z]+)(\?)?\}$/.exec(String(tpl));
      let v: string;
      if (ref) {
        const val = all[ref[1] as TemplateVariable];
        if (val === undefined) {
          if (ref[2]) continue;
          throw new Error(`the mapping of ${m.operation} needs {${ref[1]}}, which this call does not supply`);
        }
        v = Buffer.isBuffer(val) ? val.toString('base64') : xmlEscape(String(val));
      } else v = xmlEscape(String(tpl));
      fields += `<${q}${name}>${v}</${q}${name}>`;
    }
    return (
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV[s.version]}" xmlns:${s.prefix}="${xmlEscape(s.namespace)}">` +
      `<soapenv:Header/><soapenv:Body><${s.prefix}:${m.operation}>${fields}</${s.prefix}:${m.operation}></soapenv:Body></soapenv:Envelope>`
    );
  }

  private async exchange(m: OperationMapping, vars: CallVars): Promise<RawReply> {
    const body = this.requestXml(m, vars);
    try {
      return await this.post(m, body);
    } catch (e) {
      // A keep-alive socket the server had already closed: the request never reached it, send it again once.
      const s = e as { reusedSocket?: boolean; socketError?: string };
      if (s.reusedSocket && s.socketError === 'ECONNRESET') return this.post(m, body);
      throw e;
    }
  }

  private post(m: OperationMapping, body: string): Promise<RawReply> {
    const s = this.o.mapping.soap;
    const action = s.soapAction.replace('{operation}', m.operation ?? '');
    const headers: http.OutgoingHttpHeaders =
      s.version === '1.1'
        ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` }
        : { 'content-type': `application/soap+xml; charset=utf-8${action ? `; action="${action}"` : ''}` };
    headers['content-length'] = Buffer.byteLength(body);
    const limit = this.o.maxResponseBytes ?? 32 * 1024 * 1024;
    return new Promise<RawReply>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, r?: RawReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(r as RawReply);
      };
      const req = this.transport.request(this.target, { method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            req.destroy();
            done(new CaError('Unavailable', `签名服务器的应答超过 ${limit} 字节`, { httpStatus: res.statusCode, operation: m.operation }));
          } else chunks.push(c);
        });
        res.on('end', () => done(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => done(e));
      });
      const timer = setTimeout(() => {
        req.destroy();
        done(new CaError('Timeout', `签名服务器 ${this.o.timeoutMs} ms 内未应答（${this.vendor} ${m.operation}）`, { operation: m.operation }));
      }, this.o.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (UNAVAILABLE_ERRNO.has(e.code ?? '') || /socket hang up/i.test(e.message)) {
          const err = new CaError('Unavailable', `签名服务器不可用（${e.code ?? e.message}，${this.target.host}）`, { operation: m.operation }, e);
          done(Object.assign(err, { reusedSocket: req.reusedSocket, socketError: e.code }));
        } else done(e);
      });
      req.end(body);
    });
  }

  interpret(op: LogicalOperation, m: OperationMapping, raw: RawReply): CaReply {
    const where = { httpStatus: raw.status, operation: m.operation };
    if (/<!DOCTYPE|<!ENTITY/i.test(raw.body)) throw new CaError('Unavailable', '签名服务器的应答含 DOCTYPE/ENTITY 声明，已拒绝', where);
    // The SVS's own strict reader (xml-scan.ts): the reply is read on medbill's event loop, on the issuance path.
    let env: XmlElement | undefined;
    try {
      env = scanXml(raw.body, 64);
    } catch {
      env = undefined;
    }
    const body = env?.name === 'Envelope' ? child(env, 'Body') : undefined;
    if (!body) {
      const cls: CaErrorClass = raw.status >= 400 && raw.status < 500 ? 'Rejected' : 'Unavailable';
      throw new CaError(cls, `签名服务器应答不是 SOAP 报文（HTTP ${raw.status}）：${raw.body.slice(0, 120).replace(/\s+/g, ' ')}`, where);
    }
    const f = child(body, 'Fault');
    if (f) {
      const message = text(child(f, 'faultstring')) ?? text(child(child(f, 'Reason'), 'Text')) ?? 'SOAP Fault';
      const inner = (child(f, 'detail') ?? child(f, 'Detail'))?.children[0];
      const code = inner && this.o.mapping.result.code ? text(child(inner, this.o.mapping.result.code)) : undefined;
      const unavailable = raw.status === 503 || (code !== undefined && this.o.mapping.result.unavailable.includes(normaliseCode(code)));
      throw new CaError(unavailable ? 'Unavailable' : 'Rejected', `签名服务器拒绝了 ${m.operation}：${code ? `[${code}] ` : ''}${message}`, { ...where, vendorCode: code, vendorMessage: message });
    }
    if (raw.status >= 500 || raw.status < 200) throw new CaError('Unavailable', `签名服务器 HTTP ${raw.status}`, where);
    const reply = child(body, m.responseElement ?? `${m.operation}Response`) ?? body.children[0];
    const r = this.o.mapping.result;
    let code: string | undefined;
    let message: string | undefined;
    if (r.code) {
      code = text(child(reply, r.code));
      message = r.message ? text(child(reply, r.message)) : undefined;
      if (code === undefined) throw new CaError('Unavailable', `签名服务器应答缺少返回码 <${r.code}>`, where);
      const c = normaliseCode(code);
      if (!r.success.includes(c)) {
        const kind = m.returns!.type;
        if ((kind === 'verdict' || kind === 'boolean') && r.invalid.includes(c)) return { valid: false, code, message };
        const cls: CaErrorClass = r.unavailable.includes(c) ? 'Unavailable' : 'Rejected';
        throw new CaError(cls, `签名服务器拒绝了 ${m.operation}：[${code}] ${message ?? ''}`.trim(), { ...where, vendorCode: code, vendorMessage: message });
      }
    }
    const ret = m.returns!;
    if (ret.type === 'verdict') return { valid: true, code, message };
    const v = text(child(reply, ret.field!));
    if (ret.type === 'boolean') {
      if (v === 'true' || v === '1') return { valid: true, code, message };
      if (v === 'false' || v === '0') return { valid: false, code, message };
      throw new CaError('Unavailable', `签名服务器的 ${ret.field} 不是 true/false：'${(v ?? '').slice(0, 20)}'`, where);
    }
    if (!v) throw new CaError('Rejected', `签名服务器的 ${m.operation} 应答没有 ${ret.field}${message ? `：${message}` : ''}`, { ...where, vendorCode: code, vendorMessage: message });
    // plain text is returned as sent: only Base64 and codes are trimmed
    if (ret.type === 'text') return { value: Buffer.from(child(reply, ret.field!)!.text, 'utf8'), code, message };
    const b64 = v.replace(/\s+/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new CaError('Unavailable', `签名服务器的 ${ret.field} 不是 Base64`, where);
    return { value: Buffer.from(b64, 'base64'), code, message };
  }
}
