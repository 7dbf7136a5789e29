/**
 * The printable PDF of a bill, laid out like the provincial medical bill (docs/reference/fiscal-ebill.md, layout file content) on
 * A5 landscape: QR code top left, title and 财政部监制 mark, the identity block, the charge table in
 * two halves, 金额合计 in words and figures, 其他信息, the unit with its seal, 复核人/收款人 and the
 * statement where to check it; then the pages of the itemised list (清单) when asked.
 * pdfkit with fontkit embeds only the glyphs used (a subset of the CJK font), so a bill is ~50 KB.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { BillDocument, LIST_ROWS_PER_PAGE, listPages } from './bill-document';
import { FONT_FILES } from './font';

export interface PdfOptions {
  /** the bill image first (true) and which list pages (1-based, inclusive); default: the bill only */
  bill?: boolean;
  listFrom?: number;
  listTo?: number;
  /** printed on converted paper: the paper number the bill was converted to */
  paper?: { code: string; no: string };
  /** a 补打 is marked as such on the page */
  reprint?: boolean;
}

const W = 595.28;
const H = 419.53;
const M = 22;
const RED = '#b22222';
const INK = '#1f2d3d';

type Doc = InstanceType<typeof PDFDocument>;

function qr(doc: Doc, text: string, x: number, y: number, size: number): void {
  const q = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = q.modules.size;
  const cell = size / n;
  doc.save().fillColor('black');
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.modules.get(r, c)) doc.rect(x + c * cell, y + r * cell, cell + 0.05, cell + 0.05);
  doc.fill().restore();
}

function label(doc: Doc, name: string, value: string, x: number, y: number, width: number): void {
  doc.font('regular').fontSize(8.5).fillColor(INK).text(`${name}：`, x, y, { continued: true, width, lineBreak: false }).font('bold').text(value || ' ', { lineBreak: false });
}

function billPage(doc: Doc, d: BillDocument, o: PdfOptions): void {
  doc.rect(M - 6, M - 6, W - 2 * (M - 6), H - 2 * (M - 6)).lineWidth(0.6).strokeColor(RED).stroke();
  qr(doc, d.qrText, M, M, 62);
  doc.font('bold').fontSize(15).fillColor(RED).text(d.red ? `${d.title}（红字）` : d.title, M + 70, M + 6, { width: W - 2 * M - 140, align: 'center' });
  // 财政部监制 mark: an oval under the title, as printed on every provincial bill.
  doc.save().lineWidth(0.8).strokeColor(RED).ellipse(W / 2, M + 46, 44, 12).stroke().restore();
  doc.font('regular').fontSize(8).fillColor(RED).text('财政部监制', W / 2 - 40, M + 42, { width: 80, align: 'center' });
  let y = M + 70;
  const col = (W - 2 * M) / 2;
  label(doc, '票据代码', d.billBatchCode, M, y, col);
  label(doc, '票据号码', d.billNo, M + col, y, col);
  y += 13;
  label(doc, '交款人统一社会信用代码', d.payerCreditCode, M, y, col);
  label(doc, '校验码', d.random, M + col, y, col);
  y += 13;
  label(doc, '交款人', d.payer, M, y, col);
  label(doc, '开票日期', d.issueDate, M + col, y, col);
  y += 17;
  // the charge table in two halves, four columns each
  const tableTop = y;
  const half = (W - 2 * M) / 2;
  const cols = [0.2, 0.42, 0.22, 0.16];
  const rows = Math.max(4, Math.ceil(d.charges.length / 2));
  const rowH = 13;
  doc.lineWidth(0.5).strokeColor(RED);
  doc.rect(M, tableTop, W - 2 * M, rowH * (rows + 1)).stroke();
  for (let h = 0; h < 2; h++) {
    let x = M + h * half;
    ['项目编码', '项目名称', '金额（元）', '备注'].forEach((t, i) => {
      doc.font('regular').fontSize(8).fillColor(RED).text(t, x, tableTop + 3, { width: cols[i] * half, align: 'center', lineBreak: false });
      x += cols[i] * half;
    });
  }
  doc.moveTo(M, tableTop + rowH).lineTo(W - M, tableTop + rowH).stroke();
  doc.moveTo(M + half, tableTop).lineTo(M + half, tableTop + rowH * (rows + 1)).stroke();
  d.charges.forEach((c, i) => {
    const h = i < rows ? 0 : 1;
    const r = i < rows ? i : i - rows;
    let x = M + h * half;
    const cy = tableTop + rowH * (r + 1) + 3;
    [c.code, c.name, c.amount, c.remark].forEach((t, k) => {
      doc.font('regular').fontSize(8).fillColor(INK).text(t, x + 2, cy, { width: cols[k] * half - 4, align: k === 2 ? 'right' : 'center', lineBreak: false, ellipsis: true });
      x += cols[k] * half;
    });
  });
  y = tableTop + rowH * (rows + 1);
  doc.rect(M, y, W - 2 * M, 16).stroke();
  doc.font('regular').fontSize(8.5).fillColor(RED).text('金额合计（大写）', M + 4, y + 4, { continued: true, lineBreak: false }).fillColor(INK).font('bold').text(` ${d.totalInWords}`, { lineBreak: false });
  doc.font('regular').fillColor(RED).text('（小写）', M + half + 4, y + 4, { continued: true, lineBreak: false }).fillColor(INK).font('bold').text(` ${d.totalAmt}`, { lineBreak: false });
  y += 16;
  const otherH = 58;
  doc.rect(M, y, W - 2 * M, otherH).stroke();
  doc.font('regular').fontSize(8).fillColor(RED).text('其他信息', M + 4, y + 3, { lineBreak: false });
  const other = [...d.other];
  if (o.paper ?? d.paper) {
    const p = (o.paper ?? d.paper)!;
    other.unshift({ name: '换开纸质票据', value: `${p.code}-${p.no}` });
  }
  if (d.related) other.unshift({ name: '原票据代码/号码', value: `${d.related.code}-${d.related.no}` });
  const perRow = 3;
  other.slice(0, 15).forEach((f, i) => {
    const x = M + 4 + (i % perRow) * ((W - 2 * M - 8) / perRow);
    const ry = y + 14 + Math.floor(i / perRow) * 9;
    doc.font('regular').fontSize(7).fillColor(INK).text(`${f.name}：${f.value}`, x, ry, { width: (W - 2 * M - 8) / perRow - 4, lineBreak: false, ellipsis: true });
  });
  y += otherH + 8;
  // unit seal: a red circle with the seal's name, beside the unit
  doc.save().lineWidth(1).strokeColor(RED).circle(M + 150, y + 14, 20).stroke().restore();
  doc.font('regular').fontSize(5.5).fillColor(RED).text(d.sealName, M + 132, y + 9, { width: 36, align: 'center' });
  label(doc, '收款单位（章）', d.unitName, M, y + 32, 200);
  label(doc, '复核人', d.checker, M + 250, y + 32, 120);
  label(doc, '收款人', d.payee, M + 390, y + 32, 120);
  y += 48;
  const notes = ['本电子票据与纸质票据具有同等法律效力。', d.checkSite ? `可登录 ${d.checkSite} 查验。` : '可在财政电子票据查验平台查验。'];
  if (o.reprint) notes.push('（补打）');
  doc.font('regular').fontSize(7).fillColor(INK).text(notes.join(''), M, Math.min(y, H - M - 10), { width: W - 2 * M, align: 'center', lineBreak: false });
}

function listPage(doc: Doc, d: BillDocument, page: number, total: number): void {
  doc.font('bold').fontSize(13).fillColor(INK).text(`${d.title} 清单`, M, M, { width: W - 2 * M, align: 'center' });
  doc.font('regular').fontSize(8).text(`票据代码：${d.billBatchCode}  票据号码：${d.billNo}  交款人：${d.payer}  第 ${page} 页 / 共 ${total} 页`, M, M + 20, { width: W - 2 * M, align: 'center' });
  const heads = ['编码', '名称', '规格', '单位', '单价', '数量', '金额', '备注'];
  const widths = [0.13, 0.27, 0.13, 0.07, 0.1, 0.08, 0.11, 0.11].map((f) => f * (W - 2 * M));
  let y = M + 38;
  const row = (cells: string[], bold = false) => {
    let x = M;
    cells.forEach((c, i) => {
      doc.font(bold ? 'bold' : 'regular').fontSize(7.5).text(c, x + 2, y, { width: widths[i] - 4, lineBreak: false, ellipsis: true });
      x += widths[i];
    });
    y += 14;
  };
  row(heads, true);
  for (const l of d.list.slice((page - 1) * LIST_ROWS_PER_PAGE, page * LIST_ROWS_PER_PAGE)) row([l.code, l.name, l.spec, l.unit, l.std, l.number, l.amount, l.remark]);
}

/** The PDF bytes of a bill (and list pages). Deterministic apart from pdfkit's creation date. */
export function billPdf(d: BillDocument, o: PdfOptions = {}): Promise<Buffer> {
  const doc = new PDFDocument({ size: [W, H], margin: M, autoFirstPage: false, info: { Title: `${d.title} ${d.billBatchCode}-${d.billNo}`, Producer: 'medbill', Creator: 'medbill' } });
  doc.registerFont('regular', FONT_FILES.regular);
  doc.registerFont('bold', FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const total = listPages(d);
  if (o.bill ?? true) {
    doc.addPage();
    billPage(doc, d, o);
  }
  for (let p = Math.max(1, o.listFrom ?? 1); p <= Math.min(total, o.listTo ?? 0); p++) {
    doc.addPage();
    listPage(doc, d, p, total);
  }
  if (!doc.bufferedPageRange().count) {
    doc.addPage();
    billPage(doc, d, o);
  }
  doc.end();
  return done;
}
