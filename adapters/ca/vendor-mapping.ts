/**
 * Vendor mapping files (config/ca-vendors/<vendor>.yaml): how one signature server's WebService names
 * medbill's logical CA operations, their parameters, its namespace and SOAPAction, and what its replies
 * mean. Adapting a GDCA, BJCA or NetCA box is writing one of these from its WSDL — no code.
 * Files are checked against a JSON Schema at load; an error points at file:line:col.
 */
import path from 'node:path';
import Ajv from 'ajv';
import { PROJECT_ROOT } from '../../src/config';
import { Loc, Problems } from '../../src/engine/lint';
import { loadYamlSource } from '../../src/engine/yaml-source';

/** medbill's side of the adapter: what the client can ask any signature server to do. */
export const LOGICAL_OPERATIONS = [
  'exportCert',
  'signData',
  'verifyData',
  'signMessageAttached',
  'signMessageDetached',
  'verifyMessage',
  'makeEnvelope',
  'openEnvelope',
  'validateCert',
  'hash',
  'genRandom',
] as const;
export type LogicalOperation = (typeof LOGICAL_OPERATIONS)[number];

/** Values a parameter template may name: {appName}; binary ones travel Base64-encoded. */
export const TEMPLATE_VARIABLES = ['appName', 'password', 'keyIndex', 'data', 'signature', 'cert', 'certSN', 'signedMessage', 'envelope', 'length'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * How the wanted value is read from a reply:
 *  base64   a Base64 element (signatures, certificates, envelopes)
 *  text     a plain-text element, returned as its UTF-8 bytes (a vendor that returns decrypted text as is)
 *  boolean  a true/false element: the verdict of a verify call
 *  verdict  no element: the return code is the verdict (success = valid, an `invalid` code = not valid)
 */
export type ReturnType = 'base64' | 'text' | 'boolean' | 'verdict';

export interface OperationMapping {
  /** the vendor's operation (request element) name */
  operation?: string;
  /** vendor parameter → "{variable}", "{variable?}" (left out when absent) or a literal */
  params?: Record<string, string>;
  returns?: { field?: string; type: ReturnType };
  /** element the reply wraps its fields in; default <operation>Response */
  responseElement?: string;
  /** implement this operation by another one (e.g. signMessageDetached by signMessageAttached) */
  via?: LogicalOperation;
  /** with via: strip the embedded content from the SignedData the other operation returns */
  detach?: boolean;
}

export interface VendorMapping {
  vendor: string;
  description: string;
  file: string;
  soap: { version: '1.1' | '1.2'; namespace: string; qualified: boolean; soapAction: string; prefix: string };
  result: {
    code?: string;
    message?: string;
    success: string[];
    invalid: string[];
    unavailable: string[];
  };
  operations: Partial<Record<LogicalOperation, OperationMapping>>;
}

const codeList = { type: 'array', items: { type: ['string', 'integer'] } };

const SCHEMA = {
  type: 'object',
  required: ['vendor', 'soap', 'operations'],
  additionalProperties: false,
  properties: {
    vendor: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    soap: {
      type: 'object',
      required: ['namespace'],
      additionalProperties: false,
      properties: {
        version: { enum: ['1.1', '1.2'] },
        namespace: { type: 'string', minLength: 1 },
        qualified: { type: 'boolean' },
        soapAction: { type: 'string' },
        prefix: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      },
    },
    result: {
      type: 'object',
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' }, success: codeList, invalid: codeList, unavailable: codeList },
    },
    operations: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        LOGICAL_OPERATIONS.map((op) => [
          op,
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              operation: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
              params: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' } },
              returns: {
                type: 'object',
                required: ['type'],
                additionalProperties: false,
                properties: { field: { type: 'string' }, type: { enum: ['base64', 'text', 'boolean', 'verdict'] } },
              },
              responseElement: { type: 'string' },
              via: { enum: [...LOGICAL_OPERATIONS] },
              detach: { type: 'boolean' },
            },
          },
        ]),
      ),
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);

/** Codes compare as numbers when both sides are numeric (YAML may write 0x04000402, the wire 67109890). */
export function normaliseCode(c: string | number): string {
  const s = String(c).trim();
  if (/^[+-]?\d+$/.test(s)) return String(Number(s));
  if (/^0x[0-9a-f]+$/i.test(s)) return String(parseInt(s, 16));
  return s;
}

export const VENDOR_DIR = path.join(PROJECT_ROOT, 'config', 'ca-vendors');

export function vendorFile(vendor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(vendor)) throw new Error(`ca.vendor '${vendor}' must be a file name (letters, digits, - and _)`);
  return path.join(VENDOR_DIR, `${vendor}.yaml`);
}

export function loadVendorMapping(vendorOrFile: string): VendorMapping {
  const file = vendorOrFile.endsWith('.yaml') ? vendorOrFile : vendorFile(vendorOrFile);
  const problems = new Problems();
  const bad = (loc: Loc, where: string, detail: string) => problems.add(loc, 'CA_VENDOR_MAPPING', where, { detail });
  const src = loadYamlSource(file, problems);
  problems.throwIfAny();
  if (!src) throw new Error(`${file}: unreadable`);
  if (!validate(src.data)) {
    for (const e of validate.errors ?? []) {
      const p = e.instancePath.split('/').filter(Boolean);
      bad(src.loc(p), e.instancePath || '/', `${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`);
    }
    problems.throwIfAny();
  }
  // Checked by the schema above; the cast only gives the plain data its TypeScript shape.
  const d = src.data as Omit<VendorMapping, 'file'> & { soap: Partial<VendorMapping['soap']>; result?: Record<string, Array<string | number> | string> };
  const codes = (k: string, dflt: string[]) => ((d.result?.[k] as Array<string | number> | undefined) ?? dflt).map(normaliseCode);
  const mapping: VendorMapping = {
    vendor: d.vendor,
    description: d.description ?? '',
    file,
    soap: {
      version: d.soap.version ?? '1.1',
      namespace: d.soap.namespace!,
      qualified: d.soap.qualified ?? true,
      soapAction: d.soap.soapAction ?? '',
      prefix: d.soap.prefix ?? 'v',
    },
    result: {
      code: d.result?.code as string | undefined,
      message: d.result?.message as string | undefined,
      success: codes('success', ['0']),
      invalid: codes('invalid', []),
      unavailable: codes('unavailable', []),
    },
    operations: d.operations,
  };
  for (const [name, op] of Object.entries(mapping.operations) as Array<[LogicalOperation, OperationMapping]>) {
    const at = (k: string) => src.loc(['operations', name, k]);
    if (op.via) {
      const target = mapping.operations[op.via];
      if (!target || target.via) bad(at('via'), `operations.${name}.via`, `'${op.via}' must be a mapped operation that is not itself a via`);
      continue;
    }
    if (!op.operation || !op.returns) {
      bad(src.loc(['operations', name]), `operations.${name}`, 'needs operation and returns (or via)');
      continue;
    }
    if (op.returns.type !== 'verdict' && !op.returns.field) bad(at('returns'), `operations.${name}.returns`, `type ${op.returns.type} needs a field`);
    if (op.returns.type === 'verdict' && !mapping.result.code) bad(at('returns'), `operations.${name}.returns`, 'type verdict needs result.code (the element holding the return code)');
    for (const [param, tpl] of Object.entries(op.params ?? {})) {
      const m = /^\{([A-Za-z]+)\??\}$/.exec(String(tpl));
      if (m && !(TEMPLATE_VARIABLES as readonly string[]).includes(m[1]))
        bad(src.loc(['operations', name, 'params', param]), `operations.${name}.params.${param}`, `unknown variable {${m[1]}} (known: ${TEMPLATE_VARIABLES.join(', ')})`);
    }
  }
  problems.throwIfAny();
  return mapping;
}
