/**
 * sign: the unit signature (detached SM2 SignedData) through the configured Signer, and the bill's QR
 * PNG in the worker pool, in parallel. Neither holds a database transaction. A signer failure reaches
 * the HIS in this table's words only (E3001/E3002): its detail, which names hosts, goes to the log.
 */
import { qrText } from '../../domain/fiscal-xml';
import { FlowError, hisError } from '../errors';
import { SignerError } from '../signer';
import { defineStep } from '../step';

const reads = { fiscal: { type: 'FiscalText', doc: 'the text to sign and the identity the QR code carries' } } as const;
const writes = { signature: { type: 'Signature', doc: 'the unit signature, its certificate serial and the QR PNG' } } as const;

export function signerFailure(e: unknown): FlowError {
  if (e instanceof FlowError) return e;
  const reason = e instanceof SignerError ? e.reason : 'Unavailable';
  if (reason === 'Timeout') return hisError('E3002', 'signer', {}, undefined, e);
  return hisError('E3001', reason === 'Rejected' ? 'rejected' : 'signer', {}, undefined, e);
}

export const signStep = defineStep<Record<string, never>, typeof reads, typeof writes>({
  kind: 'sign',
  doc: 'Signs the fiscal text with the unit key (signer: in-process or SVS) and renders the QR code. Signer down: E3001, the number stays reserved for a retry of the busNo.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes,
  roles: ['sign'],
  prepare() {
    return async ({ in: { fiscal: p }, out, ctx }) => {
      const tag = ctx.services.config.unit.eInvoiceTag;
      const signer = ctx.services.signer;
      try {
        if (signer.signDetachedWithQr) {
          const r = await signer.signDetachedWithQr(p.content, qrText(tag, p));
          out.signature = { signature: r.signature, certSerial: r.certSerial, qrPng: r.qrPng };
        } else {
          const [sig, qr] = await Promise.all([
            signer.signDetached(p.content, { msgId: ctx.msg.id, busNo: ctx.msg.busNo }),
            ctx.services.pool.run({ op: 'qrPng', text: qrText(tag, p) }),
          ]);
          out.signature = { signature: sig.signature, certSerial: sig.certSerial, qrPng: qr.qrPng ?? '' };
        }
      } catch (e) {
        const fe = signerFailure(e);
        ctx.log.warn('signing failed', { msgId: ctx.msg.id, busNo: ctx.msg.busNo, code: fe.code, error: (e as Error).message });
        throw fe;
      }
    };
  },
  simulate() {
    return async ({ out }) => {
      out.signature = { signature: '(dry run: not signed)', certSerial: '', qrPng: '' };
    };
  },
});
