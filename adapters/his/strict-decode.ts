/**
 * Bytes to text in the character set the message names, refusing what does not fit (E0003) rather than
 * turning it into U+FFFD: a replaced character would enter a signed bill as something the HIS never sent.
 * Shared by the SOAP and HL7 channels.
 */
import { TextDecoder } from 'node:util';
import { FlowError, hisError } from '../../src/engine/errors';

export function strictDecode(bytes: Uint8Array, label: string): { ok: true; text: string } | { ok: false; error: FlowError } {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return { ok: false, error: hisError('E0003', 'charsetUnsupported', { charset: label.slice(0, 40) }, 'encoding') };
  }
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, error: hisError('E0003', 'charsetInvalid', { charset: label }, 'encoding') };
  }
}
