/**
 * The notice channel medbill ships today: it records the rendered message (and the masked address) in
 * notice_deliveries instead of sending it. It stands in for the SMS and e-mail gateways outside the
 * hospital, which are configured per site and come later (they implement the same NoticeChannel).
 */
import type { NoticeChannel, NoticeMessage } from '../../src/engine/jobs/bill-notice';
import type { NoticeStore } from '../../src/store/notices';

export class RecordingNoticeChannel implements NoticeChannel {
  readonly name = 'recording';
  constructor(private readonly store: NoticeStore) {}

  async send(m: NoticeMessage): Promise<void> {
    await this.store.record({ bill_id: m.billId, notice_type: m.noticeType, channel: this.name, address_masked: m.addressMasked, rendered: m.text, job_key: m.jobKey });
  }
}
