/**
 * What each SVS operation does, on the crypto core (src/crypto). Runs inside a worker thread: handlers
 * receive typed arguments (args.ts) and the keys of this worker, return the reply fields, and signal
 * expected failures with SvsError (a return code and a message). Authentication and audit happen
 * around them (engine.ts); nothing here sees a password or writes a log.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_USER_ID,
  makeEnvelope,
  normaliseSerial,
  openEnvelope,
  parseCertificateCached,
  ParsedCertificate,
  RsaHash,
  signData,
  signP7,
  sm2Digest,
  verifyData,
  verifyP7,
  type RsaPublicKey,
  type Sm2PublicKey,
} from '../../../src/crypto';
import type { ArgValue, Args } from './args';
import type { CertChecks } from './cert-checks';
import { SvsError } from './codes';
import type { KeyStore, LoadedKey } from './keystore';

/** GM/T 0006 algorithm identifiers (SGD_*) the operations accept. */
export const SGD = {
  SM3: 0x00000001,
  SHA1: 0x00000002,
  SHA256: 0x00000004,
  SM3_RSA: 0x00010001,
  SHA1_RSA: 0x00010002,
  SHA256_RSA: 0x00010004,
  SM3_SM2: 0x00020201,
  SM4_CBC: 0x00000402,
} as const;

const RSA_SIGN_HASH: Record<number, RsaHash> = { [SGD.SM3_RSA]: 'sm3', [SGD.SHA1_RSA]: 'sha1', [SGD.SHA256_RSA]: 'sha256' };
const DIGESTS: Record<number, string> = { [SGD.SM3]: 'sm3', [SGD.SHA1]: 'sha1', [SGD.SHA256]: 'sha256' };

/** GM/T 0006 certificate item numbers (SGD_CERT_*, SGD_EXT_*) for SVS_ParseCert. */
export const CERT_ITEMS: Record<number, { name: string; value: (c: ParsedCertificate) => string | undefined }> = {
  0x01: { name: 'SGD_CERT_VERSION', value: (c) => String(c.version) },
  0x02: { name: 'SGD_CERT_SERIAL', value: (c) => c.serialHex.toUpperCase() },
  0x05: { name: 'SGD_CERT_ISSUER', value: (c) => c.issuer.text },
  // ISO 8601 interval: start/end
  0x06: { name: 'SGD_CERT_VALID_TIME', value: (c) => `${c.notBefore.toISOString()}/${c.notAfter.toISOString()}` },
  0x07: { name: 'SGD_CERT_SUBJECT', value: (c) => c.subject.text },
  0x08: { name: 'SGD_CERT_DER_PUBLIC_KEY', value: (c) => c.spki.toString('base64') },
  0x09: { name: 'SGD_CERT_DER_EXTENSIONS', value: (c) => c.extensions.all.map((e) => `${e.oid}${e.critical ? '(critical)' : ''}=${e.value.toString('base64')}`).join(';') },
  0x11: { name: 'SGD_EXT_AUTHORITYKEYIDENTIFIER_INFO', value: (c) => c.extensions.authorityKeyId?.toUpperCase() },
  0x12: { name: 'SGD_EXT_SUBJECTKEYIDENTIFIER_INFO', value: (c) => c.extensions.subjectKeyId?.toUpperCase() },
  0x13: { name: 'SGD_EXT_KEYUSAGE_INFO', value: (c) => c.extensions.keyUsage?.join(',') },
  0x17: {
    name: 'SGD_EXT_BASICCONSTRAINTS_INFO',
    value: (c) => {
      const bc = c.extensions.basicConstraints;
      return bc && `CA=${bc.ca}${bc.pathLen !== undefined ? `, pathLen=${bc.pathLen}` : ''}`;
    },
  },
  0x19: { name: 'SGD_EXT_EXTKEYUSAGE_INFO', value: (c) => c.extensions.extKeyUsage?.join(',') },
  0x1a: { name: 'SGD_EXT_CRLDISTRIBUTIONPOINTS_INFO', value: (c) => [...c.extensions.crlUrls, ...c.extensions.crlDirectoryNames].join(',') || undefined },
  0x21: { name: 'SGD_CERT_ISSUER_CN', value: (c) => rdn(c.issuer, 'CN') },
  0x22: { name: 'SGD_CERT_ISSUER_O', value: (c) => rdn(c.issuer, 'O') },
  0x23: { name: 'SGD_CERT_ISSUER_OU', value: (c) => rdn(c.issuer, 'OU') },
  0x31: { name: 'SGD_CERT_SUBJECT_CN', value: (c) => rdn(c.subject, 'CN') },
  0x32: { name: 'SGD_CERT_SUBJECT_O', value: (c) => rdn(c.subject, 'O') },
  0x33: { name: 'SGD_CERT_SUBJECT_OU', value: (c) => rdn(c.subject, 'OU') },
  0x34: { name: 'SGD_CERT_SUBJECT_EMAIL', value: (c) => rdn(c.subject, 'E') },
};

function rdn(name: ParsedCertificate['subject'], type: string): string | undefined {
  const values = name.rdns.flat().filter((a) => a.type === type).map((a) => a.value);
  return values.length ? values.join(',') : undefined;
}

export interface OpEnv {
  keys: KeyStore;
  certs: CertChecks;
}

export type Reply = Record<string, ArgValue | undefined>;

export interface OperationSpec {
  /** 'private': signs or decrypts with keyIndex (access-checked and audited); 'public': reads keyIndex's certificate */
  keyUse?: 'private' | 'public';
  /** the argument whose SM3 digest goes into the audit record */
  auditField?: string;
  run(env: OpEnv, a: Args, key: LoadedKey | undefined): Reply | Promise<Reply>;
}

const bytes = (a: Args, f: string): Buffer => a[f] as Buffer;
const flag = (a: Args, f: string, dflt: boolean): boolean => (a[f] === undefined ? dflt : (a[f] as boolean));

function parseCert(der: Buffer, field = 'cert'): ParsedCertificate {
  const r = parseCertificateCached(der);
  if (!r.ok) throw new SvsError('CERT_MALFORMED', `${field}: ${r.reason}`);
  return r.value;
}

function verifyingKey(cert: ParsedCertificate): Sm2PublicKey | RsaPublicKey {
  const k = cert.publicKey;
  if (k.kind === 'sm2' || k.kind === 'rsa') return k;
  throw new SvsError('ALG_NOT_SUPPORTED', `证书公钥算法 ${k.kind === 'ec' ? `EC ${k.curveOid}` : k.algorithmOid}`);
}

function signatureHash(kind: 'sm2' | 'rsa', method: number | undefined): RsaHash {
  if (kind === 'sm2') {
    if (method !== undefined && method !== SGD.SM3_SM2) throw new SvsError('ALG_NOT_SUPPORTED', `SM2 密钥只支持 SGD_SM3_SM2 (0x00020201)，收到 0x${method.toString(16)}`);
    return 'sm3';
  }
  if (method === undefined) return 'sha256';
  const h = RSA_SIGN_HASH[method];
  if (!h) throw new SvsError('ALG_NOT_SUPPORTED', `RSA 签名算法 0x${method.toString(16)}`);
  return h;
}

function mustSign(key: LoadedKey): void {
  if (!key.canSign) throw new SvsError('KEY_USAGE', `密钥索引 ${key.index} 的证书不允许签名（keyUsage ${key.cert.extensions.keyUsage?.join(',')}）`);
}

function level(a: Args): number {
  const l = (a.verifyLevel as number | undefined) ?? 0;
  if (l < 0 || l > 2) throw new SvsError('BAD_REQUEST', `verifyLevel 只能是 0、1、2，收到 ${l}`);
  return l;
}

async function certMustPass(env: OpEnv, cert: ParsedCertificate, a: Args, extra?: Buffer[]): Promise<void> {
  const v = await env.certs.check(cert, { level: level(a), at: a.verifyTime as Date | undefined, purpose: 'signing', extra });
  if (!v.ok) throw new SvsError('CERT_NOT_VALID', `签名者证书 ${cert.subject.text}（序列号 ${cert.serialHex.toUpperCase()}）${v.reason}`);
}

export const OPERATIONS: Record<string, OperationSpec> = {
  SVS_ExportCert: {
    keyUse: 'public',
    run: (_env, _a, key) => ({ cert: key!.cert.der }),
  },

  SVS_ParseCert: {
    run: (_env, a) => {
      const cert = parseCert(bytes(a, 'cert'));
      const item = CERT_ITEMS[a.infoType as number];
      if (!item) throw new SvsError('NOT_SUPPORTED', `证书项目号 0x${(a.infoType as number).toString(16)}（支持：${Object.keys(CERT_ITEMS).map((k) => '0x' + Number(k).toString(16)).join(', ')}）`);
      const value = item.value(cert);
      if (value === undefined) throw new SvsError('NOT_SUPPORTED', `证书没有 ${item.name} 项`);
      return { info: value };
    },
  },

  SVS_ValidateCert: {
    run: async (env, a) => {
      const cert = parseCert(bytes(a, 'cert'));
      const v = await env.certs.check(cert, { level: 2, ocsp: a.ocsp as boolean | undefined });
      if (!v.ok) throw new SvsError('CERT_NOT_VALID', v.reason, { certState: v.state });
      return { certState: v.state };
    },
  },

  SVS_SignData: {
    keyUse: 'private',
    auditField: 'data',
    run: (_env, a, key) => {
      mustSign(key!);
      const hash = signatureHash(key!.key.kind, a.method as number | undefined);
      return { signature: signData(bytes(a, 'data'), key!.key, { hash }) };
    },
  },

  SVS_VerifySignedData: {
    run: async (env, a) => {
      let cert: ParsedCertificate;
      if (a.type === 1) {
        if (!a.cert) throw new SvsError('BAD_REQUEST', 'type=1 时必须给出 cert');
        cert = parseCert(bytes(a, 'cert'));
      } else if (a.type === 2) {
        if (!a.certSN) throw new SvsError('BAD_REQUEST', 'type=2 时必须给出 certSN');
        const found = env.keys.certBySerial(normaliseSerial(a.certSN as string));
        if (!found) throw new SvsError('CERT_NOT_FOUND', `序列号 ${(a.certSN as string).slice(0, 64)} 不是本服务器持有的证书`);
        cert = found;
      } else throw new SvsError('BAD_REQUEST', `type 只能是 1（证书）或 2（证书序列号），收到 ${String(a.type)}`);
      const pub = verifyingKey(cert);
      const hash = signatureHash(pub.kind, a.method as number | undefined);
      if (!verifyData(bytes(a, 'data'), bytes(a, 'signature'), pub, { hash })) throw new SvsError('SIGNATURE_INVALID', `签名与原文或证书 ${cert.subject.text} 不符`);
      await certMustPass(env, cert, a);
      return {};
    },
  },

  SVS_SignMessage: {
    keyUse: 'private',
    auditField: 'data',
    run: (env, a, key) => {
      mustSign(key!);
      const hash = signatureHash(key!.key.kind, a.method as number | undefined);
      if (flag(a, 'isHashFlag', false)) throw new SvsError('NOT_SUPPORTED', 'isHashFlag=true（对摘要签名）不支持，请传原文');
      if (flag(a, 'isCrl', false)) throw new SvsError('NOT_SUPPORTED', 'isCrl=true（附 CRL）不支持');
      const f = {
        signedAttributes: flag(a, 'isAuthenticationAttributes', false),
        includeCert: flag(a, 'includeCert', true),
        chain: flag(a, 'isCertificateChain', false),
        hash: key!.key.kind === 'rsa' ? hash : undefined,
      };
      const data = bytes(a, 'data');
      const p7 = flag(a, 'isOriginalText', false) ? signP7(data, env.keys.signerOptions(key!, f)) : env.keys.detachedSigner(key!, f)(data);
      return { signedMessage: p7 };
    },
  },

  SVS_VerifySignedMessage: {
    run: async (env, a) => {
      const r = verifyP7(bytes(a, 'signedMessage'), { content: a.data as Buffer | undefined });
      if (!r.valid) {
        const kind = r.reason === 'signature-invalid' || r.reason === 'digest-mismatch' ? 'SIGNATURE_INVALID' : r.reason === 'no-signer-cert' ? 'CERT_NOT_FOUND' : r.reason === 'unsupported-algorithm' ? 'ALG_NOT_SUPPORTED' : 'MESSAGE_MALFORMED';
        throw new SvsError(kind, `${r.reason}: ${r.detail}`);
      }
      for (const s of r.signers) {
        const cert = parseCert(s.signerCert as Buffer, 'signer certificate');
        await certMustPass(env, cert, a, r.certificates);
      }
      return {
        signerCert: r.signerCert,
        signerSerial: r.signerSerial,
        signerSubject: r.signerSubject,
        signingTime: r.signingTime?.toISOString(),
        originalText: r.detached ? undefined : r.content,
      };
    },
  },

  SVS_MakeEnvelope: {
    run: (_env, a) => {
      const method = a.method as number | undefined;
      if (method !== undefined && method !== SGD.SM4_CBC) throw new SvsError('ALG_NOT_SUPPORTED', `对称算法 0x${method.toString(16)}（支持 SGD_SM4_CBC 0x00000402）`);
      const cert = parseCert(bytes(a, 'cert'));
      verifyingKey(cert);
      try {
        return { envelope: makeEnvelope(bytes(a, 'data'), cert.der, { contentCipher: cert.publicKey.kind === 'sm2' || method === SGD.SM4_CBC ? 'sm4-cbc' : undefined }) };
      } catch (e) {
        throw new SvsError('ENVELOPE_FAILED', (e as Error).message);
      }
    },
  },

  SVS_OpenEnvelope: {
    keyUse: 'private',
    auditField: 'envelope',
    run: (_env, a, key) => {
      if (!key!.canDecrypt) throw new SvsError('KEY_USAGE', `密钥索引 ${key!.index} 的证书不允许解密（keyUsage ${key!.cert.extensions.keyUsage?.join(',')}）`);
      const r = openEnvelope(bytes(a, 'envelope'), { privateKey: key!.key, certDer: key!.cert.der });
      if (!r.ok) throw new SvsError('ENVELOPE_FAILED', `${r.reason}: ${r.detail}`);
      return { data: r.content };
    },
  },

  SVS_Hash: {
    run: (_env, a) => {
      const method = (a.method as number | undefined) ?? SGD.SM3;
      const alg = DIGESTS[method];
      if (!alg) throw new SvsError('ALG_NOT_SUPPORTED', `摘要算法 0x${method.toString(16)}（支持 SGD_SM3 1, SGD_SHA1 2, SGD_SHA256 4）`);
      if (a.cert) {
        if (method !== SGD.SM3) throw new SvsError('BAD_REQUEST', 'SM2 预处理（给出 cert）只用于 SGD_SM3');
        const pub = parseCert(bytes(a, 'cert')).publicKey;
        if (pub.kind !== 'sm2') throw new SvsError('ALG_NOT_SUPPORTED', 'SM2 预处理需要 SM2 证书');
        return { hash: sm2Digest(bytes(a, 'data'), pub.hex, (a.userId as string | undefined) ?? DEFAULT_USER_ID) };
      }
      return { hash: createHash(alg).update(bytes(a, 'data')).digest() };
    },
  },

  SVS_GenRandom: {
    run: (_env, a) => {
      const n = a.length as number;
      if (!(n >= 1 && n <= 4096)) throw new SvsError('BAD_REQUEST', `length 应在 1–4096 之间，收到 ${n}`);
      return { random: randomBytes(n) };
    },
  },
};
