/**
 * PKCS#7 / CMS EnvelopedData (digital envelope, 数字信封) with key transport only (KeyTransRecipientInfo).
 *  - GM/T 0010 form: outer 1.2.156.10197.6.1.4.2.3, SM4-CBC content encryption with the 16-byte IV as an
 *    OCTET STRING parameter, key transport SM2-3 (…301.3) + NULL whose encryptedKey is the GM/T 0009 ASN.1
 *    SM2Cipher — the layout of the BJCA and NHSA vectors.
 *  - RFC 5652 form: outer 1.2.840.113549.1.7.3, RSA PKCS#1 v1.5 key transport, AES-CBC or SM4-CBC.
 * Opening accepts both SM4 OIDs (bare …104 as NHSA writes it, and …104.2) and both recipient identifier
 * forms (IssuerAndSerialNumber, SubjectKeyIdentifier as CFCA SADK ≥ 3.2 writes). parse/open never throw.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CmsCertificate, formatNameDer, readCmsCertificate, serialToHex } from './cms-cert';
import { PrivateKey, RsaPublicKey, Sm2PublicKey } from '../algorithms/keys';
import { OID } from '../asn1/oids';
import { P7Form } from './pkcs7-signed';
import { rsaDecryptKeyPkcs1, rsaEncrypt } from '../algorithms/rsa';
import { publicKeyTable, sm2Decrypt, sm2Encrypt } from '../algorithms/sm2';
import {
  algorithmId,
  bytesOf,
  childrenOf,
  ctx,
  der,
  DER_NULL,
  derSetOf,
  encodeOid,
  encodeSmallInt,
  expectTag,
  octetString,
  octetStringValue,
  readOid,
  readRoot,
  readSmallInt,
  TAG,
  Tlv,
  toBuffer,
  valueOf,
} from '../asn1/der';

export type ContentCipher = 'sm4-cbc' | 'aes-128-cbc' | 'aes-256-cbc';

const CONTENT_TYPES: Record<P7Form, { envelopedData: string; data: string }> = {
  gm: { envelopedData: OID.gmEnvelopedData, data: OID.gmData },
  rsa: { envelopedData: OID.envelopedData, data: OID.data },
};

/** OID → (Node cipher name, key length); .104 without a mode is CBC whenever it carries an IV (NHSA vector). */
const CIPHER_BY_OID: Record<string, { node: string; keyLength: number; iv: boolean }> = {
  [OID.sm4Cbc]: { node: 'sm4-cbc', keyLength: 16, iv: true },
  [OID.sm4]: { node: 'sm4-cbc', keyLength: 16, iv: true },
  [OID.sm4Ecb]: { node: 'sm4-ecb', keyLength: 16, iv: false },
  [OID.aes128Cbc]: { node: 'aes-128-cbc', keyLength: 16, iv: true },
  [OID.aes256Cbc]: { node: 'aes-256-cbc', keyLength: 32, iv: true },
};

const SM2_KEY_TRANSPORT = new Set<string>([OID.sm2Encrypt, OID.sm2]);
const RSA_KEY_TRANSPORT = new Set<string>([OID.rsaEncryption]);

// ================================================================ recipients

export interface EnvelopeRecipient {
  cert: CmsCertificate;
  publicKey: Sm2PublicKey | RsaPublicKey;
  /** SM2 only: precomputed multiplication table, the reason to prepare a recipient once */
  sm2Table?: ReturnType<typeof publicKeyTable>;
}

const recipientCache = new Map<string, EnvelopeRecipient>();
const RECIPIENT_CACHE_MAX = 128;

/** Parses a recipient certificate once and keeps it (and its SM2 table) in a small LRU by SHA-256 of the DER. */
export function prepareRecipient(certDer: Uint8Array): EnvelopeRecipient {
  const id = createHash('sha256').update(certDer).digest('base64');
  const hit = recipientCache.get(id);
  if (hit) {
    recipientCache.delete(id);
    recipientCache.set(id, hit);
    return hit;
  }
  const cert = readCmsCertificate(certDer);
  if (!cert.publicKey) throw new Error(`recipient key algorithm ${cert.publicKeyAlgorithm} is not SM2 or RSA`);
  const r: EnvelopeRecipient = {
    cert,
    publicKey: cert.publicKey,
    sm2Table: cert.publicKey.kind === 'sm2' ? publicKeyTable(cert.publicKey.hex) : undefined,
  };
  recipientCache.set(id, r);
  if (recipientCache.size > RECIPIENT_CACHE_MAX) recipientCache.delete(recipientCache.keys().next().value as string);
  return r;
}

// ================================================================ making

export interface MakeEnvelopeOptions {
  /** default 'gm' when the first recipient has an SM2 key, else 'rsa' */
  form?: P7Form;
  /** default sm4-cbc for the GM form, aes-128-cbc for the RSA form */
  contentCipher?: ContentCipher;
  /** which OID to write for SM4-CBC: 'sm4-cbc' = 1.2.156.10197.1.104.2 (default, BJCA), 'sm4' = …104 (NHSA) */
  sm4Oid?: 'sm4-cbc' | 'sm4';
  /** default issuerSerial; 'ski' needs a SubjectKeyIdentifier extension in each recipient certificate */
  recipientId?: 'issuerSerial' | 'ski';
}

type RecipientInput = Uint8Array | EnvelopeRecipient;

export function makeEnvelope(content: Uint8Array, recipients: RecipientInput | RecipientInput[], opts: MakeEnvelopeOptions = {}): Buffer {
  const list = (Array.isArray(recipients) ? recipients : [recipients]).map((r) => (r instanceof Uint8Array ? prepareRecipient(r) : r));
  if (list.length === 0) throw new Error('an envelope needs at least one recipient');
  const form = opts.form ?? (list[0].publicKey.kind === 'sm2' ? 'gm' : 'rsa');
  const cipher = opts.contentCipher ?? (form === 'gm' ? 'sm4-cbc' : 'aes-128-cbc');
  const cipherOid =
    cipher === 'sm4-cbc' ? (opts.sm4Oid === 'sm4' ? OID.sm4 : OID.sm4Cbc) : cipher === 'aes-128-cbc' ? OID.aes128Cbc : OID.aes256Cbc;
  const cek = randomBytes(CIPHER_BY_OID[cipherOid].keyLength);
  const iv = randomBytes(16);
  const c = createCipheriv(cipher, cek, iv);
  const ciphertext = Buffer.concat([c.update(content), c.final()]);

  const useSki = opts.recipientId === 'ski';
  const ris = list.map((r) => recipientInfo(r, cek, useSki));
  const types = CONTENT_TYPES[form];
  const eci = der(
    TAG.SEQUENCE,
    encodeOid(types.data),
    algorithmId(cipherOid, octetString(iv)),
    der(ctx(0, false), ciphertext),
  );
  // RFC 5652 §6.1: version 0 when every recipient is a v0 KeyTransRecipientInfo, else 2.
  const env = der(TAG.SEQUENCE, encodeSmallInt(useSki ? 2 : 0), derSetOf(ris), eci);
  return der(TAG.SEQUENCE, encodeOid(types.envelopedData), der(ctx(0), env));
}

function recipientInfo(r: EnvelopeRecipient, cek: Buffer, useSki: boolean): Buffer {
  let rid: Buffer;
  if (useSki) {
    if (!r.cert.subjectKeyIdentifier) throw new Error(`recipient ${r.cert.subject} has no SubjectKeyIdentifier`);
    rid = der(ctx(0, false), r.cert.subjectKeyIdentifier);
  } else {
    rid = der(TAG.SEQUENCE, r.cert.issuerDer, der(TAG.INTEGER, r.cert.serial));
  }
  const [alg, encryptedKey] =
    r.publicKey.kind === 'sm2'
      ? [algorithmId(OID.sm2Encrypt, DER_NULL), sm2Encrypt(cek, r.sm2Table ?? r.publicKey.hex, true)]
      : [algorithmId(OID.rsaEncryption, DER_NULL), rsaEncrypt(cek, r.publicKey.key, 'pkcs1')];
  return der(TAG.SEQUENCE, encodeSmallInt(useSki ? 2 : 0), rid, alg, octetString(encryptedKey));
}

// ================================================================ parsing

export type RecipientId =
  | { type: 'issuerSerial'; issuerDer: Buffer; issuer: string; serial: Buffer; serialHex: string }
  | { type: 'ski'; ski: Buffer };

/** GM/T 0009 SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, cipherText OCTET STRING } */
export interface Sm2CipherFields {
  x: Buffer;
  y: Buffer;
  hash: Buffer;
  cipherText: Buffer;
}

export interface ParsedKeyTransRecipient {
  kind: 'ktri';
  version: number;
  rid: RecipientId;
  keyEncryptionAlgorithm: string;
  encryptedKey: Buffer;
  /** present when encryptedKey is an ASN.1 SM2Cipher */
  sm2Cipher?: Sm2CipherFields;
}

/** kari/kekri/pwri/ori: recognised, listed, not opened */
export interface ParsedOtherRecipient {
  kind: 'other';
  tag: number;
}

export interface ParsedEnvelope {
  form: P7Form;
  version: number;
  recipients: Array<ParsedKeyTransRecipient | ParsedOtherRecipient>;
  contentType: string;
  contentEncryptionAlgorithm: string;
  /** the algorithm parameter when it is an OCTET STRING (the IV for every CBC OID we know) */
  iv?: Buffer;
  /** absent when the encrypted content is carried outside the envelope */
  ciphertext?: Buffer;
  ciphertextLength: number;
}

export type EnvelopeReason = 'bad-structure' | 'unsupported-algorithm' | 'no-matching-recipient' | 'key-decrypt-failed' | 'content-decrypt-failed';

export type EnvelopeParseResult = { ok: true; value: ParsedEnvelope } | { ok: false; reason: 'bad-structure'; detail: string };

export function parseEnvelope(p7: Uint8Array): EnvelopeParseResult {
  try {
    return { ok: true, value: parseEnvelopedData(toBuffer(p7)) };
  } catch (e) {
    return { ok: false, reason: 'bad-structure', detail: (e as Error).message };
  }
}

function parseEnvelopedData(buf: Buffer): ParsedEnvelope {
  const root = readRoot(buf);
  const [typeT, explicitT] = childrenOf(buf, expectTag(root, TAG.SEQUENCE, 'ContentInfo'));
  const outerType = readOid(buf, typeT, 'ContentInfo.contentType');
  const form: P7Form | undefined = outerType === OID.gmEnvelopedData ? 'gm' : outerType === OID.envelopedData ? 'rsa' : undefined;
  if (!form) throw new Error(`content type ${outerType} is not EnvelopedData`);
  const [envT] = childrenOf(buf, expectTag(explicitT, ctx(0), 'ContentInfo.content'));
  const f = childrenOf(buf, expectTag(envT, TAG.SEQUENCE, 'EnvelopedData'));
  let i = 0;
  const version = readSmallInt(buf, f[i++], 'EnvelopedData.version');
  if (f[i]?.tag === ctx(0)) i++; // originatorInfo: certificates for key agreement, not needed for key transport
  const recipients = childrenOf(buf, expectTag(f[i++], TAG.SET, 'recipientInfos')).map((t) => parseRecipient(buf, t));
  if (recipients.length === 0) throw new Error('no RecipientInfo');
  const eci = childrenOf(buf, expectTag(f[i++], TAG.SEQUENCE, 'encryptedContentInfo'));
  const contentType = readOid(buf, eci[0], 'encryptedContentInfo.contentType');
  const algParts = childrenOf(buf, expectTag(eci[1], TAG.SEQUENCE, 'contentEncryptionAlgorithm'));
  const contentEncryptionAlgorithm = readOid(buf, algParts[0], 'contentEncryptionAlgorithm');
  const iv = algParts[1]?.tag === TAG.OCTET_STRING ? Buffer.from(valueOf(buf, algParts[1])) : undefined;
  let ciphertext: Buffer | undefined;
  if (eci[2]) {
    if ((eci[2].tag & 0xdf) !== 0x80) throw new Error('encryptedContent must be [0]');
    ciphertext = Buffer.from(octetStringValue(buf, eci[2]));
  }
  return { form, version, recipients, contentType, contentEncryptionAlgorithm, iv, ciphertext, ciphertextLength: ciphertext?.length ?? 0 };
}


function parseRecipient(buf: Buffer, t: Tlv): ParsedKeyTransRecipient | ParsedOtherRecipient {
  if (t.tag !== TAG.SEQUENCE) return { kind: 'other', tag: t.tag };
  const [verT, ridT, algT, keyT] = childrenOf(buf, t);
  const version = readSmallInt(buf, verT, 'KeyTransRecipientInfo.version');
  let rid: RecipientId;
  if (ridT?.tag === TAG.SEQUENCE) {
    const [issuerT, serialT] = childrenOf(buf, ridT);
    const issuerDer = Buffer.from(bytesOf(buf, expectTag(issuerT, TAG.SEQUENCE, 'rid.issuer')));
    const serial = Buffer.from(valueOf(buf, expectTag(serialT, TAG.INTEGER, 'rid.serialNumber')));
    let issuer: string;
    try {
      issuer = formatNameDer(issuerDer);
    } catch {
      issuer = issuerDer.toString('hex');
    }
    rid = { type: 'issuerSerial', issuerDer, issuer, serial, serialHex: serialToHex(serial) };
  } else if (ridT?.tag === ctx(0, false)) {
    rid = { type: 'ski', ski: Buffer.from(valueOf(buf, ridT)) };
  } else {
    throw new Error('RecipientIdentifier is neither IssuerAndSerialNumber nor SubjectKeyIdentifier');
  }
  const keyEncryptionAlgorithm = readOid(buf, childrenOf(buf, expectTag(algT, TAG.SEQUENCE, 'keyEncryptionAlgorithm'))[0], 'keyEncryptionAlgorithm');
  const encryptedKey = Buffer.from(valueOf(buf, expectTag(keyT, TAG.OCTET_STRING, 'encryptedKey')));
  return { kind: 'ktri', version, rid, keyEncryptionAlgorithm, encryptedKey, sm2Cipher: sm2CipherFields(encryptedKey) };
}

/** SM2Cipher fields, or undefined when the key is not in that form (RSA, or raw C1C3C2). */
export function sm2CipherFields(encryptedKey: Buffer): Sm2CipherFields | undefined {
  try {
    const root = readRoot(encryptedKey);
    if (root.tag !== TAG.SEQUENCE) return undefined;
    const [x, y, h, c] = childrenOf(encryptedKey, root);
    return {
      x: valueOf(encryptedKey, expectTag(x, TAG.INTEGER, 'x')),
      y: valueOf(encryptedKey, expectTag(y, TAG.INTEGER, 'y')),
      hash: valueOf(encryptedKey, expectTag(h, TAG.OCTET_STRING, 'hash')),
      cipherText: valueOf(encryptedKey, expectTag(c, TAG.OCTET_STRING, 'cipherText')),
    };
  } catch {
    return undefined;
  }
}

// ================================================================ opening

export interface OpenEnvelopeOptions {
  privateKey: PrivateKey;
  /** our certificate; when given, only the RecipientInfo addressed to it is tried */
  certDer?: Uint8Array;
}

export type EnvelopeOpenResult =
  | { ok: true; content: Buffer; contentEncryptionAlgorithm: string; recipientIndex: number }
  | { ok: false; reason: EnvelopeReason; detail: string };

export function openEnvelope(p7: Uint8Array, opts: OpenEnvelopeOptions): EnvelopeOpenResult {
  const parsed = parseEnvelope(p7);
  if (!parsed.ok) return parsed;
  const env = parsed.value;
  const cipher = Object.hasOwn(CIPHER_BY_OID, env.contentEncryptionAlgorithm) ? CIPHER_BY_OID[env.contentEncryptionAlgorithm] : undefined;
  if (!cipher) return failure('unsupported-algorithm', `content encryption ${env.contentEncryptionAlgorithm}`);
  if (cipher.iv && env.iv?.length !== 16) return failure('bad-structure', 'content encryption IV missing or not 16 bytes');
  if (!env.ciphertext) return failure('bad-structure', 'no encrypted content inside the envelope');

  let me: CmsCertificate | undefined;
  if (opts.certDer) {
    try {
      me = readCmsCertificate(opts.certDer);
    } catch (e) {
      return failure('bad-structure', `our certificate: ${(e as Error).message}`);
    }
  }
  const transport = opts.privateKey.kind === 'sm2' ? SM2_KEY_TRANSPORT : RSA_KEY_TRANSPORT;
  const candidates = env.recipients
    .map((r, index) => ({ r, index }))
    .filter((x): x is { r: ParsedKeyTransRecipient; index: number } => x.r.kind === 'ktri')
    .filter(({ r }) => (me ? ridMatches(r.rid, me) : true));
  if (candidates.length === 0) return failure('no-matching-recipient', me ? `no RecipientInfo for ${me.issuer} / ${me.serialHex}` : 'no key-transport RecipientInfo');
  const usable = candidates.filter(({ r }) => transport.has(r.keyEncryptionAlgorithm));
  if (usable.length === 0) {
    return failure('unsupported-algorithm', `key transport ${candidates[0].r.keyEncryptionAlgorithm} does not fit an ${opts.privateKey.kind} key`);
  }

  let lastReason: EnvelopeReason = 'key-decrypt-failed';
  for (const { r, index } of usable) {
    const cek = unwrapKey(r, opts.privateKey, cipher.keyLength);
    if (!cek) continue;
    try {
      const d = createDecipheriv(cipher.node, cek, cipher.iv ? (env.iv as Buffer) : null);
      const content = Buffer.concat([d.update(env.ciphertext), d.final()]);
      return { ok: true, content, contentEncryptionAlgorithm: env.contentEncryptionAlgorithm, recipientIndex: index };
    } catch {
      lastReason = 'content-decrypt-failed';
    }
  }
  return failure(lastReason, lastReason === 'key-decrypt-failed' ? 'the content key did not decrypt with our private key' : 'content did not decrypt (wrong key or corrupted ciphertext)');
}

function unwrapKey(r: ParsedKeyTransRecipient, key: PrivateKey, keyLength: number): Buffer | undefined {
  if (key.kind === 'rsa') return rsaDecryptKeyPkcs1(r.encryptedKey, key.privateKey, keyLength);
  try {
    // ASN.1 SM2Cipher is the GM/T 0010 form; a few 2010-era tools put raw 04‖C1‖C3‖C2 there instead.
    const cek = sm2Decrypt(r.encryptedKey, key.privateKey, r.sm2Cipher !== undefined);
    return cek.length === keyLength ? cek : undefined;
  } catch {
    return undefined;
  }
}

function ridMatches(rid: RecipientId, cert: CmsCertificate): boolean {
  if (rid.type === 'ski') return cert.subjectKeyIdentifier?.equals(rid.ski) ?? false;
  return rid.serialHex === cert.serialHex && (rid.issuerDer.equals(cert.issuerDer) || rid.issuer === cert.issuer);
}

function failure(reason: EnvelopeReason, detail: string): EnvelopeOpenResult {
  return { ok: false, reason, detail };
}
