/**
 * The SVS contract as data: wsdl/svs.wsdl is the single source of the operation names, their request and
 * response fields, field order and types. The server reads it once at start-up (and serves the same
 * file), so the WSDL a client downloads and what the server accepts cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { PROJECT_ROOT } from '../../../src/config';

export type FieldType = 'string' | 'int' | 'boolean' | 'base64Binary' | 'dateTime';

export interface ContractField {
  name: string;
  type: FieldType;
  required: boolean;
}

export interface ContractOperation {
  name: string;
  soapAction: string;
  request: ContractField[];
  response: ContractField[];
}

export interface SvsContract {
  namespace: string;
  wsdlText: string;
  operations: Map<string, ContractOperation>;
}

export const SVS_WSDL_FILE = path.join(PROJECT_ROOT, 'wsdl', 'svs.wsdl');

const TYPES = new Set<FieldType>(['string', 'int', 'boolean', 'base64Binary', 'dateTime']);

type Node = Record<string, unknown>;
const list = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);

function fieldsOf(element: Node, where: string): ContractField[] {
  const seq = (element.complexType as Node | undefined)?.sequence as Node | undefined;
  return list(seq?.element).map((f) => {
    const name = String(f['@_name'] ?? '');
    const type = String(f['@_type'] ?? '').replace(/^.*:/, '') as FieldType;
    if (!name || !TYPES.has(type)) throw new Error(`${where}: field '${name}' has unsupported type '${String(f['@_type'])}'`);
    return { name, type, required: f['@_minOccurs'] !== '0' };
  });
}

export function parseContract(wsdlText: string): SvsContract {
  const doc = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, processEntities: false }).parse(wsdlText) as Node;
  const defs = doc.definitions as Node;
  const namespace = String(defs['@_targetNamespace']);
  const schema = (defs.types as Node).schema as Node;
  const elements = new Map(list(schema.element).map((e) => [String(e['@_name']), e]));
  const actions = new Map<string, string>();
  for (const b of list(defs.binding)) for (const o of list(b.operation)) actions.set(String(o['@_name']), String((o.operation as Node)['@_soapAction'] ?? ''));
  const operations = new Map<string, ContractOperation>();
  for (const o of list((defs.portType as Node).operation)) {
    const name = String(o['@_name']);
    const req = elements.get(name);
    const resp = elements.get(`${name}Response`);
    if (!req || !resp) throw new Error(`svs.wsdl: operation ${name} needs elements ${name} and ${name}Response`);
    operations.set(name, { name, soapAction: actions.get(name) ?? '', request: fieldsOf(req, name), response: fieldsOf(resp, `${name}Response`) });
  }
  return { namespace, wsdlText, operations };
}

let cached: SvsContract | undefined;

export function loadContract(file = SVS_WSDL_FILE): SvsContract {
  if (file === SVS_WSDL_FILE && cached) return cached;
  const c = parseContract(readFileSync(file, 'utf8'));
  if (file === SVS_WSDL_FILE) cached = c;
  return c;
}

/** The WSDL as served: identical to the committed file except soap:address, which names where it listens. */
export function servedWsdl(contract: SvsContract, endpointUrl: string): string {
  return contract.wsdlText.replace(/(<soap(?:12)?:address location=")[^"]*(")/g, `$1${endpointUrl.replace(/[<&"]/g, '')}$2`);
}
