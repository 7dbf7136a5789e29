/**
 * Return codes of the embedded signature server. 0 is success, as in GM/T 0018/0029. The SDR_* values
 * of GM/T 0018 describe a crypto device, not a server with accounts and policies, and GM/T 0029's own
 * code table is not public, so the non-zero codes are medbill's: one block (0x0400xxxx, the range
 * vendors use for SVS-level errors), stable once published, and each distinct so a client can tell a
 * wrong password from a missing permission without reading the message. The message says the rest.
 */
export const SVS_CODES = {
  OK: { code: 0, zh: '成功' },
  UNKNOWN: { code: 0x04000001, zh: '未知错误' },
  NOT_SUPPORTED: { code: 0x04000002, zh: '不支持的功能或参数' },
  BAD_REQUEST: { code: 0x04000003, zh: '请求参数错误' },
  BUSY: { code: 0x04000004, zh: '服务繁忙，请稍后重试' },
  AUDIT_FAILED: { code: 0x04000005, zh: '审计记录写入失败，操作结果未返回' },

  APP_UNKNOWN: { code: 0x04000101, zh: '应用不存在' },
  APP_PASSWORD: { code: 0x04000102, zh: '应用口令错误' },
  OP_DENIED: { code: 0x04000103, zh: '应用无权调用该操作' },
  KEY_DENIED: { code: 0x04000104, zh: '应用无权使用该密钥索引' },
  IP_DENIED: { code: 0x04000105, zh: '客户端地址不在应用的允许列表中' },

  KEY_NOT_FOUND: { code: 0x04000201, zh: '密钥索引不存在' },
  KEY_USAGE: { code: 0x04000202, zh: '密钥用途不允许该操作' },
  ALG_NOT_SUPPORTED: { code: 0x04000203, zh: '不支持的算法' },

  CERT_MALFORMED: { code: 0x04000301, zh: '证书格式错误' },
  CERT_NOT_VALID: { code: 0x04000302, zh: '证书无效' },
  CERT_NOT_FOUND: { code: 0x04000303, zh: '找不到证书' },

  SIGN_FAILED: { code: 0x04000401, zh: '签名失败' },
  SIGNATURE_INVALID: { code: 0x04000402, zh: '签名验证失败' },
  MESSAGE_MALFORMED: { code: 0x04000403, zh: '签名消息格式错误' },

  ENVELOPE_FAILED: { code: 0x04000501, zh: '数字信封处理失败' },
} as const;

export type SvsCodeName = keyof typeof SVS_CODES;

export function codeName(code: number): SvsCodeName | undefined {
  return (Object.keys(SVS_CODES) as SvsCodeName[]).find((k) => SVS_CODES[k].code === code);
}

/** An expected failure of an operation: becomes a reply with a return code, never a stack trace. */
export class SvsError extends Error {
  constructor(
    readonly kind: SvsCodeName,
    detail?: string,
    /** reply fields that still make sense with the failure (SVS_ValidateCert's certState) */
    readonly reply?: Record<string, string | number>,
  ) {
    super(detail ? `${SVS_CODES[kind].zh}：${detail}` : SVS_CODES[kind].zh);
  }

  get code(): number {
    return SVS_CODES[this.kind].code;
  }
}
