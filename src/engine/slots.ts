/**
 * The named values a flow moves from step to step ("slots") and their types. A step kind declares the
 * slots it reads and writes with one of these type names; a flow lists them per step (`reads`,
 * `writes`); the loader proves every read was written earlier on every path and that the types agree.
 * At run time a flow holds its slots in a fixed array indexed at load time, never in a free bag.
 */
import type { PendingIssue } from '../domain/fiscal-xml';
import type { RedRequest } from '../domain/red';
import type { Settlement } from '../domain/settlement';
import type { BillPage, BillView } from '../store/bill-view';
import type { BillRow } from '../store/bills';
import type { PaperView } from '../store/paper';

/** Type name → what a slot of that type holds. */
export interface SlotTypes {
  /** the inbound business data exactly as the channel decoded it (the `input` slot) */
  Request: Record<string, unknown>;
  /** the canonical settlement (v3.2.0 names, decimal text, ISO dates) */
  Settlement: Settlement;
  /** the canonical settlement's text and its SHA-256: what "the same request" means for one busNo */
  RequestHash: { hash: string; canonical: string };
  /** a bill number held for a busNo, not yet an issued bill */
  Reservation: BillRow;
  /** an issued (or red, or voided) bill as mappings see it */
  Bill: BillView;
  /** one page of bills found by a range lookup */
  Bills: BillPage;
  /** the text the unit signs, with the bill identity it carries */
  FiscalText: PendingIssue;
  /** the unit signature and the QR code of a bill */
  Signature: { signature: string; certSerial: string; qrPng: string };
  /** a paper bill number linked to an e-bill, printed or voided (src/store/paper.ts) */
  PaperBill: PaperView;
  /** what a write-off asks (reason, operator, place, time, the paper red bill): red-dedupe/red-allocate */
  RedRequest: RedRequest;
  /** any JSON object (a mapping's result without a declared type) */
  Json: Record<string, unknown>;
}

export type SlotType = keyof SlotTypes;
export const SLOT_TYPES: readonly SlotType[] = ['Request', 'Settlement', 'RequestHash', 'Reservation', 'Bill', 'Bills', 'FiscalText', 'Signature', 'RedRequest', 'PaperBill', 'Json'];

/** Types that hold JSON objects: a port typed Json accepts any of them. */
const OBJECT_TYPES = new Set<SlotType>(['Request', 'Settlement', 'RequestHash', 'Reservation', 'Bill', 'Bills', 'FiscalText', 'Signature', 'RedRequest', 'PaperBill', 'Json']);

export function assignable(actual: SlotType, expected: SlotType): boolean {
  return actual === expected || (expected === 'Json' && OBJECT_TYPES.has(actual));
}

/** The slot every flow starts with: the decoded business data. */
export const INPUT_SLOT = 'input';

export interface PortSpec {
  type: SlotType;
  /** a read that may be absent (the step copes), or a write that happens only sometimes */
  optional?: boolean;
  /** the flow chooses the slot name (a step with one such port in a direction binds any one name) */
  free?: boolean;
  doc: string;
}

export type PortMap = Record<string, PortSpec>;

/** The TypeScript value of each port of a map. */
export type PortValues<P extends PortMap> = { -readonly [K in keyof P]: P[K]['optional'] extends true ? SlotTypes[P[K]['type']] | undefined : SlotTypes[P[K]['type']] };

/** Parses a type reference of a mapping declaration: `Bill`, or `Bill?` for an optional value. */
export function parseTypeRef(ref: string): { type: SlotType; optional: boolean } | undefined {
  const m = /^([A-Za-z]+)(\?)?$/.exec(ref.trim());
  if (!m || !(SLOT_TYPES as readonly string[]).includes(m[1])) return undefined;
  return { type: m[1] as SlotType, optional: !!m[2] };
}
