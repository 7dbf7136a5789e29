/**
 * 告知单 (getEBillNotifyPic): a PNG telling the patient the e-bill exists and how to check it — the QR
 * code and the check elements (票据代码, 票据号码, 校验码, 金额, 开票日期, 交款人). Drawn as SVG and
 * rasterised by resvg with the same CJK font file as the PDF (no system fonts are loaded).
 */
import { Resvg } from '@resvg/resvg-js';
import QRCode from 'qrcode';
import { xmlEscape } from '../xml-escape';
import type { BillDocument } from './bill-document';
import { FONT_FAMILY, FONT_FILES } from './font';

const WIDTH = 600;
const HEIGHT = 420;

function qrRects(text: string, x: number, y: number, size: number): string {
  const q = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = q.modules.size;
  const cell = size / n;
  let path = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.modules.get(r, c)) path += `M${(x + c * cell).toFixed(2)} ${(y + r * cell).toFixed(2)}h${cell.toFixed(2)}v${cell.toFixed(2)}h-${cell.toFixed(2)}z`;
  return `<path d="${path}" fill="#000"/>`;
}

export function noticeSvg(d: BillDocument): string {
  const rows: [string, string][] = [
    ['票据代码', d.billBatchCode],
    ['票据号码', d.billNo],
    ['校验码', d.random],
    ['金额', `${d.totalAmt} 元`],
    ['开票日期', d.issueDate],
    ['交款人', d.payer],
  ];
  const text = rows
    .map(([k, v], i) => `<text x="250" y="${120 + i * 38}" font-size="20"><tspan fill="#666">${xmlEscape(k)}：</tspan><tspan font-weight="bold">${xmlEscape(v)}</tspan></text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT_FAMILY}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<rect x="6" y="6" width="${WIDTH - 12}" height="${HEIGHT - 12}" fill="none" stroke="#b22222" stroke-width="2"/>` +
    `<text x="${WIDTH / 2}" y="52" font-size="26" font-weight="bold" text-anchor="middle" fill="#b22222">电子票据告知单</text>` +
    `<text x="${WIDTH / 2}" y="80" font-size="15" text-anchor="middle" fill="#333">${xmlEscape(d.title)}</text>` +
    `<rect x="24" y="100" width="206" height="206" fill="#fff"/>` +
    qrRects(d.qrText, 27, 103, 200) +
    text +
    `<text x="${WIDTH / 2}" y="${HEIGHT - 60}" font-size="14" text-anchor="middle" fill="#333">${xmlEscape(d.unitName)}</text>` +
    `<text x="${WIDTH / 2}" y="${HEIGHT - 32}" font-size="13" text-anchor="middle" fill="#666">扫描二维码或凭以上信息查验电子票据，电子票据与纸质票据具有同等法律效力</text>` +
    `</svg>`
  );
}

export function noticePng(d: BillDocument): Buffer {
  const r = new Resvg(noticeSvg(d), { font: { fontFiles: [FONT_FILES.regular, FONT_FILES.bold], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY }, background: '#ffffff' });
  return r.render().asPng();
}
