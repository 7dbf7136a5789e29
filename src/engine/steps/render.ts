/**
 * render: the documents made from a stored bill (src/render/) — a print job with its PDF (paper-bill,
 * ebill, ebill-list: stored in print_jobs), the list's page count (list-total), or the 告知单 PNG
 * (notice). A paper bill printed before is printed again only as an approved reprint (补打).
 */
import { decideEBill, ebillState } from '../../domain/ebill-state';
import { billDocument, BillDocument, listPages, UnitFacts } from '../../render/bill-document';
import { billPdf } from '../../render/bill-pdf';
import { noticePng } from '../../render/notice-png';
import type { BillRow } from '../../store/bills';
import type { Config } from '../../config';
import { hisError } from '../errors';
import type { Services } from '../services';
import type { PortMap } from '../slots';
import { defineStep } from '../step';
import { paperError } from './paper';

type Document = 'paper-bill' | 'ebill' | 'ebill-list' | 'list-total' | 'notice';

const reads = {
  bill: { type: 'Bill', doc: 'the bill rendered' },
  paper: { type: 'PaperBill', optional: true, doc: 'the paper bill printed (paper-bill)' },
  input: { type: 'Json', optional: true, doc: 'the request: page range (ebill-list), isReturnPic (notice)' },
} as const;
const writes = { printed: { type: 'Json', doc: 'print job { jobId, pdfBytes, pages } | { total } | the notice fields' } } as const;

export function unitFacts(cfg: Config): UnitFacts {
  return { name: cfg.unit.name, eInvoiceTag: cfg.unit.eInvoiceTag, billNames: cfg.unit.billNames, sealName: cfg.unit.sealName, checkSite: cfg.paper?.checkSite };
}

/** The bill as its documents show it (its red bill's original is named on a red bill). */
export async function documentOf(services: Services, row: BillRow): Promise<BillDocument> {
  const related = row.related_bill_id ? await services.bills.byId(row.related_bill_id) : undefined;
  return billDocument(row, unitFacts(services.config), related);
}

const int = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return v === undefined || v === null || v === '' || !Number.isFinite(n) ? dflt : Math.trunc(n);
};

export const renderStep = defineStep<{ document: Document }, typeof reads, typeof writes>({
  kind: 'render',
  doc: 'Renders a stored bill: a print job with its PDF (document paper-bill | ebill | ebill-list, kept in print_jobs), the page count of its list (list-total) or the 告知单 PNG (notice). Reprint without approval: E2215; pages out of range: E2235.',
  optionsSchema: { type: 'object', required: ['document'], additionalProperties: false, properties: { document: { enum: ['paper-bill', 'ebill', 'ebill-list', 'list-total', 'notice'] } } },
  reads: reads as unknown as PortMap as typeof reads,
  writes,
  atomic: true,
  prepare(o) {
    return async ({ in: { bill, paper, input }, out, ctx }) => {
      const row = await ctx.services.bills.byId(bill.id);
      const label = `${bill.billBatchCode}-${bill.billNo}`;
      if (!row) throw hisError('E2002', 'billNumber', { billBatchCode: bill.billBatchCode, billNo: bill.billNo }, 'billNo');
      const printable = decideEBill(ebillState(row), 'print');
      if (!printable.ok) throw paperError({ ...printable.refusal, params: { bill: label }, field: 'billNo' });
      const doc = await documentOf(ctx.services, row);
      const req = (input ?? {}) as Record<string, unknown>;
      if (o.document === 'list-total') {
        out.printed = { total: String(listPages(doc)) };
        return;
      }
      if (o.document === 'notice') {
        const notice: Record<string, unknown> = { billBatchCode: row.bill_batch_code, billNo: row.bill_no, random: row.random ?? '', createTime: row.create_time ?? '', billQRCode: row.qr_png ?? '' };
        if (String(req.isReturnPic ?? '1') === '1') notice.pictureData = noticePng(doc).toString('base64');
        out.printed = notice;
        return;
      }
      let pdf: Buffer;
      let pages: { from: number; to: number } | undefined;
      if (o.document === 'ebill-list') {
        const total = listPages(doc);
        const from = int(req.pageNoBgn, 0);
        const to = int(req.pageNoEnd, total);
        if (from < 0 || to < from || to > total) throw hisError('E2235', 'pages', { from, to, total }, 'pageNoEnd');
        pages = { from, to };
        pdf = await billPdf(doc, { bill: from === 0, listFrom: Math.max(1, from), listTo: to });
      } else {
        pdf = await billPdf(doc, o.document === 'paper-bill' ? { paper: paper ? { code: paper.pBillBatchCode, no: paper.pBillNo } : undefined, reprint: (paper?.printCount ?? 0) > 0 } : {});
      }
      const job = await ctx.services.paper.recordPrint({
        serviceId: ctx.msg.serviceId,
        document: o.document,
        billId: row.id,
        paperBillId: o.document === 'paper-bill' ? paper?.id : undefined,
        pages,
        pdf,
        messageId: ctx.msg.id,
      });
      if (!job.ok) throw paperError(job.refusal);
      out.printed = { jobId: job.value.id, pdfBytes: job.value.pdf_bytes, pdfSha256: job.value.pdf_sha256, reprint: job.value.reprint_application_id !== null };
    };
  },
});
