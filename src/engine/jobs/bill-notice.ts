/**
 * Outbox job of topic `bill-notice` (enqueued by the notify step): renders the notice of one bill and
 * hands it to the notice channel of its type. Channels outside the hospital (SMS and e-mail gateways)
 * come later; today's channel records the rendered message (adapters/notice/recording.ts).
 */
import { maskAddress, renderNotice } from '../../domain/notice';
import type { BillRow } from '../../store/bills';
import { log } from '../../log';
import { PermanentJobError, type JobHandler } from '../outbox';
import type { Services } from '../services';

export const BILL_NOTICE_TOPIC = 'bill-notice';

export interface NoticeMessage {
  billId: number;
  noticeType: string;
  /** the phone number or e-mail address: pass to the gateway, never log */
  address: string;
  /** masked for records and logs */
  addressMasked: string;
  text: string;
  jobKey: string;
}

export interface NoticeChannel {
  readonly name: string;
  send(m: NoticeMessage): Promise<void>;
}

function readPayload(p: unknown): { billId: number; noticeType: string; address: string } {
  const o = p as { billId?: unknown; noticeType?: unknown; address?: unknown };
  if (typeof o?.billId !== 'number' || typeof o.noticeType !== 'string' || typeof o.address !== 'string') throw new PermanentJobError('bill-notice payload must be {billId, noticeType, address}');
  return { billId: o.billId, noticeType: o.noticeType, address: o.address };
}

export function createBillNoticeHandler(services: Pick<Services, 'db' | 'config'>, channel: NoticeChannel): JobHandler {
  return async (payload, job) => {
    const p = readPayload(payload);
    const bill = await services.db<BillRow>('bills').where({ id: p.billId }).first();
    if (!bill || bill.state !== 'issued') throw new PermanentJobError(`bill ${p.billId} is not an issued bill`);
    const unit = services.config.unit as { name?: string; billNames?: Record<string, string> };
    const text = renderNotice(p.noticeType, {
      unitName: unit.name ?? '',
      billName: unit.billNames?.[bill.bill_kind] ?? '电子票据',
      billBatchCode: bill.bill_batch_code,
      billNo: bill.bill_no,
      random: bill.random ?? '',
      totalAmt: bill.total_amt ?? '',
      payer: bill.payer ?? '',
      pageUrl: `${services.config.server.publicNetUrl || services.config.server.publicBaseUrl}/h5/ebill/${bill.bill_batch_code}/${bill.bill_no}?random=${bill.random ?? ''}`,
    });
    const addressMasked = maskAddress(p.noticeType, p.address);
    await channel.send({ billId: p.billId, noticeType: p.noticeType, address: p.address, addressMasked, text, jobKey: job.job_key });
    log().info('bill notice delivered', { jobId: job.id, msgId: job.message_id, busNo: job.bus_no, channel: channel.name, noticeType: p.noticeType, to: addressMasked });
  };
}
