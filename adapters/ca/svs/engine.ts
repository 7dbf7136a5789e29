/**
 * One SVS request from text to text, as a worker thread runs it: SOAP envelope → operation and fields
 * (soap-envelope.ts) → typed arguments (args.ts) → access rule (access.ts) → operation (operations.ts)
 * → reply envelope, plus the audit facts of a private-key use for the main thread to commit before the
 * reply leaves. Everything CPU-bound (XML, Base64, SM2/SM3/SM4) happens here, off the event loop.
 *
 * The node-soap engine enters at `call` with fields node-soap already parsed; the fast engine enters
 * at `soap` with the raw body. Both share everything after parsing.
 */
import { createHash } from 'node:crypto';
import { sm2VerifyingKey } from '../../../src/crypto';
import { coerceArgs, type Args, type ArgValue } from './args';
import { AccessControl, type AppRuleSpec } from './access';
import { CertChecks, type CertCheckSettings } from './cert-checks';
import { SVS_CODES, SvsError } from './codes';
import { loadContract, type ContractOperation, type SvsContract } from './contract';
import { DemoCa, type DemoCaSettings } from './demo-ca';
import { KeyStore, type KeySpec } from './keystore';
import { OPERATIONS, type OpEnv, type Reply } from './operations';
import { parseSoapRequest, SOAP_CONTENT_TYPE, soapFault, soapReply, SoapRequestError, soapVersionOf, xmlText } from './soap-envelope';

export interface EngineSettings {
  keys: KeySpec[];
  applications: AppRuleSpec[];
  certs: CertCheckSettings;
  demoCa?: DemoCaSettings;
  wsdlFile?: string;
}

/** What the audit trail keeps of one private-key use: never the data, only its SM3 digest. */
export interface AuditFacts {
  at: number;
  appName: string;
  op: string;
  keyIndex: number | null;
  dataSm3: string | null;
  result: number;
  clientIp: string;
  ms: number;
}

export interface CallOutcome {
  result: number;
  message: string;
  reply: Reply;
  audit?: AuditFacts;
}

export interface HttpOutcome {
  status: number;
  contentType: string;
  body: string;
  audit?: AuditFacts;
  /** operation name and return code, for the access log */
  op?: string;
  result?: number;
}

export class SvsEngine {
  readonly contract: SvsContract;
  private readonly env: OpEnv;
  private readonly access: AccessControl;
  readonly demoCa?: DemoCa;

  constructor(s: EngineSettings) {
    this.contract = loadContract(s.wsdlFile);
    for (const name of this.contract.operations.keys()) if (!OPERATIONS[name]) throw new Error(`svs.wsdl declares ${name} but no handler implements it`);
    for (const name of Object.keys(OPERATIONS)) if (!this.contract.operations.has(name)) throw new Error(`handler ${name} is not declared in svs.wsdl`);
    this.env = { keys: new KeyStore(s.keys), certs: new CertChecks(s.certs) };
    this.access = new AccessControl(s.applications);
    this.demoCa = s.demoCa ? new DemoCa(s.demoCa) : undefined;
  }

  /**
   * Does once what the first requests would otherwise pay for: the detached signer template of each
   * signing key and the SM2 verification table of each key's own certificate (≈60 ms each). The server
   * listens only after every worker has run this, so "started" means "answers at full speed".
   */
  warm(): number {
    let n = 0;
    for (const k of this.env.keys.all()) {
      if (k.canSign) this.env.keys.detachedSigner(k, { signedAttributes: false, includeCert: true, chain: false })(Buffer.from('warm'));
      // the 'auto' policy tables a key on its second sighting: two sightings now, so the first request gets the table
      if (k.cert.publicKey.kind === 'sm2') for (let i = 0; i < 2; i++) sm2VerifyingKey(k.cert.publicKey.hex);
      n++;
    }
    return n;
  }

  operation(name: string): ContractOperation | undefined {
    return OPERATIONS[name] ? this.contract.operations.get(name) : undefined;
  }

  /** Runs a known operation on raw field texts. Never throws: failures are return codes. */
  async call(op: ContractOperation, fields: Record<string, string>, clientIp: string): Promise<CallOutcome> {
    const t0 = Date.now();
    const spec = OPERATIONS[op.name];
    let args: Args | undefined;
    let appName = typeof fields.appName === 'string' ? fields.appName.slice(0, 64) : '';
    let out: CallOutcome;
    try {
      args = coerceArgs(op, fields);
      const keyIndex = spec.keyUse ? (args.keyIndex as number | undefined) : undefined;
      appName = this.access.check({ op: op.name, appName: args.appName as string, password: args.password as string, clientIp, keyIndex });
      const key = spec.keyUse ? this.env.keys.get(keyIndex) : undefined;
      const reply = await spec.run(this.env, args, key);
      out = { result: 0, message: SVS_CODES.OK.zh, reply };
    } catch (e) {
      if (e instanceof SvsError) out = { result: e.code, message: e.message, reply: e.reply ?? {} };
      // Anything else is a bug or a crypto-library surprise: a code and a one-line message, no stack.
      else out = { result: SVS_CODES.UNKNOWN.code, message: `${SVS_CODES.UNKNOWN.zh}：${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200)}`, reply: {} };
    }
    if (spec.keyUse === 'private') {
      const data = spec.auditField ? args?.[spec.auditField] : undefined;
      out.audit = {
        at: t0,
        appName,
        op: op.name,
        keyIndex: typeof args?.keyIndex === 'number' ? args.keyIndex : null,
        dataSm3: Buffer.isBuffer(data) ? createHash('sm3').update(data).digest('hex') : null,
        result: out.result,
        clientIp,
        ms: Date.now() - t0,
      };
    }
    return out;
  }

  /** The fast engine: a whole SOAP request body in, a whole reply out. */
  async soap(body: string, contentType: string | undefined, clientIp: string): Promise<HttpOutcome> {
    const version = soapVersionOf(contentType, body);
    const ns = this.contract.namespace;
    let req;
    try {
      req = parseSoapRequest(body, contentType);
    } catch (e) {
      const err = e instanceof SoapRequestError ? e : new SoapRequestError('请求无法解析 / unreadable request');
      return { status: err.httpStatus, contentType: SOAP_CONTENT_TYPE[version], body: soapFault(version, ns, true, err.message, SVS_CODES.BAD_REQUEST.code), result: SVS_CODES.BAD_REQUEST.code };
    }
    const op = this.operation(req.operation);
    if (!op) {
      const msg = `未知操作 ${req.operation.slice(0, 64)}（见 /svs?wsdl）/ unknown operation`;
      return { status: 400, contentType: SOAP_CONTENT_TYPE[version], body: soapFault(version, ns, true, msg, SVS_CODES.NOT_SUPPORTED.code), result: SVS_CODES.NOT_SUPPORTED.code };
    }
    const out = await this.call(op, req.fields, clientIp);
    return { status: 200, contentType: SOAP_CONTENT_TYPE[req.version], body: this.replyXml(req.version, op, out), audit: out.audit, op: op.name, result: out.result };
  }

  replyXml(version: '1.1' | '1.2', op: ContractOperation, out: CallOutcome): string {
    const fields: Array<[string, string]> = [];
    for (const f of op.response) {
      const v: ArgValue | undefined = f.name === 'result' ? out.result : f.name === 'message' ? out.message : out.reply[f.name];
      if (v !== undefined) fields.push([f.name, wireText(v)]);
    }
    return soapReply(version, this.contract.namespace, `${op.name}Response`, fields);
  }
}

export function wireText(v: ArgValue): string {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString();
  return xmlText(String(v));
}
