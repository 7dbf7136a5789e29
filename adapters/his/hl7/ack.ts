/**
 * The HL7 ACK answering a message: MSA-1 AA with the bill identity in a ZEB segment, or AE/AR with the
 * Chinese reason in MSA-3 and ERR. AR (rejected) when the message itself is unacceptable (unreadable,
 * unknown sender, wrong version, no flow for it: E0xxx and E27xx); AE (application error) when it was
 * read and the business refused or failed (validation, stock, signer…).
 * Written in the encoding the message came in, with its delimiters.
 */
import { HIS_CODES } from '../../../src/engine/codes';
import { isoBeijing } from '../../../src/domain/time';
import type { FlowError } from '../../../src/engine/errors';
import { DEFAULT_DELIMITERS, Delimiters, OutSegment, writeEr7 } from './er7';
import type { Hl7Encoding, Hl7Header } from '../../../src/engine/hl7-tree';
import { FieldTypes, writeHl7Xml } from './xml';

export type AckCode = 'AA' | 'AE' | 'AR';

/** What an accepted message answers (the flow's response mapping, hl7/bill-to-ack). */
export interface AckBill {
  billBatchCode?: string;
  billNo?: string;
  random?: string;
  createTime?: string;
  pictureUrl?: string;
}

export interface AckInput {
  header: Hl7Header;
  encoding: Hl7Encoding;
  delimiters?: Delimiters;
  /** the ACK's own control id: the stored message's id */
  msgId: string;
  at: number;
  result: string;
  error?: FlowError;
  response?: unknown;
  /** our MSH-3/MSH-4 */
  application: string;
  facility: string;
}

export function ackCode(result: string): AckCode {
  if (result === 'S0000') return 'AA';
  return /^E(0|27)/.test(result) ? 'AR' : 'AE';
}

/** HL7 table 0357 (message error condition codes) for our result codes. */
function conditionCode(result: string): [string, string] {
  if (result === 'E2703') return ['203', 'Unsupported version id'];
  if (result === 'E2704') return ['200', 'Unsupported message type'];
  if (result === 'E2702') return ['204', 'Unknown key identifier'];
  if (result === 'E2701' || result.startsWith('E0')) return ['102', 'Data type error'];
  if (result.startsWith('E1')) return ['207', 'Application internal error'];
  return ['207', 'Application internal error'];
}

const TYPES: FieldTypes = {
  MSH: [undefined, undefined, 'HD', 'HD', 'HD', 'HD', 'TS', undefined, 'MSG', undefined, 'PT', 'VID'],
  ERR: [undefined, 'ERL', 'CWE', undefined, 'CWE', undefined, undefined, undefined],
};

/** HL7 TS in Beijing time: yyyyMMddHHmmss+0800. */
function stamp(ms: number): string {
  return isoBeijing(ms).replace(/[-:T]/g, '').slice(0, 14) + '+0800';
}

export function buildAck(a: AckInput): string {
  const code = ackCode(a.result);
  const h = a.header;
  const event = h.messageType?.split('^')[1] ?? '';
  const text = a.error ? a.error.message : '成功';
  const segments: OutSegment[] = [
    {
      name: 'MSH',
      fields: [undefined, undefined, a.application, a.facility, h.sendingApplication ?? '', h.sendingFacility ?? '', stamp(a.at), undefined, ['ACK', event, 'ACK'], a.msgId, h.processingId ?? 'P', h.version ?? '2.5'],
    },
    { name: 'MSA', fields: [code, h.controlId ?? '', text] },
  ];
  if (a.error) {
    const [cond, condText] = conditionCode(a.result);
    const title = (HIS_CODES as Record<string, { title: string }>)[a.result]?.title ?? '';
    segments.push({ name: 'ERR', fields: [undefined, undefined, [cond, condText, 'HL70357'], 'E', [a.result, title, 'MEDBILL'], undefined, a.error.field ?? '', text] });
  } else if (a.response && typeof a.response === 'object') {
    const b = a.response as AckBill;
    segments.push({ name: 'ZEB', fields: [b.billBatchCode ?? '', b.billNo ?? '', b.random ?? '', b.createTime ?? '', b.pictureUrl ?? ''] });
  }
  const d = a.delimiters ?? DEFAULT_DELIMITERS;
  if (a.encoding === 'er7') return writeEr7(segments, d);
  return writeHl7Xml(segments, a.encoding, 'ACK', TYPES);
}
