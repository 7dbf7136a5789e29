/**
 * PKCS#7 / CMS SignedData in the two dialects a Chinese hospital meets:
 *  - GM/T 0010: content types 1.2.156.10197.6.1.4.2.x, digest SM3+NULL, signature alg SM2-1 (…301.1)+NULL,
 *    exactly as the BJCA SVS vector (test/fixtures/vectors/bjca_p7sign.b64) has them;
 *  - RFC 2315/5652: 1.2.840.113549.1.7.x, SHA-256, rsaEncryption+NULL (what OpenSSL writes).
 * Attached or detached, with or without signed attributes (contentType, signingTime, messageDigest).
 * Without attributes the signature covers the content; with them it covers the DER SET OF the
 * attributes and messageDigest = H(content) — for SM2 the signature hash includes Z, the digest does not.
 *
 * One assembly routine serves the general builder and the fast detached signer, so the two produce the
 * same structure by construction; the fast signer only hoists the constant parts out of the loop.
 * Verification walks the original bytes (signed attributes and certificates are used exactly as
 * received) and reports a reason instead of throwing. It checks signatures only; whether the signer's
 * certificate is trustworthy is the caller's next step (chain, CRL/OCSP in the pki modules).
 */
import { createHash, KeyObject } from 'node:crypto';
import { CmsCertificate, formatNameDer, readCmsCertificate, serialToHex } from './cms-cert';
import { PrivateKey } from '../algorithms/keys';
import { OID } from '../asn1/oids';
import { isStrictSm2Signature, Sm2PrecomputePolicy, sm2VerifyingKey } from '../algorithms/pkcs1';
import { RsaHash, rsaSign, rsaVerify } from '../algorithms/rsa';
import { DEFAULT_USER_ID, sm2SignDigest, sm2VerifyDigest, sm2Z } from '../algorithms/sm2';
import {
  algorithmId,
  bytesOf,
  childrenOf,
  ctx,
  decodeTime,
  der,
  DER_NULL,
  derSetOf,
  encodeOid,
  encodeSmallInt,
  encodeTime,
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

export type P7Form = 'gm' | 'rsa';

const CONTENT_TYPES: Record<P7Form, { signedData: string; data: string }> = {
  gm: { signedData: OID.gmSignedData, data: OID.gmData },
  rsa: { signedData: OID.signedData, data: OID.data },
};

const HASH_BY_OID: Record<string, RsaHash> = {
  [OID.sm3]: 'sm3',
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

const HASH_OID: Record<RsaHash, string> = { sm3: OID.sm3, sha1: OID.sha1, sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };

/** Signature algorithms accepted in a SignerInfo, with the hash they imply (undefined = take digestAlgorithm). */
const SM2_SIG_ALGS = new Set<string>([OID.sm2Sign, OID.sm2, OID.sm2WithSm3, OID.ecPublicKey]);
const RSA_SIG_ALGS: Record<string, RsaHash | undefined> = {
  [OID.rsaEncryption]: undefined,
  [OID.sha1WithRSA]: 'sha1',
  [OID.sha256WithRSA]: 'sha256',
  [OID.sha384WithRSA]: 'sha384',
  [OID.sha512WithRSA]: 'sha512',
  [OID.sm3WithRsa]: 'sm3',
};

// ================================================================ signing

export interface P7SignerOptions {
  privateKey: PrivateKey;
  /** the signer's certificate; its public key must match privateKey */
  certDer: Uint8Array;
  /** content-type OID family; default 'gm' for SM2 keys, 'rsa' for RSA keys */
  form?: P7Form;
  /** add contentType, signingTime and messageDigest; default false (what BJCA SVS emits) */
  signedAttributes?: boolean;
  /** RSA only (SM2 always uses SM3); default sha256 */
  hash?: RsaHash;
  /** SM2 only; default 1234567812345678 */
  userId?: string;
  /** default true; false leaves the certificates field out (the verifier then needs the cert supplied) */
  includeCertificate?: boolean;
  /** more certificates to carry, e.g. the issuing CA */
  extraCertificates?: Uint8Array[];
  /** source of signingTime; default the system clock (tests and replays pin it) */
  clock?: () => Date;
}

export interface P7SignOptions extends P7SignerOptions {
  /** default false: the content is embedded */
  detached?: boolean;
  /** signingTime attribute value when signedAttributes is on; default now */
  signingTime?: Date;
}

/** Everything about a signer that does not depend on the message: computed once per key/cert. */
interface SignerTemplate {
  /** SM2 carries Z (for the signer's key and user ID); RSA its hash */
  sign: { kind: 'sm2'; privateKey: string; z: Buffer } | { kind: 'rsa'; privateKey: KeyObject; hash: RsaHash };
  /** digest for messageDigest: SM3 for SM2 */
  hash: RsaHash;
  outerOid: Buffer;
  /** version + digestAlgorithms */
  sdHead: Buffer;
  eContentTypeOid: Buffer;
  /** [0] certificates, or empty */
  certsField: Buffer;
  /** version + sid + digestAlgorithm */
  siHead: Buffer;
  sigAlg: Buffer;
  signedAttributes: boolean;
  contentTypeAttr: Buffer;
}

function prepareSigner(opts: P7SignerOptions): SignerTemplate {
  const key = opts.privateKey;
  const cert = readCmsCertificate(opts.certDer);
  assertKeyMatchesCert(key, cert);
  const form = opts.form ?? (key.kind === 'sm2' ? 'gm' : 'rsa');
  const hash: RsaHash = key.kind === 'sm2' ? 'sm3' : (opts.hash ?? 'sha256');
  if (key.kind === 'sm2' && opts.hash && opts.hash !== 'sm3') throw new Error(`SM2 SignedData uses SM3, not ${opts.hash}`);
  const types = CONTENT_TYPES[form];
  // GM/T 0010 and the BJCA vector write SM3 with an explicit NULL; SHA-2 goes without (RFC 5754), as OpenSSL does.
  const digestAlg = key.kind === 'sm2' ? algorithmId(OID.sm3, DER_NULL) : algorithmId(HASH_OID[hash]);
  const sigAlg = key.kind === 'sm2' ? algorithmId(OID.sm2Sign, DER_NULL) : algorithmId(OID.rsaEncryption, DER_NULL);
  const certs = opts.includeCertificate === false ? [] : [cert.der];
  for (const c of opts.extraCertificates ?? []) certs.push(Buffer.from(c));
  const sid = der(TAG.SEQUENCE, cert.issuerDer, der(TAG.INTEGER, cert.serial));
  const eContentTypeOid = encodeOid(types.data);
  return {
    sign:
      key.kind === 'sm2'
        ? { kind: 'sm2', privateKey: key.privateKey, z: sm2Z(key.publicKey, opts.userId ?? DEFAULT_USER_ID) }
        : { kind: 'rsa', privateKey: key.privateKey, hash },
    hash,
    outerOid: encodeOid(types.signedData),
    sdHead: Buffer.concat([encodeSmallInt(1), der(TAG.SET, digestAlg)]),
    eContentTypeOid,
    certsField: certs.length ? derSetOf(certs, ctx(0)) : Buffer.alloc(0),
    siHead: Buffer.concat([encodeSmallInt(1), sid, digestAlg]),
    sigAlg,
    signedAttributes: opts.signedAttributes ?? false,
    contentTypeAttr: attribute(OID.contentType, eContentTypeOid),
  };
}

function assertKeyMatchesCert(key: PrivateKey, cert: CmsCertificate): void {
  const pub = cert.publicKey;
  if (!pub) throw new Error(`signer certificate key algorithm ${cert.publicKeyAlgorithm} is not SM2 or RSA`);
  if (pub.kind !== key.kind) throw new Error(`signer certificate holds an ${pub.kind} key but the private key is ${key.kind}`);
  const same =
    pub.kind === 'sm2'
      ? key.kind === 'sm2' && pub.hex === key.publicKey
      : key.kind === 'rsa' &&
        pub.key.export({ format: 'der', type: 'spki' }).equals(key.publicKey.export({ format: 'der', type: 'spki' }));
  if (!same) throw new Error('signer certificate does not belong to the private key');
}

const attribute = (oid: string, value: Uint8Array): Buffer => der(TAG.SEQUENCE, encodeOid(oid), der(TAG.SET, value));

function digest(hash: RsaHash, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

/** The one assembly routine; `encap` is the full EncapsulatedContentInfo TLV. */
function assemble(t: SignerTemplate, content: Uint8Array, encap: Buffer, signingTime: Date): Buffer {
  let signed: Uint8Array = content;
  let attrsField: Buffer | undefined;
  if (t.signedAttributes) {
    const set = derSetOf([
      t.contentTypeAttr,
      attribute(OID.signingTime, encodeTime(signingTime)),
      attribute(OID.messageDigest, octetString(digest(t.hash, content))),
    ]);
    signed = set;
    attrsField = Buffer.from(set);
    attrsField[0] = ctx(0); // [0] IMPLICIT in the SignerInfo; the signature covers the SET OF form
  }
  const s = t.sign;
  const sig =
    s.kind === 'sm2'
      ? sm2SignDigest(createHash('sm3').update(s.z).update(signed).digest(), s.privateKey)
      : rsaSign(signed, s.privateKey, s.hash);
  const signerInfo = attrsField
    ? der(TAG.SEQUENCE, t.siHead, attrsField, t.sigAlg, octetString(sig))
    : der(TAG.SEQUENCE, t.siHead, t.sigAlg, octetString(sig));
  const signedData = der(TAG.SEQUENCE, t.sdHead, encap, t.certsField, der(TAG.SET, signerInfo));
  return der(TAG.SEQUENCE, t.outerOid, der(ctx(0), signedData));
}

/** General builder: SignedData (DER) over `content`, attached unless `detached`. */
export function signP7(content: Uint8Array, opts: P7SignOptions): Buffer {
  const t = prepareSigner(opts);
  const encap = opts.detached
    ? der(TAG.SEQUENCE, t.eContentTypeOid)
    : der(TAG.SEQUENCE, t.eContentTypeOid, der(ctx(0), octetString(content)));
  return assemble(t, content, encap, opts.signingTime ?? (opts.clock ?? systemClock)());
}

/**
 * Fast detached signer for issuance: the certificate, sid, algorithm identifiers and Z are encoded once;
 * each call hashes, signs and splices lengths. Same bytes as signP7(data, {...opts, detached: true}).
 */
export function createDetachedSigner(opts: P7SignerOptions): (data: Uint8Array) => Buffer {
  const t = prepareSigner(opts);
  const encap = der(TAG.SEQUENCE, t.eContentTypeOid);
  const clock = opts.clock ?? systemClock;
  return (data: Uint8Array): Buffer => assemble(t, data, encap, clock());
}

const systemClock = (): Date => new Date();

// ================================================================ parsing

export type P7Reason =
  | 'ok'
  | 'bad-structure'
  | 'missing-content'
  | 'digest-mismatch'
  | 'signature-invalid'
  | 'no-signer-cert'
  | 'unsupported-algorithm';

export type SignerId =
  | { type: 'issuerSerial'; issuerDer: Buffer; issuer: string; serial: Buffer; serialHex: string }
  | { type: 'ski'; ski: Buffer };

export interface ParsedSignerInfo {
  version: number;
  sid: SignerId;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** the [0] IMPLICIT signed attributes exactly as received (first byte 0xA0), when present */
  signedAttrsRaw?: Buffer;
  contentTypeAttr?: string;
  messageDigestAttr?: Buffer;
  signingTime?: Date;
  signature: Buffer;
}

export interface ParsedSignedData {
  form: P7Form;
  version: number;
  digestAlgorithms: string[];
  contentType: string;
  detached: boolean;
  /** the eContent octets (what was signed), when attached */
  content?: Buffer;
  certificates: Buffer[];
  signers: ParsedSignerInfo[];
}

export type P7ParseResult = { ok: true; value: ParsedSignedData } | { ok: false; reason: 'bad-structure'; detail: string };

/** Structure of a SignedData (what SOF_GetP7SignDataInfo reports); never throws. */
export function parseP7(p7: Uint8Array): P7ParseResult {
  try {
    return { ok: true, value: parseSignedData(toBuffer(p7)) };
  } catch (e) {
    return { ok: false, reason: 'bad-structure', detail: (e as Error).message };
  }
}


/** OID of an AlgorithmIdentifier whose parameters must be absent or NULL (true of every hash and signature alg here). */
function algOid(buf: Buffer, t: Tlv | undefined, what: string): string {
  const [oidT, paramsT, extra] = childrenOf(buf, expectTag(t, TAG.SEQUENCE, what));
  if (extra || (paramsT && (paramsT.tag !== TAG.NULL || paramsT.valueEnd !== paramsT.valueStart))) {
    throw new Error(`${what}: parameters must be absent or NULL`);
  }
  return readOid(buf, oidT, what);
}

function parseSignedData(buf: Buffer): ParsedSignedData {
  const root = readRoot(buf);
  const [typeT, explicitT] = childrenOf(buf, expectTag(root, TAG.SEQUENCE, 'ContentInfo'));
  const outerType = readOid(buf, typeT, 'ContentInfo.contentType');
  const form: P7Form | undefined = outerType === OID.gmSignedData ? 'gm' : outerType === OID.signedData ? 'rsa' : undefined;
  if (!form) throw new Error(`content type ${outerType} is not SignedData`);
  const [sdT] = childrenOf(buf, expectTag(explicitT, ctx(0), 'ContentInfo.content'));
  const f = childrenOf(buf, expectTag(sdT, TAG.SEQUENCE, 'SignedData'));
  let i = 0;
  const version = readSmallInt(buf, f[i++], 'SignedData.version');
  // 1 is what PKCS#7 v1.5 and GM/T 0010 write; 3–5 are the CMS versions for richer contents.
  if (![1, 3, 4, 5].includes(version)) throw new Error(`SignedData.version ${version}`);
  const digestAlgorithms = childrenOf(buf, expectTag(f[i++], TAG.SET, 'digestAlgorithms')).map((t) => algOid(buf, t, 'digestAlgorithm'));
  const encap = childrenOf(buf, expectTag(f[i++], TAG.SEQUENCE, 'encapContentInfo'));
  const contentType = readOid(buf, encap[0], 'eContentType');
  let content: Buffer | undefined;
  if (encap[1]) {
    const [inner] = childrenOf(buf, expectTag(encap[1], ctx(0), 'eContent'));
    if (!inner) throw new Error('eContent is empty');
    // PKCS#7 v1.5 allows non-data content types whose signed bytes are the contents octets of the value.
    // copied: the caller may reuse its input buffer while still holding the result
    content = Buffer.from((inner.tag & 0x1f) === TAG.OCTET_STRING ? octetStringValue(buf, inner) : valueOf(buf, inner));
  }
  const certificates: Buffer[] = [];
  if (f[i]?.tag === ctx(0)) {
    for (const c of childrenOf(buf, f[i++])) if (c.tag === TAG.SEQUENCE) certificates.push(Buffer.from(bytesOf(buf, c)));
  }
  if (f[i]?.tag === ctx(1)) i++; // CRLs: revocation is checked elsewhere
  const signerInfos = childrenOf(buf, expectTag(f[i++], TAG.SET, 'signerInfos'));
  if (i !== f.length) throw new Error('unexpected fields after signerInfos');
  return {
    form,
    version,
    digestAlgorithms,
    contentType,
    detached: content === undefined,
    content,
    certificates,
    signers: signerInfos.map((t) => parseSignerInfo(buf, t)),
  };
}

function parseSignerInfo(buf: Buffer, t: Tlv): ParsedSignerInfo {
  const f = childrenOf(buf, expectTag(t, TAG.SEQUENCE, 'SignerInfo'));
  let i = 0;
  const version = readSmallInt(buf, f[i++], 'SignerInfo.version');
  const sidT = f[i++];
  let sid: SignerId;
  if (sidT?.tag === TAG.SEQUENCE) {
    const [issuerT, serialT] = childrenOf(buf, sidT);
    expectTag(issuerT, TAG.SEQUENCE, 'sid.issuer');
    const serial = Buffer.from(valueOf(buf, expectTag(serialT, TAG.INTEGER, 'sid.serialNumber')));
    const issuerDer = Buffer.from(bytesOf(buf, issuerT));
    sid = { type: 'issuerSerial', issuerDer, issuer: safeFormat(issuerDer), serial, serialHex: serialToHex(serial) };
  } else if (sidT?.tag === ctx(0, false)) {
    sid = { type: 'ski', ski: Buffer.from(valueOf(buf, sidT)) };
  } else {
    throw new Error('SignerInfo.sid is neither IssuerAndSerialNumber nor SubjectKeyIdentifier');
  }
  // RFC 5652 §5.3: 1 with IssuerAndSerialNumber, 3 with SubjectKeyIdentifier.
  if (version !== (sid.type === 'ski' ? 3 : 1)) throw new Error(`SignerInfo.version ${version} does not fit its sid`);
  const digestAlgorithm = algOid(buf, f[i++], 'SignerInfo.digestAlgorithm');
  const out: Omit<ParsedSignerInfo, 'signatureAlgorithm' | 'signature'> = { version, sid, digestAlgorithm };
  if (f[i]?.tag === ctx(0)) {
    const attrsT = f[i++];
    out.signedAttrsRaw = Buffer.from(bytesOf(buf, attrsT));
    for (const a of childrenOf(buf, attrsT)) {
      const [typeT, valuesT] = childrenOf(buf, expectTag(a, TAG.SEQUENCE, 'Attribute'));
      const type = readOid(buf, typeT, 'Attribute.type');
      const values = childrenOf(buf, expectTag(valuesT, TAG.SET, 'Attribute.values'));
      const seen = type === OID.contentType ? out.contentTypeAttr : type === OID.messageDigest ? out.messageDigestAttr : type === OID.signingTime ? out.signingTime : undefined;
      if (seen !== undefined) throw new Error(`signed attribute ${type} appears twice`);
      if (type === OID.contentType || type === OID.messageDigest || type === OID.signingTime) {
        if (values.length !== 1) throw new Error(`signed attribute ${type} must have exactly one value`);
      }
      if (type === OID.contentType) out.contentTypeAttr = readOid(buf, values[0], 'contentType');
      else if (type === OID.messageDigest) out.messageDigestAttr = Buffer.from(valueOf(buf, expectTag(values[0], TAG.OCTET_STRING, 'messageDigest')));
      else if (type === OID.signingTime) out.signingTime = decodeTime(buf, values[0]);
    }
  }
  const signatureAlgorithm = algOid(buf, f[i++], 'SignerInfo.signatureAlgorithm');
  const signature = Buffer.from(valueOf(buf, expectTag(f[i++], TAG.OCTET_STRING, 'SignerInfo.signature')));
  if (f[i] && f[i].tag !== ctx(1)) throw new Error('unexpected field after SignerInfo.signature');
  return { ...out, signatureAlgorithm, signature };
}

function safeFormat(nameDer: Buffer): string {
  try {
    return formatNameDer(nameDer);
  } catch {
    return nameDer.toString('hex');
  }
}

// ================================================================ verification

export interface P7VerifyOptions {
  /** the signed content, required for a detached SignedData */
  content?: Uint8Array;
  /** certificates to look the signer up in when the SignedData does not carry it */
  certificates?: Uint8Array[];
  /** SM2 user ID; default 1234567812345678 */
  userId?: string;
  /** SM2 public-key table policy, see pkcs1.ts; default 'auto' */
  precompute?: Sm2PrecomputePolicy;
}

export interface P7SignerVerdict {
  valid: boolean;
  reason: P7Reason;
  /** human-readable detail for logs */
  detail: string;
  signerCert?: Buffer;
  /** upper-case hex, as CA consoles print it */
  signerSerial?: string;
  signerIssuer?: string;
  signerSubject?: string;
  digestAlgorithm?: string;
  signatureAlgorithm?: string;
  signedAttributes: boolean;
  signingTime?: Date;
}

export interface P7VerifyResult extends P7SignerVerdict {
  form?: P7Form;
  contentType?: string;
  detached?: boolean;
  /** the attached content (when attached) */
  content?: Buffer;
  certificates: Buffer[];
  /** every SignerInfo; the top-level fields describe the first failing one, or the first one when all pass */
  signers: P7SignerVerdict[];
}

/** Verifies every SignerInfo of a SignedData. Never throws; `valid` only when all signers verify. */
export function verifyP7(p7: Uint8Array, opts: P7VerifyOptions = {}): P7VerifyResult {
  const parsed = parseP7(p7);
  if (!parsed.ok) return { ...fail('bad-structure', parsed.detail), certificates: [], signers: [] };
  const sd = parsed.value;
  const base = { form: sd.form, contentType: sd.contentType, detached: sd.detached, content: sd.content, certificates: sd.certificates };
  let content = sd.content;
  if (content && opts.content && !toBuffer(opts.content).equals(content)) {
    return { ...base, ...fail('digest-mismatch', 'supplied content differs from the attached content'), signers: [] };
  }
  content ??= opts.content ? toBuffer(opts.content) : undefined;
  if (!content) return { ...base, ...fail('missing-content', 'detached SignedData and no content supplied'), signers: [] };
  if (sd.signers.length === 0) return { ...base, ...fail('bad-structure', 'no SignerInfo'), signers: [] };

  const pool = candidateCerts(sd.certificates, opts.certificates ?? []);
  const signers = sd.signers.map((si) => {
    try {
      return verifySigner(si, sd, content as Buffer, pool, opts);
    } catch (e) {
      return fail('bad-structure', (e as Error).message);
    }
  });
  const top = signers.find((s) => !s.valid) ?? signers[0];
  return { ...base, ...top, signers };
}

function fail(reason: P7Reason, detail: string, extra: Partial<P7SignerVerdict> = {}): P7SignerVerdict {
  return { valid: false, reason, detail, signedAttributes: false, ...extra };
}

function candidateCerts(embedded: Buffer[], supplied: Uint8Array[]): CmsCertificate[] {
  const out: CmsCertificate[] = [];
  for (const c of [...embedded, ...supplied]) {
    try {
      out.push(readCmsCertificate(c));
    } catch {
      // an unreadable certificate cannot be the signer's; keep looking at the others
    }
  }
  return out;
}

function findSigner(sid: SignerId, pool: CmsCertificate[]): CmsCertificate | undefined {
  if (sid.type === 'ski') return pool.find((c) => c.subjectKeyIdentifier?.equals(sid.ski));
  const bySerial = pool.filter((c) => c.serialHex === sid.serialHex);
  // Exact issuer bytes first; then the same name in another string encoding (some SVSs re-encode it).
  return bySerial.find((c) => c.issuerDer.equals(sid.issuerDer)) ?? bySerial.find((c) => c.issuer === sid.issuer);
}

function verifySigner(si: ParsedSignerInfo, sd: ParsedSignedData, content: Buffer, pool: CmsCertificate[], opts: P7VerifyOptions): P7SignerVerdict {
  const info: Partial<P7SignerVerdict> = {
    digestAlgorithm: si.digestAlgorithm,
    signatureAlgorithm: si.signatureAlgorithm,
    signedAttributes: si.signedAttrsRaw !== undefined,
    signingTime: si.signingTime,
  };
  const cert = findSigner(si.sid, pool);
  if (!cert) {
    const who = si.sid.type === 'ski' ? `SKI ${si.sid.ski.toString('hex')}` : `${si.sid.issuer} / ${si.sid.serialHex}`;
    return fail('no-signer-cert', `signer certificate not found (${who})`, info);
  }
  Object.assign(info, { signerCert: cert.der, signerSerial: cert.serialHex, signerIssuer: cert.issuer, signerSubject: cert.subject });
  const pub = cert.publicKey;
  if (!pub) return fail('unsupported-algorithm', `signer key algorithm ${cert.publicKeyAlgorithm}`, info);

  const digestHash = Object.hasOwn(HASH_BY_OID, si.digestAlgorithm) ? HASH_BY_OID[si.digestAlgorithm] : undefined;
  if (!digestHash) return fail('unsupported-algorithm', `digest algorithm ${si.digestAlgorithm}`, info);
  let sigHash: RsaHash;
  if (pub.kind === 'sm2') {
    if (!SM2_SIG_ALGS.has(si.signatureAlgorithm)) return fail('unsupported-algorithm', `signature algorithm ${si.signatureAlgorithm} with an SM2 key`, info);
    if (digestHash !== 'sm3') return fail('unsupported-algorithm', `SM2 with digest ${digestHash}`, info);
    sigHash = 'sm3';
  } else {
    if (!Object.hasOwn(RSA_SIG_ALGS, si.signatureAlgorithm)) return fail('unsupported-algorithm', `signature algorithm ${si.signatureAlgorithm} with an RSA key`, info);
    sigHash = RSA_SIG_ALGS[si.signatureAlgorithm] ?? digestHash;
  }

  let signed: Buffer = content;
  if (si.signedAttrsRaw) {
    if (!si.messageDigestAttr) return fail('bad-structure', 'signed attributes without messageDigest', info);
    if (si.contentTypeAttr !== undefined && si.contentTypeAttr !== sd.contentType) {
      return fail('bad-structure', `contentType attribute ${si.contentTypeAttr} differs from eContentType ${sd.contentType}`, info);
    }
    if (!si.messageDigestAttr.equals(digest(digestHash, content))) return fail('digest-mismatch', 'messageDigest does not match the content', info);
    signed = Buffer.from(si.signedAttrsRaw);
    signed[0] = TAG.SET; // the signature covers the explicit SET OF encoding, not the [0] IMPLICIT one
  }

  let ok: boolean;
  if (pub.kind === 'sm2') {
    let z: Buffer;
    let verifyingKey: ReturnType<typeof sm2VerifyingKey>;
    try {
      z = sm2Z(pub.hex, opts.userId ?? DEFAULT_USER_ID);
      verifyingKey = sm2VerifyingKey(pub.hex, opts.precompute);
    } catch {
      return fail('bad-structure', 'signer certificate public key is not a valid SM2 point', info);
    }
    const e = createHash('sm3').update(z).update(signed).digest();
    ok = isStrictSm2Signature(si.signature) && sm2VerifyDigest(e, si.signature, verifyingKey);
  } else {
    ok = rsaVerify(signed, si.signature, pub.key, sigHash);
  }
  if (!ok) return fail('signature-invalid', 'signature does not verify with the signer certificate key', info);
  return { ...info, valid: true, reason: 'ok', detail: 'signature verified', signedAttributes: info.signedAttributes ?? false };
}
