/**
 * The HTML of the public check page: one self-contained page (no scripts, no external assets), sized
 * for a phone, in Chinese. Every value is escaped; the form posts so the payer's name stays out of URLs.
 */
import { xmlEscape as esc } from '../../../src/xml-escape';
import type { BillcheckQuery, BillcheckResult, SignatureStatus } from './billcheck';

const STYLE = `
body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f4f5f7;color:#222}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
form,section{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
label{display:block;margin:.5rem 0 .25rem;color:#555}
input{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #ccc;border-radius:6px}
button{width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;border:0;border-radius:6px;background:#c62828;color:#fff}
dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem .75rem;margin:0}
dt{color:#666}dd{margin:0;word-break:break-all}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}
.verdict{font-size:1.1rem;margin:0 0 .75rem}
small{color:#777}`;

export function renderBillcheckPage(q: BillcheckQuery, result?: BillcheckResult): string {
  return (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>财政电子票据查验</title><style>${STYLE}</style></head><body><main>` +
    '<h1>财政电子票据查验</h1>' +
    (result ? renderResult(result) : '') +
    renderForm(q, result) +
    '<small>本页面为 medbill 内置财政电子票据模拟系统，仅用于演示和测试。</small>' +
    '</main></body></html>'
  );
}

function renderForm(q: BillcheckQuery, result?: BillcheckResult): string {
  const asked = result && !result.found && result.captcha ? result.captcha : undefined;
  const field = (name: keyof BillcheckQuery, label: string, extra = '') =>
    `<label for="${name}">${label}</label><input id="${name}" name="${name}" value="${esc(q[name])}" autocomplete="off"${extra}>`;
  return (
    '<form method="post" action="billcheck">' +
    field('payer', '交款人') +
    field('billBatchCode', '票据代码', ' inputmode="numeric" required') +
    field('billNo', '票据号码', ' inputmode="numeric" required') +
    field('random', '校验码', ' required') +
    (asked
      ? `<label for="captcha">验证码</label><img src="${esc(asked.image)}" alt="验证码图片" width="150" height="50">` +
        `<input type="hidden" name="captchaId" value="${esc(asked.id)}"><input id="captcha" name="captcha" autocomplete="off" required>`
      : '') +
    '<button type="submit">查验</button></form>'
  );
}

function renderResult(r: BillcheckResult): string {
  if (!r.found) return `<section><p class="verdict bad">${esc(r.message)}</p></section>`;
  const b = r.bill;
  const genuine = r.signatures.unit.verified && r.signatures.supervisor.verified;
  const row = (k: string, v: string) => `<dt>${k}</dt><dd>${esc(v)}</dd>`;
  return (
    '<section>' +
    (genuine
      ? '<p class="verdict ok">查验通过：该电子票据真实有效，开票单位签名和财政监制签名均验证通过。</p>'
      : '<p class="verdict bad">警告：该电子票据的签名验证未通过，请勿作为报销凭证，并联系开票单位。</p>') +
    '<dl>' +
    row('票据名称', b.billName) +
    row('票据代码', b.billBatchCode) +
    row('票据号码', b.billNo) +
    row('开票日期', `${b.issueDate} ${b.issueTime}`.trim()) +
    row('金额合计', `¥${b.totalAmount}`) +
    row('交款人', b.payer + (b.payerMasked ? '（输入交款人姓名可显示全名）' : '')) +
    row('开票单位', b.invoicingParty) +
    (b.kind === 'red' ? row('票据性质', '红字票据（冲红）') + (b.relatedBill ? row('原票据', `${b.relatedBill.billBatchCode}-${b.relatedBill.billNo}`) : '') : '') +
    (b.redFlushed ? row('票据状态', `已冲红${b.redBill ? `（红票 ${b.redBill.billBatchCode}-${b.redBill.billNo}）` : ''}`) : '') +
    (b.paper ? row('换开纸质票据', `${b.paper.pBillBatchCode}-${b.paper.pBillNo}`) : '') +
    '</dl></section><section><dl>' +
    signatureRows('开票单位签名', r.signatures.unit) +
    signatureRows('财政监制签名', r.signatures.supervisor) +
    '</dl></section>'
  );
}

function signatureRows(label: string, s: SignatureStatus): string {
  return (
    `<dt>${label}</dt><dd class="${s.verified ? 'ok' : 'bad'}">${s.verified ? '验证通过' : '验证失败'}</dd>` +
    (s.signer ? `<dt>签名者</dt><dd>${esc(s.signer)}</dd>` : '') +
    (s.serial ? `<dt>证书序列号</dt><dd>${esc(s.serial)}</dd>` : '')
  );
}
