/**
 * The demo PKI that `npm start` and the tests run on: two SM2 roots and the certificates the
 * hospital needs.
 *
 *   medbill 演示根CA (hospital-side CA, stands in for GDCA)
 *     ├─ unit signing cert      digitalSignature | nonRepudiation   (signs e-bills)
 *     ├─ unit encryption cert   keyEncipherment | dataEncipherment  (digital envelopes)
 *     └─ OCSP responder         id-kp-OCSPSigning, ocsp-nocheck     (delegated responder)
 *   medbill 演示财政CA (finance-side CA)
 *     └─ finance supervisor signing cert                            (supervisory signature)
 *
 * Why a separate finance CA rather than the same root: in production the supervisory signature is
 * made by the provincial finance department with a certificate from its own CA, a trust domain the
 * hospital does not control. Two roots make the demo exercise the multi-CA trust store the
 * requirement asks for, and keep a compromised hospital CA from minting finance signatures.
 *
 * The result is plain JSON (PEM certificates, hex keys) so it can be written to a file or a DB row.
 */
import { generateSm2KeyPair } from '../algorithms/sm2';
import { SigningKey } from './signature-alg';
import { OID } from '../asn1/oids';
import { buildCertificate, certificateToPem, KeyUsageName, mustParseCertificate, ParsedCertificate, parseCertificateCached } from './x509';

export interface DemoIdentity {
  subject: string;
  serialHex: string;
  certificatePem: string;
  /** SM2 private key, 64 hex. Demo only: a production key lives in the signature server. */
  privateKey: string;
  /** Uncompressed SM2 public key, 130 hex. */
  publicKey: string;
}

export interface DemoPki {
  format: 'medbill-demo-pki/1';
  createdAt: string;
  rootCa: DemoIdentity;
  unitSigning: DemoIdentity;
  unitEncryption: DemoIdentity;
  ocspResponder: DemoIdentity;
  financeCa: DemoIdentity;
  financeSigning: DemoIdentity;
  /** Both roots, PEM-concatenated: the trust store a verifier starts with. */
  trustRootsPem: string;
}

export interface DemoPkiOptions {
  now?: Date;
  hospitalName?: string;
  caValidityDays?: number;
  leafValidityDays?: number;
  /** CRL distribution points written into the hospital CA's leaf certificates (HTTP and/or LDAP). */
  crlUrls?: string[];
  /** OCSP responder URL written into the hospital CA's leaf certificates. */
  ocspUrl?: string;
  financeCrlUrls?: string[];
  financeOcspUrl?: string;
}

const DAY = 86400_000;

export function generateDemoPki(opts: DemoPkiOptions = {}): DemoPki {
  const now = opts.now ?? new Date();
  // Back-date a little so a peer whose clock lags by minutes still accepts the certificates.
  const notBefore = new Date(now.getTime() - 10 * 60_000);
  const caUntil = new Date(now.getTime() + (opts.caValidityDays ?? 3650) * DAY);
  const leafUntil = new Date(now.getTime() + (opts.leafValidityDays ?? 730) * DAY);
  const hospital = opts.hospitalName ?? 'medbill 演示医院';

  const makeRoot = (cn: string): { id: DemoIdentity; cert: ParsedCertificate; key: SigningKey } => {
    const kp = generateSm2KeyPair();
    const key: SigningKey = { kind: 'sm2', privateKey: kp.privateKey, publicKey: kp.publicKey };
    const subject = `CN=${cn}, O=medbill demo, C=CN`;
    const der = buildCertificate({ subject, signingKey: key, notBefore, notAfter: caUntil, ca: { pathLen: 1 }, keyUsage: ['keyCertSign', 'cRLSign'] });
    const cert = mustParseCertificate(der);
    return { id: identity(cert, kp.privateKey, kp.publicKey), cert, key };
  };

  const makeLeaf = (
    issuer: { cert: ParsedCertificate; key: SigningKey },
    cn: string,
    keyUsage: KeyUsageName[],
    extra: { crlUrls?: string[]; ocspUrl?: string; extKeyUsage?: string[]; ocspNoCheck?: boolean; ou?: string },
  ): DemoIdentity => {
    const kp = generateSm2KeyPair();
    const der = buildCertificate({
      subject: `CN=${cn}${extra.ou ? `, OU=${extra.ou}` : ''}, O=medbill demo, C=CN`,
      publicKey: { kind: 'sm2', hex: kp.publicKey },
      signingKey: issuer.key,
      issuer: issuer.cert,
      notBefore,
      notAfter: leafUntil,
      keyUsage,
      extKeyUsage: extra.extKeyUsage,
      crlUrls: extra.crlUrls,
      ocspUrls: extra.ocspUrl ? [extra.ocspUrl] : undefined,
      ocspNoCheck: extra.ocspNoCheck,
    });
    return identity(mustParseCertificate(der), kp.privateKey, kp.publicKey);
  };

  const root = makeRoot('medbill 演示根CA');
  const finance = makeRoot('medbill 演示财政CA');
  const status = { crlUrls: opts.crlUrls, ocspUrl: opts.ocspUrl };
  return {
    format: 'medbill-demo-pki/1',
    createdAt: now.toISOString(),
    rootCa: root.id,
    unitSigning: makeLeaf(root, `${hospital} 签名`, ['digitalSignature', 'nonRepudiation'], { ...status, ou: '收费处' }),
    unitEncryption: makeLeaf(root, `${hospital} 加密`, ['keyEncipherment', 'dataEncipherment'], { ...status, ou: '收费处' }),
    ocspResponder: makeLeaf(root, 'medbill 演示OCSP响应器', ['digitalSignature'], { extKeyUsage: [OID.kpOcspSigning], ocspNoCheck: true }),
    financeCa: finance.id,
    financeSigning: makeLeaf(finance, 'medbill 演示财政监管签名', ['digitalSignature', 'nonRepudiation'], {
      crlUrls: opts.financeCrlUrls,
      ocspUrl: opts.financeOcspUrl,
    }),
    trustRootsPem: root.id.certificatePem + finance.id.certificatePem,
  };
}

function identity(cert: ParsedCertificate, privateKey: string, publicKey: string): DemoIdentity {
  return { subject: cert.subject.text, serialHex: cert.serialHex, certificatePem: certificateToPem(cert.der), privateKey, publicKey };
}

/** The parsed certificate of a stored identity (cached by fingerprint). */
export function demoCertificate(id: DemoIdentity): ParsedCertificate {
  const r = parseCertificateCached(id.certificatePem);
  if (!r.ok) throw new Error(`demo identity ${id.subject}: ${r.reason}`);
  return r.value;
}

export function demoSigningKey(id: DemoIdentity): SigningKey {
  return { kind: 'sm2', privateKey: id.privateKey, publicKey: id.publicKey };
}
