/**
 * The private keys of the signature server inside one worker thread, by key index. Keys arrive once in
 * workerData (KeySpec, plain strings) and stay in the worker; per-key signing templates (certificate,
 * identifiers, Z) are prepared on first use and reused, which is what makes detached SignedData cheap.
 */
import {
  certificateDer,
  createDetachedSigner,
  loadPrivateKey,
  mustParseCertificate,
  P7SignerOptions,
  ParsedCertificate,
  PrivateKey,
  type RsaHash,
} from '../../../src/crypto';
import { SvsError } from './codes';

/** Serialisable description of one key, built on the main thread (settings.ts). */
export interface KeySpec {
  index: number;
  /** SM2: 64 hex digits; RSA: unencrypted PKCS#8 PEM (the worker never sees a passphrase) */
  privateKey: string;
  certPem: string;
  /** issuing CA certificates, nearest first (for isCertificateChain) */
  chainPem: string[];
}

export interface LoadedKey {
  index: number;
  key: PrivateKey;
  cert: ParsedCertificate;
  chainDer: Buffer[];
  canSign: boolean;
  canDecrypt: boolean;
}

export interface SignerFlags {
  signedAttributes: boolean;
  includeCert: boolean;
  chain: boolean;
  /** RSA keys only (SM2 always uses SM3) */
  hash?: RsaHash;
}

export class KeyStore {
  private readonly keys = new Map<number, LoadedKey>();
  private readonly detached = new Map<string, (data: Uint8Array) => Buffer>();

  constructor(specs: KeySpec[]) {
    for (const s of specs) {
      const key = loadPrivateKey(s.privateKey);
      const cert = mustParseCertificate(certificateDer(s.certPem));
      const ku = cert.extensions.keyUsage;
      this.keys.set(s.index, {
        index: s.index,
        key,
        cert,
        chainDer: s.chainPem.map((p) => certificateDer(p)),
        // No keyUsage extension means "any use" (RFC 5280 §4.2.1.3).
        canSign: !ku || ku.includes('digitalSignature') || ku.includes('nonRepudiation'),
        canDecrypt: !ku || ku.includes('keyEncipherment') || ku.includes('dataEncipherment') || ku.includes('keyAgreement'),
      });
    }
  }

  get(index: number | undefined): LoadedKey {
    const k = index === undefined ? undefined : this.keys.get(index);
    if (!k) throw new SvsError('KEY_NOT_FOUND', `密钥索引 ${index ?? '（未给出）'} 不存在`);
    return k;
  }

  all(): LoadedKey[] {
    return [...this.keys.values()];
  }

  /** A certificate this server holds, by serial (SVS_VerifySignedData type 2). */
  certBySerial(serialHex: string): ParsedCertificate | undefined {
    for (const k of this.keys.values()) {
      if (k.cert.serialHex === serialHex) return k.cert;
      for (const c of k.chainDer) {
        const p = mustParseCertificate(c);
        if (p.serialHex === serialHex) return p;
      }
    }
    return undefined;
  }

  signerOptions(k: LoadedKey, f: SignerFlags): P7SignerOptions {
    return {
      privateKey: k.key,
      certDer: k.cert.der,
      signedAttributes: f.signedAttributes,
      includeCertificate: f.includeCert,
      extraCertificates: f.includeCert && f.chain ? k.chainDer : undefined,
      hash: k.key.kind === 'rsa' ? f.hash : undefined,
    };
  }

  /** The prepared detached signer for (key, flags): built once per worker, then a hash and a signature per call. */
  detachedSigner(k: LoadedKey, f: SignerFlags): (data: Uint8Array) => Buffer {
    const id = `${k.index}|${+f.signedAttributes}${+f.includeCert}${+f.chain}|${f.hash ?? ''}`;
    let s = this.detached.get(id);
    if (!s) {
      s = createDetachedSigner(this.signerOptions(k, f));
      this.detached.set(id, s);
    }
    return s;
  }
}
