/**
 * The issuance flow's Signer on a signature server (signer.mode: svs): the unit signature is the
 * server's detached SignedData over the UTF-8 bytes of the signed text, whatever vendor the mapping
 * describes. The in-process signer stays available (signer.mode: in-process).
 */
import type { CaClientConfig, Config } from '../../src/config';
import type { SignerHealth, SignResult, Signer } from '../../src/engine/signer';
import { CaError, SvsClient } from './svs-client';
import { signerSerialOf } from './p7-detach';
import { loadVendorMapping } from './vendor-mapping';

/** ca.url, or the embedded SVS when it is empty. */
export function caUrl(cfg: Pick<Config, 'ca' | 'svs'>): string {
  return cfg.ca.url || `http://127.0.0.1:${cfg.svs.port}/svs`;
}

export function svsClientFor(ca: CaClientConfig, url: string): SvsClient {
  return new SvsClient({
    url,
    mapping: loadVendorMapping(ca.vendor),
    appName: ca.appName,
    keyIndex: ca.keyIndex,
    password: ca.password,
    timeoutMs: ca.timeoutMs,
    keepAlive: ca.keepAlive,
    maxSockets: ca.maxSockets,
  });
}

export class SvsSigner implements Signer {
  readonly name: string;

  constructor(readonly client: SvsClient) {
    this.name = `svs:${client.vendor}`;
  }

  static fromConfig(cfg: Pick<Config, 'ca' | 'svs'>): SvsSigner {
    return new SvsSigner(svsClientFor(cfg.ca, caUrl(cfg)));
  }

  async signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult> {
    // CaErrors pass through: the sign step words them for the HIS; the vendor's words are in the client's log line.
    const p7 = await this.client.signMessage(Buffer.from(content, 'utf8'), { detached: true }, ctx);
    const certSerial = signerSerialOf(p7);
    if (!certSerial) throw new CaError('Rejected', '签名服务器返回的不是可识别签名者的 SignedData', { operation: 'signMessageDetached' });
    return { signature: p7.toString('base64'), certSerial };
  }

  health(): Promise<SignerHealth> {
    return this.client.probe();
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
