/**
 * SignedData helpers for the CA client.
 *
 * detachSignedData: a signature server that only signs attached (BJCA's SignDataByP7Attach) still
 * yields the detached unit signature the e-bill needs: the signature covers the content (or, with
 * signed attributes, their DER, which holds the content's digest) and never the encapsulation, so
 * removing eContent from EncapsulatedContentInfo leaves a SignedData that verifies against the same
 * content supplied separately. Every other byte is kept as the server produced it.
 *
 * signerSerialOf: the signer certificate serial (lower-case hex, as medbill stores it) of a SignedData.
 */
import { asn1, normaliseSerial, parseP7, readCmsCertificate } from '../../src/crypto';

type Tlv = asn1.Tlv;
const { bytesOf, der, tryChildren, tryTlv } = asn1;


function kids(buf: Buffer, t: Tlv | null | undefined, tag: number, what: string): Tlv[] {
  if (!t || t.tag !== tag) throw new Error(`SignedData: ${what} missing or not tag 0x${tag.toString(16)}`);
  const c = tryChildren(buf, t);
  if (!c) throw new Error(`SignedData: ${what} is malformed`);
  return c;
}

export function detachSignedData(p7: Buffer): Buffer {
  const root = tryTlv(p7);
  if (!root || root.end !== p7.length) throw new Error('SignedData: not one DER element');
  const [oidT, explicitT] = kids(p7, root, 0x30, 'ContentInfo');
  const [sdT] = kids(p7, explicitT, 0xa0, 'ContentInfo.content');
  const fields = kids(p7, sdT, 0x30, 'SignedData');
  const encapT = fields[2];
  const [eTypeT, eContentT] = kids(p7, encapT, 0x30, 'EncapsulatedContentInfo');
  if (!eContentT) return p7; // already detached
  const encap = der(0x30, bytesOf(p7, eTypeT));
  const sd = der(0x30, ...fields.slice(0, 2).map((f) => bytesOf(p7, f)), encap, ...fields.slice(3).map((f) => bytesOf(p7, f)));
  return der(0x30, bytesOf(p7, oidT), der(0xa0, sd));
}

/**
 * The signer's serial straight from the first SignerInfo's IssuerAndSerialNumber — a few TLV hops, run
 * once per bill on medbill's event loop (a full parseP7 cost ~80 µs there, measured). A SubjectKeyIdentifier
 * sid, or anything unexpected, takes the full parse.
 */
export function signerSerialOf(p7: Buffer): string | undefined {
  try {
    const root = tryTlv(p7);
    const [, explicitT] = kids(p7, root, 0x30, 'ContentInfo');
    const [sdT] = kids(p7, explicitT, 0xa0, 'ContentInfo.content');
    const fields = kids(p7, sdT, 0x30, 'SignedData');
    const [firstSigner] = kids(p7, fields[fields.length - 1], 0x31, 'SignerInfos');
    const [, sidT] = kids(p7, firstSigner, 0x30, 'SignerInfo');
    if (sidT?.tag === 0x30) {
      const [, serialT] = kids(p7, sidT, 0x30, 'IssuerAndSerialNumber');
      if (serialT?.tag === 0x02) return normaliseSerial(p7.subarray(serialT.valueStart, serialT.end).toString('hex'));
    }
  } catch {
    // fall through to the full parse, which explains itself
  }
  return signerSerialByParse(p7);
}

function signerSerialByParse(p7: Buffer): string | undefined {
  const r = parseP7(p7);
  if (!r.ok || !r.value.signers.length) return undefined;
  const sid = r.value.signers[0].sid;
  if (sid.type === 'issuerSerial') return normaliseSerial(sid.serialHex);
  for (const c of r.value.certificates) {
    try {
      const cert = readCmsCertificate(c);
      if (cert.subjectKeyIdentifier?.equals(sid.ski)) return normaliseSerial(cert.serialHex);
    } catch {
      // an unreadable certificate is not the signer's; try the next
    }
  }
  return undefined;
}
