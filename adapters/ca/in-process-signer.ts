/** Signs in this process's worker pool with a key held in memory (the embedded default). */
import type { CpuPool } from '../../src/engine/cpu-pool';
import type { SignResult, Signer } from '../../src/engine/signer';

export class InProcessSigner implements Signer {
  readonly name = 'in-process';

  constructor(
    private readonly pool: CpuPool,
    private readonly keyId: string,
    private readonly certSerial: string,
  ) {}

  async signDetached(content: string): Promise<SignResult> {
    const r = await this.pool.run({ op: 'signP7Detached', keyId: this.keyId, content });
    return { signature: r.signature!, certSerial: this.certSerial };
  }

  async signDetachedWithQr(content: string, qrText: string): Promise<SignResult & { qrPng: string }> {
    const r = await this.pool.run({ op: 'issue', keyId: this.keyId, content, qrText });
    return { signature: r.signature!, certSerial: this.certSerial, qrPng: r.qrPng! };
  }

  async close(): Promise<void> {
    /* the pool belongs to the services container */
  }
}
