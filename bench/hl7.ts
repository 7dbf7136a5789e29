/**
 * The HL7 v2 channel's own CPU per message: decoding a DFT^P03 (ER7 with our parser, v2.xml and Mirth
 * XML through the strict XML reader) into the tree the mappings read, and writing its ACK. For scale,
 * @medplum/core's Hl7Message.parse (a maintained npm parser we evaluated and did not take: it leaves
 * escapes in the text, brings a 4 MB FHIR SDK, and its newest line needs Node 22) is measured when it is
 * installed (`npm i --no-save @medplum/core@4.5.2`); it is not a dependency.
 * One JSON line per figure: { bench: 'hl7', case, usPerMsg }.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildAck } from '../adapters/his/hl7/ack';
import { decodeHl7 } from '../adapters/his/hl7/decode';
import { ROOT } from './server';

function time(label: string, n: number, fn: () => unknown): void {
  for (let i = 0; i < Math.min(n, 500); i++) fn(); // warm-up
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  const med = runs.sort((a, b) => a - b)[2];
  process.stdout.write(`${label.padEnd(44)} ${med.toFixed(1).padStart(7)} µs/message\n`);
  process.stdout.write(JSON.stringify({ bench: 'hl7', case: label, usPerMsg: Math.round(med * 10) / 10 }) + '\n');
}

export async function run(opts: { n?: number } = {}): Promise<void> {
  const n = opts.n ?? 5000;
  const file = (f: string) => readFileSync(path.join(ROOT, 'examples', 'hl7', f), 'utf8');
  const er7 = file('dft-p03-outpatient.er7');
  const v2xml = file('dft-p03-outpatient.v2.xml');
  const mirth = file('dft-p03-outpatient.mirth.xml');
  time('decode ER7 (8 segments, 4 FT1)', n, () => decodeHl7(er7));
  time('decode v2.xml', n, () => decodeHl7(v2xml));
  time('decode Mirth XML', n, () => decodeHl7(mirth));
  const d = decodeHl7(er7);
  if (d.ok) {
    const ack = { header: d.msg.header, msgId: 'M1', at: Date.now(), result: 'S0000', response: { billBatchCode: '44060126', billNo: '0000000001', random: 'a1b2c3' }, application: 'MEDBILL', facility: 'MEDBILL' };
    time('write the ACK (ER7)', n, () => buildAck({ ...ack, encoding: 'er7' }));
    time('write the ACK (v2.xml)', n, () => buildAck({ ...ack, encoding: 'v2xml' }));
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const medplum = require('@medplum/core') as { Hl7Message: { parse(t: string): unknown } };
    time('@medplum/core Hl7Message.parse (no unescaping)', n, () => medplum.Hl7Message.parse(er7));
  } catch {
    process.stdout.write('@medplum/core not installed: its figure is left out\n');
  }
}
