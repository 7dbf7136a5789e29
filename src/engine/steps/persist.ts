/**
 * persist: turns the reservation into an issued bill and writes the jobs that follow it (finance
 * upload, notices) in the same transaction. After this resolves the bill survives kill -9 (§5.3).
 */
import { billView } from '../../domain/bill-view';
import { fiscalXml } from '../../domain/fiscal-xml';
import type { SignResult } from '../../../adapters/ca/signer';
import type { BillRow } from '../../store/bills';
import type { StepKind } from '../step';
import type { PendingIssue } from './fiscal-xml';

export const persistStep: StepKind<{ enqueue?: string[] }> = {
  kind: 'persist',
  doc: 'Stores the signed bill (reserved → issued) and enqueues the named outbox topics in the same transaction.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { enqueue: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } } },
  },
  prepare(o) {
    const topics = o.enqueue ?? [];
    return async (rc) => {
      const res = rc.vars.reservation as BillRow;
      const p = rc.vars.pending as PendingIssue;
      const sig = rc.vars.signature as SignResult;
      const xml = fiscalXml(p.content, { value: sig.signature, time: p.createTime.slice(0, 14), serialNumber: sig.certSerial });
      const jobs = topics.map((topic) => ({
        topic,
        key: `${p.billBatchCode}-${p.billNo}`,
        payload: { billId: res.id, billBatchCode: p.billBatchCode, billNo: p.billNo },
        maxAttempts: rc.services.config.outbox.retry.maxAttempts,
        messageId: rc.msg.id,
        busNo: res.bus_no ?? undefined,
      }));
      await rc.services.bills.complete(
        res.id,
        {
          random: p.random,
          createTime: p.createTime,
          fiscalXml: xml,
          unitSignature: sig.signature,
          sigCertSerial: sig.certSerial,
          qrPng: String(rc.vars.qrPng),
        },
        jobs,
      );
      rc.vars.bill = { ...billView(res), state: 'issued', random: p.random, createTime: p.createTime, qrPng: String(rc.vars.qrPng) };
    };
  },
};
