/**
 * Paper bills (纸质票据), print jobs and reprint applications. Every change here runs the state
 * machines of src/domain (ebill-state, paper-state, paper-link-state) inside one transaction, and
 * every paper number is taken through takeNumber (stock.ts), so a paper number is used once and in
 * the place's order. Outcomes are typed: a refusal carries the HIS code and message name of the
 * machine's table (or of the rules here) with its parameters; the engine turns it into the answer.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { decideEBill, ebillState } from '../domain/ebill-state';
import { decideLink, linkState, type LinkEvent } from '../domain/paper-link-state';
import { decidePaper, type PaperEvent, type PaperState } from '../domain/paper-state';
import type { Refusal } from '../domain/state-machine';
import { stamp17 } from '../domain/time';
import { eventJob, paperConvertEvent, paperVoidEvent } from '../domain/finance-event';
import { type BillRow, insertJob } from './bills';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb, SqlTx } from './sql';
import { peekNumberOf, StockStore, takeNumber } from './stock';

export interface PaperRow {
  id: number;
  paper_batch_code: string;
  paper_no: string;
  place_code: string;
  bill_kind: string;
  state: Exclude<PaperState, 'blank'>;
  bill_id: number | null;
  operator: string | null;
  reason: string | null;
  bus_date_time: string | null;
  linked_time: string | null;
  voided_time: string | null;
  print_count: number;
  replaced_by_id: number | null;
  message_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface PrintJobRow {
  id: number;
  service_id: string;
  document: string;
  bill_id: number;
  paper_bill_id: number | null;
  page_from: number | null;
  page_to: number | null;
  reprint_application_id: number | null;
  message_id: string | null;
  pdf_sha256: string;
  pdf_bytes: number;
  created_at: number;
}

export interface ReprintApplication {
  id: number;
  paper_bill_id: number;
  applicant: string;
  reason: string;
  state: 'pending' | 'approved' | 'rejected' | 'used';
  approver: string | null;
  decided_at: number | null;
  used_at: number | null;
  print_job_id: number | null;
  created_at: number;
}

/** What flows and mappings see of a paper bill. */
export interface PaperView {
  id: number;
  pBillBatchCode: string;
  pBillNo: string;
  state: string;
  billId?: number;
  placeCode: string;
  /** when it was linked (yyyyMMddHHmmssSSS) */
  linkedTime?: string;
  busDateTime?: string;
  printCount: number;
}

export function paperView(r: PaperRow): PaperView {
  return {
    id: r.id,
    pBillBatchCode: r.paper_batch_code,
    pBillNo: r.paper_no,
    state: r.state,
    billId: r.bill_id ?? undefined,
    placeCode: r.place_code,
    linkedTime: r.linked_time ?? undefined,
    busDateTime: r.bus_date_time ?? undefined,
    printCount: Number(r.print_count),
  };
}

/** A refusal with the values its message template names. */
export interface PaperRefusal extends Refusal {
  params: Record<string, string | number>;
  field?: string;
}

export type PaperOutcome<T> = { ok: true; value: T } | { ok: false; refusal: PaperRefusal };

/** Thrown inside a transaction to roll it back (a number taken by mistake goes back), caught below. */
class Refused extends Error {
  constructor(readonly refusal: PaperRefusal) {
    super(refusal.code);
  }
}
const refuse = (r: Refusal, params: Record<string, string | number>, field?: string): never => {
  throw new Refused({ ...r, params, field });
};

/** Why the stock refused a blank void, in the words of its refusal (the E2237 message carries it). */
function stockDetail(r: { kind: string } & Record<string, unknown>): string {
  switch (r.kind) {
    case 'unknownPlace':
      return '开票点未登记';
    case 'notHeld':
      return '不全是该开票点未使用的空白票（已使用、已作废、已退回或不在该开票点）';
    case 'notInStore':
      return '该号段未入库';
    case 'badRange':
      return String(r.detail ?? '号段无效');
    default:
      return r.kind;
  }
}

export const billLabel = (b: { bill_batch_code: string; bill_no: string }): string => `${b.bill_batch_code}-${b.bill_no}`;
export const paperLabel = (code: string, no: string): string => `${code}-${no}`;

/** invalidBlankBillNo voids at most this many blanks in one request (one transaction). */
export const MAX_BLANK_VOID = 1000;

export interface TurnRequest {
  billId: number;
  pBillBatchCode: string;
  pBillNo: string;
  placeCode: string;
  operator: string;
  busDateTime: string;
  messageId: string;
}

export interface BlankVoid {
  placeCode: string;
  pBillBatchCode: string;
  start: string;
  end: string;
  author: string;
  reason: string;
  busDateTime: string;
  messageId: string;
}

export interface LinkedVoid {
  /** the request's message, kept on the finance event's outbox row */
  messageId?: string;
  pBillBatchCode: string;
  pBillNo: string;
  author: string;
  reason: string;
  busDateTime: string;
}

export interface NewPrint {
  serviceId: string;
  document: 'paper-bill' | 'ebill' | 'ebill-list';
  billId: number;
  paperBillId?: number;
  pages?: { from: number; to: number };
  pdf: Buffer;
  messageId: string;
}

export class PaperStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
    /** blank voids are stock movements: the ledger (stock.ts) records them */
    private readonly stock: StockStore,
  ) {}

  private async attempt<T>(work: (tx: SqlTx) => Promise<T>): Promise<PaperOutcome<T>> {
    try {
      return { ok: true, value: await this.writer.run(work) };
    } catch (e) {
      if (e instanceof Refused) return { ok: false, refusal: e.refusal };
      throw e;
    }
  }

  /** The place's next paper number of that paper code (getPaperBillNo): read only, nothing taken. */
  async nextPaper(placeCode: string, pBillBatchCode: string): Promise<PaperOutcome<{ pBillBatchCode: string; pBillNo: string }>> {
    const next = await peekNumberOf(this.sql, placeCode, 'paper', { billBatchCode: pBillBatchCode || undefined });
    if (!next) return { ok: false, refusal: { code: 'E2231', message: 'noPaper', params: { placeCode, what: pBillBatchCode ? `纸质票据代码 pBillBatchCode ${pBillBatchCode}` : '纸质票据' }, field: 'pBillBatchCode' } };
    return { ok: true, value: { pBillBatchCode: next.billBatchCode, pBillNo: next.billNo } };
  }

  paperByNumber(pBillBatchCode: string, pBillNo: string): Promise<PaperRow | undefined> {
    return this.sql.get<PaperRow>('SELECT * FROM paper_bills WHERE paper_batch_code = ? AND paper_no = ?', [pBillBatchCode, pBillNo]);
  }

  paperHistory(billId: number): Promise<PaperRow[]> {
    return this.db<PaperRow>('paper_bills').where('bill_id', billId).orderBy('id');
  }

  /**
   * turnPaper (mode turn) and reTurnPaper (mode reTurn): links the e-bill to the paper number sent,
   * which must be the place's next paper number of the e-bill's kind; reTurn voids the old paper.
   * The same request again (same e-bill, same paper) is done already and answers as done.
   */
  turn(mode: Extract<LinkEvent, 'turn' | 'reTurn'>, r: TurnRequest): Promise<PaperOutcome<{ paper: PaperRow; voided?: PaperRow; repeated: boolean }>> {
    return this.attempt(async (tx) => {
      const bill = await tx.get<BillRow>('SELECT * FROM bills WHERE id = ?' + tx.forUpdate, [r.billId]);
      if (!bill) throw new Error(`bill ${r.billId} vanished`);
      const b = billLabel(bill);
      const p = paperLabel(r.pBillBatchCode, r.pBillNo);
      if (bill.kind === 'red') refuse({ code: 'E2205', message: 'turnRedBill' }, { bill: b }, 'billNo');
      const e = decideEBill(ebillState(bill), 'turnPaper');
      if (!e.ok) refuse(e.refusal, { bill: b }, 'billNo');
      const current = bill.paper_no ? paperLabel(bill.paper_batch_code ?? '', bill.paper_no) : '';
      if (current === p) {
        const same = await this.paperIn(tx, r.pBillBatchCode, r.pBillNo);
        if (same && same.bill_id === bill.id) return { paper: same, repeated: true };
      }
      const hadPaper = !bill.paper_no && !!(await tx.get('SELECT id FROM paper_bills WHERE bill_id = ? LIMIT 1', [bill.id]));
      const l = decideLink(linkState(bill, hadPaper), mode);
      if (!l.ok) refuse(l.refusal, { bill: b, paper: current }, 'billNo');
      const existing = await this.paperIn(tx, r.pBillBatchCode, r.pBillNo);
      if (existing) {
        const d = decidePaper(existing.state, 'turn');
        if (!d.ok) refuse(d.refusal, { paper: p, bill: await this.labelOf(tx, existing.bill_id) }, 'pBillNo');
      }
      const taken = await takeNumber(tx, r.placeCode, 'paper', bill.bill_kind);
      if (!taken) refuse({ code: 'E2231', message: 'noPaper' }, { placeCode: r.placeCode, what: bill.bill_kind }, 'placeCode');
      if (taken!.billBatchCode !== r.pBillBatchCode || taken!.billNo !== r.pBillNo)
        refuse({ code: 'E2230', message: 'notNext' }, { paper: p, placeCode: r.placeCode, next: paperLabel(taken!.billBatchCode, taken!.billNo) }, 'pBillNo');
      const now = Date.now();
      const time = stamp17(now);
      let voided: PaperRow | undefined;
      if (mode === 'reTurn') {
        const old = await this.paperIn(tx, bill.paper_batch_code ?? '', bill.paper_no ?? '');
        if (old) {
          const d = decidePaper(old.state, 'voidLinked');
          if (!d.ok) refuse(d.refusal, { paper: current, bill: b }, 'billNo');
          await tx.run('UPDATE paper_bills SET state = ?, reason = ?, voided_time = ?, updated_at = ? WHERE id = ?', ['voided', `重新换开为纸质票据 ${p}`, time, now, old.id]);
          voided = { ...old, state: 'voided', voided_time: time };
        }
      }
      const row = {
        paper_batch_code: r.pBillBatchCode,
        paper_no: r.pBillNo,
        place_code: r.placeCode,
        bill_kind: bill.bill_kind,
        state: 'linked',
        bill_id: bill.id,
        operator: r.operator.slice(0, 60),
        bus_date_time: r.busDateTime,
        linked_time: time,
        print_count: 0,
        message_id: r.messageId,
        created_at: now,
        updated_at: now,
      };
      const { lastId } = await insertRow(tx, 'paper_bills', row);
      if (voided) await tx.run('UPDATE paper_bills SET replaced_by_id = ? WHERE id = ?', [lastId, voided.id]);
      // paper_time is the conversion's business time (the request's busDateTime), as writeOffEBillToPaper
      // keeps it on a red row: getBillByBusDate lists paper rows by it, beside the bills' busDateTime.
      await tx.run('UPDATE bills SET paper_batch_code = ?, paper_no = ?, paper_time = ?, updated_at = ? WHERE id = ?', [r.pBillBatchCode, r.pBillNo, r.busDateTime, now, bill.id]);
      // Finance hears of both in this transaction: the events are durable exactly when the change is.
      if (voided) {
        const reason = `重新换开为纸质票据 ${p}`;
        await insertJob(tx, eventJob(paperVoidEvent({ placeCode: voided.place_code, pBillBatchCode: voided.paper_batch_code, pBillNo: voided.paper_no, billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, reason, operator: r.operator }, now), r.messageId), now);
      }
      await insertJob(tx, eventJob(paperConvertEvent({ placeCode: r.placeCode, billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, pBillBatchCode: r.pBillBatchCode, pBillNo: r.pBillNo, operator: r.operator }, now), r.messageId), now);
      const paper = { ...row, id: lastId, reason: null, voided_time: null, replaced_by_id: null } as PaperRow;
      return { paper, voided, repeated: false };
    });
  }

  /**
   * invalidBlankBillNo: voids the blanks start..end of one paper code at the place, with the reason.
   * The void is a stock movement (StockStore.voidBlank: the ledger records it, the place's range is cut,
   * the numbers are never taken afterwards); a number already linked to an e-bill or voided is refused
   * first by the paper machine, with its own code, and nothing is voided.
   */
  async voidBlanks(v: BlankVoid): Promise<PaperOutcome<{ count: number }>> {
    const bad = (why: string): PaperOutcome<{ count: number }> => ({ ok: false, refusal: { code: 'E2233', message: 'range', params: { start: v.start, end: v.end, why }, field: 'pBillNoEnd' } });
    if (!/^\d+$/.test(v.start) || !/^\d+$/.test(v.end)) return bad('号码须为数字');
    if (v.start.length !== v.end.length) return bad('起止号码位数不同');
    if (BigInt(v.end) < BigInt(v.start)) return bad('终止号码小于起始号码');
    if (BigInt(v.end) - BigInt(v.start) + 1n > BigInt(MAX_BLANK_VOID)) return bad(`一次最多作废 ${MAX_BLANK_VOID} 张`);
    const used = await this.db<PaperRow>('paper_bills').where('paper_batch_code', v.pBillBatchCode).whereBetween('paper_no', [v.start, v.end]).orderBy('paper_no').first();
    if (used) {
      const d = decidePaper(used.state, 'voidBlank');
      if (!d.ok) return { ok: false, refusal: { ...d.refusal, params: { paper: paperLabel(used.paper_batch_code, used.paper_no), bill: await this.sql.withConnection((tx) => this.labelOf(tx, used.bill_id)) }, field: 'pBillNoStart' } };
    }
    const voided = await this.stock.voidBlank(v.placeCode, { billBatchCode: v.pBillBatchCode, startNo: v.start, endNo: v.end, medium: 'paper' }, `空白票作废：${v.reason}`.slice(0, 200), { operator: v.author.slice(0, 30), source: 'his' });
    if (!voided.ok) return { ok: false, refusal: { code: 'E2237', message: 'notBlank', params: { placeCode: v.placeCode, paper: `${v.pBillBatchCode}-${v.start}–${v.end}`, detail: stockDetail(voided) }, field: 'pBillNoStart' } };
    return { ok: true, value: { count: voided.count } };
  }

  /**
   * invalidPaper's first half: voids a linked paper bill and ends its e-bill's link (the e-bill is
   * red-flushed next, by the red steps). A paper already voided this way resumes: the caller then
   * finishes (or finds) the red-flush.
   */
  voidLinked(v: LinkedVoid): Promise<PaperOutcome<{ paper: PaperRow; billId: number; resumed: boolean }>> {
    return this.attempt(async (tx) => {
      const p = paperLabel(v.pBillBatchCode, v.pBillNo);
      const paper = await this.paperIn(tx, v.pBillBatchCode, v.pBillNo, true);
      const d = decidePaper(paper?.state ?? 'blank', 'voidLinked');
      if (!d.ok) refuse(d.refusal, { paper: p }, 'pBillNo');
      if (!paper!.bill_id) refuse({ code: 'E2211', message: 'voidLinkedBlank' }, { paper: p }, 'pBillNo');
      if (!d.ok || !d.changed) return { paper: paper!, billId: paper!.bill_id!, resumed: true };
      const bill = await tx.get<BillRow>('SELECT * FROM bills WHERE id = ?' + tx.forUpdate, [paper!.bill_id]);
      if (!bill) throw new Error(`bill ${paper!.bill_id} vanished`);
      const linkedHere = bill.paper_batch_code === v.pBillBatchCode && bill.paper_no === v.pBillNo;
      const l = decideLink(linkedHere ? 'linked' : 'none', 'endByVoid');
      if (!l.ok) refuse(l.refusal, { bill: billLabel(bill), paper: p }, 'pBillNo');
      const now = Date.now();
      const time = stamp17(now);
      await tx.run('UPDATE paper_bills SET state = ?, reason = ?, operator = ?, voided_time = ?, updated_at = ? WHERE id = ?', ['voided', v.reason.slice(0, 250), v.author.slice(0, 60), time, now, paper!.id]);
      await tx.run('UPDATE bills SET paper_batch_code = NULL, paper_no = NULL, paper_time = NULL, updated_at = ? WHERE id = ?', [now, bill.id]);
      const event = paperVoidEvent({ placeCode: paper!.place_code, pBillBatchCode: v.pBillBatchCode, pBillNo: v.pBillNo, billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, reason: v.reason, operator: v.author }, now);
      await insertJob(tx, eventJob(event, v.messageId), now);
      return { paper: { ...paper!, state: 'voided', reason: v.reason, voided_time: time }, billId: bill.id, resumed: false };
    });
  }

  /**
   * Stores a print job with its PDF. A paper bill's first print moves it to printed; any later print
   * is a reprint (补打) and uses up one approved application, in the same transaction.
   */
  recordPrint(j: NewPrint): Promise<PaperOutcome<PrintJobRow>> {
    return this.attempt(async (tx) => {
      const now = Date.now();
      let applicationId: number | null = null;
      if (j.paperBillId !== undefined) {
        const paper = await tx.get<PaperRow>('SELECT * FROM paper_bills WHERE id = ?' + tx.forUpdate, [j.paperBillId]);
        if (!paper) throw new Error(`paper bill ${j.paperBillId} vanished`);
        const label = paperLabel(paper.paper_batch_code, paper.paper_no);
        const event: PaperEvent = paper.state === 'printed' ? 'reprint' : 'print';
        const d = decidePaper(paper.state, event);
        if (!d.ok) refuse(d.refusal, { paper: label }, 'pBillNo');
        if (event === 'reprint') {
          const app = await tx.get<ReprintApplication>('SELECT * FROM reprint_applications WHERE paper_bill_id = ? AND state = ? ORDER BY id LIMIT 1' + tx.forUpdate, [paper.id, 'approved']);
          if (!app) {
            const pending = await tx.get<{ state: string }>('SELECT state FROM reprint_applications WHERE paper_bill_id = ? AND state IN (?, ?) ORDER BY id DESC LIMIT 1', [paper.id, 'pending', 'rejected']);
            const state = pending ? (pending.state === 'pending' ? '待审批' : '已被驳回') : '不存在';
            refuse({ code: 'E2215', message: 'noApproval' }, { paper: label, state }, 'pBillNo');
          }
          applicationId = app!.id;
        }
        await tx.run('UPDATE paper_bills SET state = ?, print_count = print_count + 1, updated_at = ? WHERE id = ?', ['printed', now, paper.id]);
      }
      const row = {
        service_id: j.serviceId,
        document: j.document,
        bill_id: j.billId,
        paper_bill_id: j.paperBillId ?? null,
        page_from: j.pages?.from ?? null,
        page_to: j.pages?.to ?? null,
        reprint_application_id: applicationId,
        message_id: j.messageId,
        pdf_sha256: createHash('sha256').update(j.pdf).digest('hex'),
        pdf_bytes: j.pdf.length,
        pdf: j.pdf.toString('base64'),
        created_at: now,
      };
      const { lastId } = await insertRow(tx, 'print_jobs', row);
      if (applicationId !== null) await tx.run('UPDATE reprint_applications SET state = ?, used_at = ?, print_job_id = ? WHERE id = ?', ['used', now, lastId, applicationId]);
      const { pdf: _pdf, ...job } = row;
      return { ...job, id: lastId };
    });
  }

  printJobs(billId: number): Promise<PrintJobRow[]> {
    return this.db<PrintJobRow>('print_jobs').select('id', 'service_id', 'document', 'bill_id', 'paper_bill_id', 'page_from', 'page_to', 'reprint_application_id', 'message_id', 'pdf_sha256', 'pdf_bytes', 'created_at').where('bill_id', billId).orderBy('id');
  }

  async printJobPdf(id: number): Promise<Buffer | undefined> {
    const r = await this.db('print_jobs').select('pdf').where('id', id).first();
    return r ? Buffer.from(String(r.pdf), 'base64') : undefined;
  }

  /** A reprint application for a printed paper bill (the applicant is checked against paper.staff by the caller). */
  applyReprint(pBillBatchCode: string, pBillNo: string, applicant: string, reason: string): Promise<PaperOutcome<ReprintApplication>> {
    return this.attempt(async (tx) => {
      const p = paperLabel(pBillBatchCode, pBillNo);
      const paper = await this.paperIn(tx, pBillBatchCode, pBillNo);
      const d = decidePaper(paper?.state ?? 'blank', 'reprint');
      if (!d.ok) refuse(d.refusal, { paper: p }, 'pBillNo');
      const row = { paper_bill_id: paper!.id, applicant, reason: reason.slice(0, 250), state: 'pending', created_at: Date.now() };
      const { lastId } = await insertRow(tx, 'reprint_applications', row);
      return { ...row, id: lastId, approver: null, decided_at: null, used_at: null, print_job_id: null } as ReprintApplication;
    });
  }

  /** Approves or rejects a pending application; the decider is never its applicant. */
  decideReprint(id: number, decider: string, approve: boolean): Promise<PaperOutcome<ReprintApplication>> {
    return this.attempt(async (tx) => {
      const app = await tx.get<ReprintApplication>('SELECT * FROM reprint_applications WHERE id = ?' + tx.forUpdate, [id]);
      if (!app) refuse({ code: 'E2234', message: 'unknownApplication' }, { id });
      if (app!.state !== 'pending') refuse({ code: 'E2234', message: 'notPending' }, { id, state: app!.state });
      if (app!.applicant === decider) refuse({ code: 'E2234', message: 'selfApproval' }, { id, account: decider });
      const now = Date.now();
      const state = approve ? 'approved' : 'rejected';
      await tx.run('UPDATE reprint_applications SET state = ?, approver = ?, decided_at = ? WHERE id = ?', [state, decider, now, id]);
      return { ...app!, state, approver: decider, decided_at: now };
    });
  }

  reprintApplications(state?: string): Promise<(ReprintApplication & { paper_batch_code: string; paper_no: string })[]> {
    const q = this.db('reprint_applications as a').join('paper_bills as p', 'p.id', 'a.paper_bill_id').select('a.*', 'p.paper_batch_code', 'p.paper_no').orderBy('a.id');
    if (state) q.where('a.state', state);
    return q;
  }

  private paperIn(tx: SqlTx, code: string, no: string, lock = false): Promise<PaperRow | undefined> {
    return tx.get<PaperRow>('SELECT * FROM paper_bills WHERE paper_batch_code = ? AND paper_no = ?' + (lock ? tx.forUpdate : ''), [code, no]);
  }

  private async labelOf(tx: SqlTx, billId: number | null): Promise<string> {
    if (!billId) return '';
    const b = await tx.get<{ bill_batch_code: string; bill_no: string }>('SELECT bill_batch_code, bill_no FROM bills WHERE id = ?', [billId]);
    return b ? billLabel(b) : '';
  }
}
