/**
 * The bill's QR code as a 1-bit PNG. qrcode's own PNG path costs ~5 ms a code (191/s measured), which
 * alone would cap issuance far below 1,000 bills/s; building the matrix with a fixed mask and writing a
 * bilevel PNG directly costs ~0.3 ms. Any mask pattern is valid QR (the penalty search only picks the
 * "nicest" one), so a fixed mask scans the same on phones and kiosk scanners.
 */
import { deflateSync } from 'node:zlib';
import QRCode from 'qrcode';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** QR code of `text` as PNG bytes: `scale` pixels per module, `margin` modules of quiet zone. */
export function qrPng(text: string, scale = 4, margin = 4): Buffer {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M', maskPattern: 0 });
  const size = qr.modules.size;
  const width = (size + 2 * margin) * scale;
  const rowBytes = Math.ceil(width / 8);
  const stride = rowBytes + 1; // filter byte + pixels
  const raw = Buffer.alloc(stride * width, 0xff);
  for (let y = 0; y < width; y++) raw[y * stride] = 0; // filter type None
  for (let my = 0; my < size; my++) {
    const rowStart = (my + margin) * scale * stride;
    for (let mx = 0; mx < size; mx++) {
      if (!qr.modules.get(my, mx)) continue;
      for (let px = (mx + margin) * scale, end = px + scale; px < end; px++) raw[rowStart + 1 + (px >> 3)] &= ~(0x80 >> (px & 7));
    }
    for (let k = 1; k < scale; k++) raw.copy(raw, rowStart + k * stride, rowStart, rowStart + stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
