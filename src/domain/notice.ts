/**
 * Bill notices (sendBillNotice, code table App.6): 1201 a mobile phone (SMS), 1202 an e-mail address.
 * The address is personal data: it travels only in the notice job's payload, is never logged, and is
 * kept masked (138****8000, z***@example.com) wherever medbill records a delivery.
 */
export type NoticeType = '1201' | '1202';

export interface Notice {
  noticeType: NoticeType;
  noticeValue: string;
}

export type NoticeRefusal = { kind: 'phone' | 'email'; index: number };

const PHONE = /^1\d{10}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The first notice whose address does not fit its type (index 1-based, as the HIS programmer counts). */
export function noticeRefusal(list: Notice[]): NoticeRefusal | undefined {
  for (const [i, n] of list.entries()) {
    const v = n.noticeValue.trim();
    if (n.noticeType === '1201' && !PHONE.test(v)) return { kind: 'phone', index: i + 1 };
    if (n.noticeType === '1202' && !EMAIL.test(v)) return { kind: 'email', index: i + 1 };
  }
  return undefined;
}

export function maskAddress(type: string, value: string): string {
  const v = value.trim();
  if (type === '1201') return v.length >= 7 ? `${v.slice(0, 3)}****${v.slice(-4)}` : '****';
  const at = v.indexOf('@');
  return at > 0 ? `${v[0]}***${v.slice(at)}` : '***';
}

export interface NoticeBill {
  unitName: string;
  billName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  totalAmt: string;
  payer: string;
  pageUrl: string;
}

/** The text a patient receives: who issued which bill, its check elements and where to see it. */
export function renderNotice(type: string, b: NoticeBill): string {
  const body = `${b.payer}，您好！${b.unitName}已为您开具${b.billName}：票据代码 ${b.billBatchCode}，票据号码 ${b.billNo}，校验码 ${b.random}，金额 ${b.totalAmt} 元。查看：${b.pageUrl}`;
  return type === '1202' ? `主题：${b.billName}（${b.billBatchCode}-${b.billNo}）\n\n${body}` : `【${b.unitName}】${body}`;
}
