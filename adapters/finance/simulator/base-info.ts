/**
 * GET /api/base-info — the simulated finance bureau's base information (bill kinds, the charge-item
 * catalogue, code tables), read from the YAML data files in ./data (data, not code: a demo changes the
 * catalogue by editing a file). The version is a digest of the files, so it changes whenever anything
 * in them does and a medbill that holds that version knows it holds this exact set.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { parse } from 'yaml';
import type { FinanceBaseInfo, FinanceBillKind, FinanceChargeItem } from '../../../src/engine/finance';
import type { Problems } from '../../../src/engine/lint';

const FILES = ['bill-kinds.yaml', 'charge-items.yaml', 'code-tables.yaml'] as const;

export function baseInfoDir(projectRoot: string): string {
  return path.join(projectRoot, 'adapters', 'finance', 'simulator', 'data');
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Reads and checks the data files; a mistake in them stops the simulator with the file named. */
export function loadBaseInfo(dir: string): FinanceBaseInfo {
  const hash = createHash('sha256');
  const docs = FILES.map((f) => {
    const file = path.join(dir, f);
    const text = fs.readFileSync(file, 'utf8');
    hash.update(f).update('\0').update(text).update('\0');
    const doc = parse(text) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') throw new Error(`${file}: not a YAML map`);
    return { file, doc };
  });
  const [kinds, items, tables] = docs;
  const billKinds = (Array.isArray(kinds.doc.billKinds) ? kinds.doc.billKinds : []).map((k: Record<string, unknown>, i: number): FinanceBillKind => {
    if (!isStr(k?.billCode) || !/^\d{4}$/.test(k.billCode) || !isStr(k.name)) throw new Error(`${kinds.file}: billKinds[${i}] needs billCode (4 digits) and name`);
    const media = strList(k.media).filter((m): m is 'ebill' | 'paper' => m === 'ebill' || m === 'paper');
    return { billCode: k.billCode, name: k.name, media: media.length ? media : ['ebill'] };
  });
  const seen = new Set<string>();
  const chargeItems = (Array.isArray(items.doc.chargeItems) ? items.doc.chargeItems : []).map((c: Record<string, unknown>, i: number): FinanceChargeItem => {
    if (!isStr(c?.code) || !isStr(c.name)) throw new Error(`${items.file}: chargeItems[${i}] needs code and name (quote codes such as "01")`);
    if (seen.has(c.code)) throw new Error(`${items.file}: chargeItems[${i}] repeats code ${c.code}`);
    seen.add(c.code);
    for (const k of ['validFrom', 'validTo'] as const) if (c[k] !== undefined && !/^\d{8}$/.test(String(c[k]))) throw new Error(`${items.file}: chargeItems[${i}].${k} must be yyyyMMdd`);
    return {
      code: c.code,
      name: c.name,
      billCodes: strList(c.billCodes),
      ...(c.validFrom !== undefined ? { validFrom: String(c.validFrom) } : {}),
      ...(c.validTo !== undefined ? { validTo: String(c.validTo) } : {}),
    };
  });
  const codeTables: Record<string, Record<string, string>> = {};
  for (const [name, table] of Object.entries((tables.doc.codeTables ?? {}) as Record<string, Record<string, unknown>>)) {
    codeTables[name] = Object.fromEntries(Object.entries(table ?? {}).map(([k, v]) => [k, String(v)]));
  }
  return { version: hash.digest('hex').slice(0, 16), billKinds, chargeItems, codeTables };
}

/**
 * The data files as `medbill validate` sees them: each mistake one FINB_BASE_INFO problem at its file,
 * so a broken catalogue is caught before the simulator refuses to start on it.
 */
export function checkBaseInfo(dir: string, problems: Problems): void {
  // A tree without the simulator (an overlay check, a copy of the definitions alone) has nothing to check.
  if (!fs.existsSync(dir)) return;
  try {
    loadBaseInfo(dir);
  } catch (e) {
    const message = (e as Error).message;
    const file = FILES.map((f) => path.join(dir, f)).find((f) => message.startsWith(f)) ?? path.join(dir, FILES[0]);
    problems.add({ file, line: 1, col: 1 }, 'FINB_BASE_INFO', '', { detail: message.replace(`${file}: `, '') });
  }
}

export function baseInfoRoutes(info: FinanceBaseInfo): express.Router {
  const r = express.Router();
  const body = JSON.stringify(info);
  r.get('/api/base-info', (_req, res) => {
    res.type('application/json; charset=utf-8').set('etag', `"${info.version}"`).send(body);
  });
  return r;
}
