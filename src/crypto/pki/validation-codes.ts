/**
 * Outcome codes of certificate validation, with the numeric code a signature server returns.
 *
 * Mapping to GM/T 0029-style SVS `validateCert` results (BJCA SecurityEngineDeal.validateCert, the
 * most widely copied vendor API, see docs/reference/gm-crypto.md#certificate-status-codes):
 *    1  valid                    → OK
 *   -1  root not trusted         → UNTRUSTED_ROOT
 *   -2  expired / not yet valid  → EXPIRED, NOT_YET_VALID
 *   -3  revoked                  → REVOKED
 *   -4  frozen (certificateHold) → SUSPENDED
 * The vendors publish nothing finer, so -5 and below are medbill's own and stable: a caller that
 * only knows the BJCA codes still sees "negative = not valid".
 */
export const VALIDATION_CODES = {
  OK: { gm: 1, zh: '证书有效', en: 'certificate is valid' },
  UNTRUSTED_ROOT: { gm: -1, zh: '证书不受信任：无法构建到已配置根证书的证书链', en: 'no path to a configured trusted root' },
  EXPIRED: { gm: -2, zh: '证书已过期', en: 'certificate has expired' },
  NOT_YET_VALID: { gm: -2, zh: '证书尚未生效', en: 'certificate is not yet valid' },
  REVOKED: { gm: -3, zh: '证书已被吊销', en: 'certificate has been revoked' },
  SUSPENDED: { gm: -4, zh: '证书已冻结（暂停使用）', en: 'certificate is on hold' },
  BAD_SIGNATURE: { gm: -5, zh: '证书签名验证失败', en: 'certificate signature does not verify' },
  NOT_A_CA: { gm: -6, zh: '颁发者证书不是CA证书', en: 'issuer certificate is not a CA' },
  PATH_LENGTH: { gm: -7, zh: '证书链长度超出路径长度约束', en: 'path length constraint exceeded' },
  KEY_USAGE: { gm: -8, zh: '证书密钥用法不符合用途', en: 'key usage does not allow this purpose' },
  UNKNOWN_CRITICAL_EXTENSION: { gm: -9, zh: '证书含无法识别的关键扩展', en: 'certificate has an unrecognised critical extension' },
  REVOCATION_UNKNOWN: { gm: -10, zh: '无法获取证书状态（CRL/OCSP服务不可用）', en: 'revocation status unavailable (CRL/OCSP unreachable)' },
  CRL_EXPIRED: { gm: -11, zh: 'CRL已过期（超过下次更新时间）', en: 'CRL is past its nextUpdate' },
  BAD_CRL_SIGNATURE: { gm: -12, zh: 'CRL签名无效或颁发者不符', en: 'CRL signature or issuer is invalid' },
  OCSP_BAD_SIGNATURE: { gm: -13, zh: 'OCSP响应签名无效或响应者未获授权', en: 'OCSP response signature invalid or responder not authorised' },
  OCSP_INVALID: { gm: -14, zh: 'OCSP响应无效（格式、时间或随机数不符）', en: 'OCSP response invalid (format, time or nonce)' },
  MALFORMED: { gm: -15, zh: '证书格式错误', en: 'certificate is malformed' },
  UNSUPPORTED_ALGORITHM: { gm: -16, zh: '不支持的证书算法', en: 'unsupported certificate algorithm' },
} as const;

export type ValidationCode = keyof typeof VALIDATION_CODES;

/** Failures a revocation source can report. */
export type RevocationFailureCode = 'REVOCATION_UNKNOWN' | 'CRL_EXPIRED' | 'BAD_CRL_SIGNATURE' | 'OCSP_BAD_SIGNATURE' | 'OCSP_INVALID';

export function describeCode(code: ValidationCode): { gm: number; zh: string; en: string } {
  return VALIDATION_CODES[code];
}
