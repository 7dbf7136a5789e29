/**
 * Throw-away certificates for the CMS tests: a self-signed SM2 certificate (SM2-with-SM3, no parameters;
 * SPKI ecPublicKey + SM2 curve, as real GM certificates are) and an RSA one (sha256WithRSAEncryption).
 * The real certificate builder lives in src/crypto/pki/x509.ts; this only has to be a valid X.509 v3.
 */
import { createHash, KeyObject, sign as nodeSign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { generateRsaKeyPair, generateSm2KeyPair, OID, RsaPrivateKey, Sm2PrivateKey, sm2PrivateKey, sm2Sign } from '../../../src/crypto';

export interface TestCertOptions {
  commonName?: string;
  /** issuer name; default = subject (self-signed) */
  issuerCommonName?: string;
  /** unsigned big-endian serial; default random 8 bytes with the top bit set (exercises the sign octet) */
  serial?: Buffer;
  /** default true */
  subjectKeyIdentifier?: boolean;
}

export interface Sm2TestIdentity {
  key: Sm2PrivateKey;
  certDer: Buffer;
  ski: Buffer;
  serial: Buffer;
}

export interface RsaTestIdentity {
  key: RsaPrivateKey;
  certDer: Buffer;
  ski: Buffer;
  serial: Buffer;
}

const ab = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;

function name(cn: string): Name {
  const rdn = (type: string, v: AttributeValue): RelativeDistinguishedName =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: v })]);
  return new Name([
    rdn(OID.countryName, new AttributeValue({ printableString: 'CN' })),
    rdn(OID.organizationName, new AttributeValue({ utf8String: 'medbill 测试医院' })),
    rdn(OID.commonName, new AttributeValue({ utf8String: cn })),
  ]);
}

function serialBytes(opts: TestCertOptions): Buffer {
  if (opts.serial) return opts.serial;
  const s = createHash('sha256').update(String(Math.random())).digest().subarray(0, 8);
  s[0] |= 0x80;
  return s;
}

/** INTEGER contents from an unsigned magnitude (sign octet added when the top bit is set). */
function integerContents(mag: Buffer): Buffer {
  return mag[0] & 0x80 ? Buffer.concat([Buffer.from([0]), mag]) : mag;
}

function buildTbs(opts: TestCertOptions, spki: SubjectPublicKeyInfo, sigAlg: AlgorithmIdentifier, ski: Buffer, serial: Buffer): TBSCertificate {
  const cn = opts.commonName ?? 'medbill test signer';
  const exts: Extension[] = [];
  if (opts.subjectKeyIdentifier !== false) {
    exts.push(
      new Extension({
        extnID: OID.subjectKeyIdentifier,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(ab(ski)))),
      }),
    );
  }
  const now = Date.now();
  return new TBSCertificate({
    version: Version.v3,
    serialNumber: ab(integerContents(serial)),
    signature: sigAlg,
    issuer: name(opts.issuerCommonName ?? cn),
    validity: new Validity({ notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 365 * 86_400_000) }),
    subject: name(cn),
    subjectPublicKeyInfo: spki,
    extensions: exts.length ? new Extensions(exts) : undefined,
  });
}

export function makeSm2TestCert(opts: TestCertOptions = {}, key?: Sm2PrivateKey): Sm2TestIdentity {
  const k = key ?? (() => {
    const kp = generateSm2KeyPair();
    return sm2PrivateKey(kp.privateKey, kp.publicKey);
  })();
  const point = Buffer.from(k.publicKey, 'hex');
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: OID.ecPublicKey, parameters: ab(encodeOidForTest(OID.sm2)) }),
    subjectPublicKey: ab(point),
  });
  // SM2-with-SM3 certificates carry no parameters at all (not NULL), like the BJCA certificate.
  const sigAlg = new AlgorithmIdentifier({ algorithm: OID.sm2WithSm3 });
  const ski = createHash('sha1').update(point).digest();
  const serial = serialBytes(opts);
  const tbs = buildTbs(opts, spki, sigAlg, ski, serial);
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const sig = sm2Sign(tbsDer, k.privateKey, k.publicKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: ab(sig) });
  return { key: k, certDer: Buffer.from(AsnConvert.serialize(cert)), ski, serial };
}

export function makeRsaTestCert(opts: TestCertOptions = {}, keys?: { privateKey: KeyObject; publicKey: KeyObject }): RsaTestIdentity {
  const kp = keys ?? generateRsaKeyPair(2048);
  const spkiDer = kp.publicKey.export({ format: 'der', type: 'spki' });
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const sigAlg = new AlgorithmIdentifier({ algorithm: OID.sha256WithRSA, parameters: null });
  const ski = createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
  const serial = serialBytes(opts);
  const tbs = buildTbs(opts, spki, sigAlg, ski, serial);
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const sig = nodeSign('sha256', tbsDer, kp.privateKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: ab(sig) });
  return {
    key: { kind: 'rsa', privateKey: kp.privateKey, publicKey: kp.publicKey },
    certDer: Buffer.from(AsnConvert.serialize(cert)),
    ski,
    serial,
  };
}

/** Base-128 OID encoding, kept local so the helper does not lean on the code under test. */
function encodeOidForTest(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [];
  const push = (v: number): void => {
    const t = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) t.unshift((v & 0x7f) | 0x80);
    body.push(...t);
  };
  push(arcs[0] * 40 + arcs[1]);
  arcs.slice(2).forEach(push);
  return Buffer.from([0x06, body.length, ...body]);
}

export function pemCert(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}
