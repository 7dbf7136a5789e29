/**
 * The bill page behind getEBillPicUrl (/h5/ebill/{code}/{no}?random=…): one phone-width HTML page with
 * the bill's fields, its QR code (the stored PNG, inline) and links to the signed XML and the PDF.
 * No scripts, no external resources: it opens on any phone browser inside the hospital's network.
 */
import { xmlEscape as esc } from '../xml-escape';
import type { BillDocument } from './bill-document';

export interface PageLinks {
  xml: string;
  pdf: string;
}

export function billPage(d: BillDocument, qrPngBase64: string | undefined, links: PageLinks, state: { redFlushed: boolean }): string {
  const field = (k: string, v: string) => `<div class="f"><span>${esc(k)}</span><b>${esc(v)}</b></div>`;
  const charges = d.charges.map((c) => `<tr><td>${esc(c.name)}</td><td class="n">${esc(c.amount)}</td></tr>`).join('');
  const other = d.other.map((o) => field(o.name, o.value)).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)} ${esc(d.billBatchCode)}-${esc(d.billNo)}</title>
<style>
body{margin:0;font-family:"Noto Sans SC","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;background:#f4f4f4;color:#1f2d3d}
main{max-width:480px;margin:0 auto;background:#fff;padding:16px}
h1{font-size:18px;color:#b22222;text-align:center;margin:4px 0 12px}
.state{text-align:center;color:#b22222;font-weight:bold}
.qr{text-align:center}.qr img{width:160px;height:160px;image-rendering:pixelated}
.f{display:flex;justify-content:space-between;border-bottom:1px solid #eee;padding:6px 0;font-size:14px}
.f span{color:#666}
table{width:100%;border-collapse:collapse;margin:10px 0;font-size:14px}td{border-bottom:1px solid #eee;padding:6px 0}.n{text-align:right}
.total{font-size:16px}
a.btn{display:block;text-align:center;margin:10px 0;padding:10px;border:1px solid #b22222;border-radius:6px;color:#b22222;text-decoration:none}
</style></head><body><main>
<h1>${esc(d.red ? d.title + '（红字）' : d.title)}</h1>
${state.redFlushed ? '<p class="state">本票据已冲红</p>' : ''}
<div class="qr">${qrPngBase64 ? `<img alt="票据二维码" src="data:image/png;base64,${esc(qrPngBase64)}">` : ''}</div>
${field('票据代码', d.billBatchCode)}${field('票据号码', d.billNo)}${field('校验码', d.random)}${field('开票日期', d.issueDate)}${field('交款人', d.payer)}
<table>${charges}</table>
<div class="f total"><span>金额合计</span><b>${esc(d.totalAmt)} 元</b></div>
${field('大写', d.totalInWords)}
${other}
${field('收款单位', d.unitName)}${d.payee ? field('收款人', d.payee) : ''}${d.checker ? field('复核人', d.checker) : ''}
<a class="btn" href="${esc(links.xml)}">下载电子票据（签名 XML）</a>
<a class="btn" href="${esc(links.pdf)}">下载打印版（PDF）</a>
</main></body></html>`;
}
