/**
 * Request fields as the contract types them: text from the wire → string, int, boolean, bytes, Date.
 * Unknown fields are refused rather than ignored — a misspelt "isOrignalText" silently falling back to
 * the default would sign the wrong form without anyone noticing.
 */
import type { ContractOperation } from './contract';
import { SvsError } from './codes';

export type ArgValue = string | number | boolean | Buffer | Date;
export type Args = Record<string, ArgValue | undefined>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const INT = /^[+-]?(?:\d{1,10}|0x[0-9a-fA-F]{1,8})$/;

export function decodeBase64Strict(text: string, field: string): Buffer {
  const s = text.replace(/[\r\n\t ]+/g, '');
  if (s.length % 4 !== 0 || !BASE64.test(s)) throw new SvsError('BAD_REQUEST', `字段 ${field} 不是有效的 Base64 / ${field} is not valid Base64`);
  return Buffer.from(s, 'base64');
}

function coerce(field: string, type: ContractOperation['request'][number]['type'], text: string): ArgValue {
  switch (type) {
    case 'string':
      return text;
    case 'int': {
      if (!INT.test(text)) throw new SvsError('BAD_REQUEST', `字段 ${field} 应为整数，收到 '${text.slice(0, 20)}' / ${field} must be an integer`);
      const n = text.toLowerCase().includes('0x') ? parseInt(text, 16) : parseInt(text, 10);
      if (!Number.isSafeInteger(n) || Math.abs(n) > 0xffffffff) throw new SvsError('BAD_REQUEST', `字段 ${field} 超出范围 / ${field} out of range`);
      return n;
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new SvsError('BAD_REQUEST', `字段 ${field} 应为 true/false，收到 '${text.slice(0, 20)}' / ${field} must be a boolean`);
    case 'base64Binary':
      return decodeBase64Strict(text, field);
    case 'dateTime': {
      const t = Date.parse(text);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) throw new SvsError('BAD_REQUEST', `字段 ${field} 应为 xsd:dateTime（如 2026-01-31T08:00:00Z）/ ${field} must be an xsd:dateTime`);
      return new Date(t);
    }
  }
}

export function coerceArgs(op: ContractOperation, fields: Record<string, string>): Args {
  const known = new Map(op.request.map((f) => [f.name, f]));
  for (const name of Object.keys(fields)) {
    if (!known.has(name)) throw new SvsError('BAD_REQUEST', `${op.name} 没有字段 ${name}（可用：${op.request.map((f) => f.name).join(', ')}）/ unknown field ${name}`);
  }
  const args: Args = {};
  for (const f of op.request) {
    const text = fields[f.name];
    if (text === undefined || (text === '' && f.type !== 'string' && f.type !== 'base64Binary')) {
      if (f.required) throw new SvsError('BAD_REQUEST', `缺少必填字段 ${f.name} / missing required field ${f.name}`);
      continue;
    }
    args[f.name] = coerce(f.name, f.type, text);
  }
  return args;
}
