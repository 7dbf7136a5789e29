/**
 * sign: the unit signature (detached SM2 SignedData) through the configured Signer, and the bill's QR
 * PNG in the worker pool, in parallel. Neither holds a database transaction (DESIGN §8).
 */
import { qrText } from '../../domain/bill-view';
import { FlowError, RESULT } from '../errors';
import type { StepKind } from '../step';
import type { PendingIssue } from './fiscal-xml';

export const signStep: StepKind<Record<string, never>> = {
  kind: 'sign',
  doc: 'Signs the pending fiscal XML text with the unit key (signer: in-process or SVS) and renders the QR code.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  prepare() {
    return async (rc) => {
      const p = rc.vars.pending as PendingIssue;
      const tag = rc.services.config.unit.eInvoiceTag;
      const signer = rc.services.signer;
      try {
        if (signer.signDetachedWithQr) {
          const r = await signer.signDetachedWithQr(p.content, qrText(tag, p));
          rc.vars.signature = { signature: r.signature, certSerial: r.certSerial };
          rc.vars.qrPng = r.qrPng;
        } else {
          const [sig, qr] = await Promise.all([
            signer.signDetached(p.content, { msgId: rc.msg.id, busNo: rc.msg.busNo }),
            rc.services.pool.run({ op: 'qrPng', text: qrText(tag, p) }),
          ]);
          rc.vars.signature = sig;
          rc.vars.qrPng = qr.qrPng;
        }
      } catch (e) {
        if (e instanceof FlowError) throw e;
        throw new FlowError('Unavailable', RESULT.signUnavailable, '签名服务暂不可用，票据号已保留，请稍后用相同业务流水号重试或用 getEBillByBusNo 查询', undefined, e);
      }
    };
  },
};
