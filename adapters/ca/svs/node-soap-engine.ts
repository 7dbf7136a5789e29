/**
 * The alternative SOAP engine (svs.engine: node-soap): node-soap parses the request against the same
 * wsdl/svs.wsdl and builds the reply; the operations, access rules and audit are the same as the fast
 * engine's. It stays selectable for a client whose SOAP dialect only node-soap understands, and so the
 * two can be measured side by side (bench/ca.ts, docs/ca-svs.md). node-soap runs on the event loop, so
 * its XML work is not parallel — the measured reason the fast engine is the default.
 */
import * as soap from 'soap';
import type { SvsContract } from './contract';
import type { CallOutcome, HttpOutcome } from './engine';
import { SVS_CODES } from './codes';
import { SOAP_CONTENT_TYPE, soapFault } from './soap-envelope';

export type RunCall = (op: string, fields: Record<string, string>, clientIp: string) => Promise<CallOutcome | null>;

type SoapArgs = Record<string, unknown>;

function toFields(args: SoapArgs | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(args ?? {})) {
    if (k.startsWith('$') || v === undefined || v === null) continue;
    fields[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return fields;
}

export async function createNodeSoapEngine(contract: SvsContract, runCall: RunCall): Promise<(body: string, contentType: string | undefined, clientIp: string) => Promise<HttpOutcome>> {
  const methods: Record<string, (args: SoapArgs, cb: unknown, headers: unknown, req: { connection?: { remoteAddress?: string } }) => Promise<Record<string, unknown>>> = {};
  for (const op of contract.operations.values()) {
    methods[op.name] = async (args, _cb, _headers, req) => {
      const out = await runCall(op.name, toFields(args), req.connection?.remoteAddress ?? '');
      if (!out) throw new Error(`unknown operation ${op.name}`);
      const reply: Record<string, unknown> = {};
      for (const f of op.response) {
        const v = f.name === 'result' ? out.result : f.name === 'message' ? out.message : out.reply[f.name];
        // Buffers come back from the worker as plain Uint8Arrays (structured clone).
        if (v !== undefined) reply[f.name] = v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : v instanceof Date ? v.toISOString() : v;
      }
      return reply;
    };
  }
  const server = await soap.createServerless({
    path: '/svs',
    xml: contract.wsdlText,
    services: { SvsService: { SvsSoap: methods, SvsSoap12: methods } },
    suppressStack: true,
  });
  return async (body, contentType, clientIp) => {
    try {
      const r = await server.processRequest(body, { headers: { 'content-type': contentType ?? SOAP_CONTENT_TYPE['1.1'] }, connection: { remoteAddress: clientIp } });
      if (r.statusCode === 200) return { status: 200, contentType: String(r.headers['content-type'] ?? SOAP_CONTENT_TYPE['1.1']), body: r.body };
      // node-soap's own faults carry its internals ("TypeError: Cannot read properties of undefined …",
      // parser line/column dumps): replaced by a fault of ours that says what the client can act on.
      return { status: 400, contentType: SOAP_CONTENT_TYPE['1.1'], body: soapFault('1.1', contract.namespace, true, '请求不是 /svs?wsdl 所描述的 SOAP 请求（XML 格式、Envelope/Body 或操作名不符）', SVS_CODES.BAD_REQUEST.code) };
    } catch (e) {
      return { status: 500, contentType: SOAP_CONTENT_TYPE['1.1'], body: soapFault('1.1', contract.namespace, false, (e as Error).message, SVS_CODES.UNKNOWN.code) };
    }
  };
}
