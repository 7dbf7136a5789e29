/**
 * Every code medbill reports, in one table: the result codes a HIS receives (with whether it should
 * retry) and the lint codes `medbill validate` prints. Each message is a Chinese template whose
 * `{name}` placeholders the caller fills; TypeScript checks the names (see Vars below), so a template
 * and its call sites cannot drift. docs/reference/errors.md is generated from this file (`medbill docs`).
 */

/** The error classes flows and the outbox route on (vocabulary borrowed from Temporal and Camel). */
export type ErrorClass = 'ValidationError' | 'Duplicate' | 'Conflict' | 'NotFound' | 'Timeout' | 'Unavailable' | 'Busy' | 'Rejected' | 'Internal';

/**
 * What a HIS should do with a result:
 *   no     — do not resend as is: fix the request (or nothing to do)
 *   same   — resend the same request (same busNo) later; it completes what was started
 *   query  — call getEBillByBusNo first; resend the same busNo only if it says "not issued"
 */
export type RetryAdvice = 'no' | 'same' | 'query';

export interface HisCodeSpec {
  class: ErrorClass | 'Ok';
  retry: RetryAdvice;
  /** short Chinese name of the code */
  title: string;
  /** when it happens and what the HIS programmer does about it (docs) */
  doc: string;
  /** named Chinese message templates */
  messages: Record<string, string>;
}

export const HIS_CODES = {
  S0000: { class: 'Ok', retry: 'no', title: '成功', doc: 'The request succeeded; `message` holds the business answer (or a success text).', messages: { ok: '成功' } },
  E0001: {
    class: 'ValidationError',
    retry: 'no',
    title: '签名验证失败',
    doc: 'The envelope `sign` (or the WS-Security digest) does not match the appid\'s key.',
    messages: {
      md5: '签名验证失败：sign 应为 MD5("appid=…&data=…&noise=…&key=…&version=…") 的大写十六进制，data 取传输时的原值',
      wssPlainText: '不接受明文密码（PasswordText）：请使用 PasswordDigest = Base64(SHA-1(Nonce 解码后的字节 + Created + key))，Type 为 …#PasswordDigest',
      wssDigest: '签名验证失败：wsse:Password 应为 Base64(SHA-1(Nonce 解码后的字节 + Created 原文 + key))',
    },
  },
  E0002: {
    class: 'ValidationError',
    retry: 'no',
    title: '应用账号不存在',
    doc: 'The appid (or wsse:Username) is not a configured caller.',
    messages: { unknownApp: 'appid {appid} 不存在或未授权' },
  },
  E0003: {
    class: 'ValidationError',
    retry: 'no',
    title: '请求报文格式错误',
    doc: 'The envelope (JSON, form or SOAP) cannot be read: a field is missing, the body is not JSON/XML, too large or too deep.',
    messages: {
      version: '版本号 version 应为 1.0，收到 {version}',
      tooLarge: '请求过大：{size} 字节，超过上限 {limit} 字节',
      tooLargeFor: '请求过大：服务 {serviceId} 的请求不能超过 {limit} 字节，收到 {size} 字节',
      replayMismatch: '重放请求头 x-medbill-replay-of 指向的消息 {id} 不存在，或不是本接口收到的同一请求内容（重放只能原样重发已存储的消息）',
      // JSON channel envelope
      emptyBody: '请求体为空，应为含 appid、data、noise、version、sign 的 JSON 对象或表单',
      notJson: '请求体不是有效的 JSON',
      notJsonOrForm: '请求体既不是 JSON 也不是表单格式',
      notObject: '请求体必须是 JSON 对象',
      formKey: '表单字段名 {key} 的 URL 编码无效',
      formValue: '表单字段 {key} 的 URL 编码无效',
      missingField: '请求参数 {field} 缺失',
      fieldType: '请求参数 {field} 必须是字符串',
      // SOAP channel: body and XML
      compressed: '不支持压缩的请求体（Content-Encoding: {encoding}），请直接发送 XML',
      charsetUnsupported: '不支持的字符编码 {charset}（请使用 UTF-8，或 GBK/GB18030）',
      charsetInvalid: '请求体不是有效的 {charset} 编码文本',
      doctype: '请求含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝处理（SOAP 消息不得包含 DTD）',
      xmlMalformed: '请求不是格式正确的 XML（第 {line} 行第 {col} 列）',
      xmlUnreadable: '请求不是格式正确的 XML，无法解析',
      xmlTooDeep: 'XML 嵌套层级过深（超过 {limit} 层）',
      xmlAmpersand: '出现未转义的 & 字符（应写作 &amp;）',
      xmlEntity: '未定义的实体引用 &{ref};（只允许 &amp; &lt; &gt; &quot; &apos; 与字符引用）',
      xmlCharRef: '字符引用 {ref} 不是合法的 XML 字符',
      xmlElementPrefix: '元素 <{qname}> 的命名空间前缀 {prefix} 未声明',
      xmlAttributePrefix: '属性 {name} 的命名空间前缀 {prefix} 未声明',
      xmlOneRoot: 'XML 必须有且只有一个根元素',
      xmlTextOutsideRoot: '根元素之外不能有文本',
      // SOAP channel: envelope
      notEnvelope: '根元素应为 soap:Envelope，收到 <{local}>',
      soapVersion: '不支持的 SOAP 信封命名空间 {ns}：SOAP 1.1 用 {soap11}，SOAP 1.2 用 {soap12}',
      noBody: 'SOAP 信封缺少 Body',
      mustUnderstand: '无法处理标记为 mustUnderstand 的 SOAP 头 {header}',
      bodyEmpty: 'SOAP Body 为空，应包含一个操作元素（如 <tns:testServerConnect>）',
      bodyMany: 'SOAP Body 只能包含一个操作元素',
      opNamespace: '操作元素 {local} 的命名空间应为 {expected}，收到 {ns}',
      noRequest: '缺少 request 元素：业务参数应放在 <{op}><request>…</request></{op}> 中',
      // SOAP typed operations: WS-Security UsernameToken
      wssMissing: '缺少 WS-Security 认证头：类型化操作须在 SOAP Header 中带 wsse:Security/wsse:UsernameToken（Username 为 appid，Password 为 PasswordDigest）',
      wssUsername: 'WS-Security 用户名 wsse:Username 缺失，应为平台分配的 appid',
      wssPassword: 'WS-Security 密码 wsse:Password 缺失',
      wssNonce: 'WS-Security 随机数 wsse:Nonce 缺失（Base64，每次请求不同）',
      wssCreated: 'WS-Security 时间 wsu:Created 缺失（UTC，如 2026-11-25T01:30:15Z）',
      wssCreatedFormat: 'WS-Security 时间 wsu:Created 格式错误：{created}，应为 xs:dateTime（如 2026-11-25T01:30:15Z）',
      wssClock: 'WS-Security 时间 wsu:Created {created} 与服务器时间 {now} 相差超过 {minutes} 分钟，请校准 HIS 服务器时钟',
    },
  },
  E0004: {
    class: 'ValidationError',
    retry: 'no',
    title: '服务不存在',
    doc: 'No flow handles this serviceId (it is case-sensitive) or SOAP operation.',
    messages: {
      unknownService: '服务 {serviceId} 不存在或未开通（serviceId 区分大小写）',
      unknownOperation: '未知操作 {operation}：可用操作见 {wsdl}?wsdl（区分大小写）',
    },
  },
  E0005: {
    class: 'ValidationError',
    retry: 'no',
    title: '业务参数无法解码',
    doc: '`data` is not Base64 of UTF-8 (or UTF-16LE) JSON.',
    messages: {
      notBase64: '参数 data 不是有效的 Base64 编码',
      notUtf8: '参数 data 解码后不是有效的 UTF-8 文本',
      notJson: '参数 data 解码后不是有效的 JSON',
    },
  },
  E0006: {
    class: 'ValidationError',
    retry: 'no',
    title: '请求随机数重复',
    doc: 'A noise (or wsse:Nonce) was used again within 10 minutes by an appid with replay protection.',
    messages: {
      noise: '请求随机数 noise {noise} 在 10 分钟内已使用过，请每次请求生成新的 noise',
      nonce: 'WS-Security 随机数 wsse:Nonce {nonce} 在 10 分钟内已使用过，请每次请求生成新的 Nonce',
    },
  },
  E0007: {
    class: 'Busy',
    retry: 'same',
    title: '请求过于频繁',
    doc: 'The client address or appid exceeded its request rate (limits.his); nothing was stored or done. Resend after the stated wait.',
    messages: {
      clientAddress: '请求过于频繁（同一客户端地址每秒最多 {rate} 次），请 {seconds} 秒后重试',
      appid: '请求过于频繁（appid {appid} 每秒最多 {rate} 次），请 {seconds} 秒后重试',
    },
  },
  E1001: {
    class: 'ValidationError',
    retry: 'no',
    title: '业务参数校验失败',
    doc: 'A field breaks its catalogue rule (required, type, length, format, code, list size, characters). The message names the field path and the rule; a character is named as U+XXXX with its position. Validation stops after a few errors: the first is named, a few more are listed and the rest counted.',
    messages: {
      notObject: '业务参数 data 必须是 JSON 对象',
      required: '字段 {field}{title} 为必填项，不能缺失',
      empty: '字段 {field}{title} 为必填项，不能为空',
      blank: '字段 {field}{title} 为必填项，不能为空（不能只有空格、零宽字符等看不见的字符）',
      minLength: '字段 {field}{title} 长度不能少于 {limit} 个字符',
      maxLength: '字段 {field}{title} 长度不能超过 {limit} 个字符',
      decimal: '字段 {field}{title} 必须是数字{rule}',
      format: '字段 {field}{title} 格式错误，应为 {format}，且须为有效日期时间',
      type: '字段 {field}{title} 类型错误，应为{type}',
      enum: '字段 {field}{title} 取值无效，允许的值：{allowed}',
      minItems: '字段 {field}{title} 至少需要 {limit} 条',
      maxItems: '字段 {field}{title} 不能超过 {limit} 条',
      minimum: '字段 {field}{title} 不能小于 {limit}',
      maximum: '字段 {field}{title} 不能大于 {limit}',
      pattern: '字段 {field}{title} 格式不符合要求',
      invalid: '字段 {field}{title} 不符合规则（{rule}）',
      tooManyItems: '字段 {field}{title} 不能超过 {limit} 条，收到 {count} 条（超出条数时不逐条校验）',
      control: '字段 {field}{title} 第 {position} 个字符是控制字符 {char}，{allowed}',
      surrogate: '字段 {field}{title} 第 {position} 个字符 {char} 是不成对的 UTF-16 代理项，不是有效的 Unicode 字符（请检查字符串截断或编码转换）',
      nonCharacter: '字段 {field}{title} 第 {position} 个字符 {char} 是 Unicode 非字符，不能出现在票据中',
      bidi: '字段 {field}{title} 第 {position} 个字符是双向文本控制符 {char}（会改变文字的显示顺序），不允许出现',
      invisible: '字段 {field}{title} 是标识符，第 {position} 个字符是零宽或不可见字符 {char}，不允许出现',
      space: '字段 {field}{title} 是标识符，第 {position} 个字符是空白字符 {char}，标识符中只允许普通空格（U+0020）',
      more: '{first}；另有 {count} 处错误：{rest}',
      moreStopped: '{first}；另有至少 {count} 处错误（错误较多，已停止校验），其中：{rest}',
    },
  },
  E1002: {
    class: 'ValidationError',
    retry: 'no',
    title: '金额校验失败',
    doc: 'The amounts do not add up, or a charge line is empty or repeated.',
    messages: {
      totalPositive: '字段 totalAmt（开票总金额）必须大于 0，收到 {total}；退费请用 writeOffEBill 冲红',
      chargeSum: '金额不平：收费项目明细 chargeDetail 金额合计 {sum} 与开票总金额 totalAmt {total} 不一致（差额 {diff}）',
      paySum: '金额不平：交费渠道 payChannelDetail 金额合计 {sum} 与开票总金额 totalAmt {total} 不一致（差额 {diff}）',
      zeroCharge: '字段 {field}（金额）不能为 0：收费项目 {name} 无金额时请不要传该行',
      duplicateSortNo: '字段 {field}（序号）重复：{sortNo}',
      duplicateChargeCode: '字段 {field}（收费项目代码）重复：{chargeCode}，同一收费项目请合并为一行',
      listUnknownCharge: '字段 {field}（收费项目代码）{chargeCode} 在收费项目明细 chargeDetail 中不存在',
      listSum: '金额不平：收费项目 {chargeCode}（{chargeName}）的清单 listDetail 金额合计 {sum} 与 chargeDetail 金额 {charge} 不一致',
    },
  },
  E2001: {
    class: 'Conflict',
    retry: 'query',
    title: '业务流水号冲突',
    doc: 'The busNo already belongs to a different settlement, or another request for it is being issued right now.',
    messages: {
      otherContent:
        '业务流水号 busNo {busNo} 已用于另一笔内容不同的开票请求（票据 {bill}），同一业务流水号只能开具一张票据；如为重试请原样重发，或用 getEBillByBusNo 查询',
      inProgress: '业务流水号 busNo {busNo} 正在开票中，请稍后用 getEBillByBusNo 查询',
    },
  },
  E2002: {
    class: 'NotFound',
    retry: 'no',
    title: '票据不存在',
    doc: 'No issued bill matches the lookup (busNo, bill number, or the check fields sent with it).',
    messages: {
      busNo: '业务流水号 busNo {busNo} 没有已开具的电子票据',
      busDateTime: '业务流水号 busNo {busNo} 的业务发生时间 busDateTime 与开票时不一致（应与开票请求中的 busDateTime 相同）',
      billNumber: '电子票据 {billBatchCode}-{billNo} 不存在（票据代码 billBatchCode 与票据号码 billNo 没有对应的已开具票据）',
      mismatch: '电子票据 {billBatchCode}-{billNo} 的 {field} 与开票信息不一致',
    },
  },
  E2003: {
    class: 'Rejected',
    retry: 'no',
    title: '无可用票据库存',
    doc: 'The issuing place has no unused number of the bill kind left (none distributed, or all used, returned or voided); the bill administrator distributes a range to it (`medbill stock distribute` or billStockOut).',
    messages: {
      noStock: '开票点编码 {placeCode} 没有可用的{billKind}电子票据号码（未分发号段或已用完），请票据管理员向该开票点分发号段后重试',
      noPaperStock: '开票点 {placeCode} 没有可用的{billKind}纸质票据号码（未分发号段或已用完），请票据管理员向该开票点分发号段后重试',
    },
  },
  E2004: {
    class: 'Conflict',
    retry: 'query',
    title: '票据状态已变化',
    doc: 'The bill changed state while this request was working on it (another node, a retry or recovery finished it).',
    messages: {
      finishedElsewhere: '票据状态已变化：该业务流水号的票据已由另一处理（另一节点、重试或恢复任务）完成，请用 getEBillByBusNo 查询',
    },
  },
  // ---- stock (issue 9, the "stock" part): places, ranges and the ledger (src/store/stock.ts) ----
  E2101: {
    class: 'NotFound',
    retry: 'no',
    title: '开票点未登记',
    doc: 'The placeCode is not a registered place (`medbill stock place add`); stock moves only to and from registered places.',
    messages: { unknownPlace: '开票点 placeCode {placeCode} 未登记，请先登记开票点（收费窗口、自助机或线上）' },
  },
  E2102: {
    class: 'ValidationError',
    retry: 'no',
    title: '票据号段不正确',
    doc: 'A bill code or number range is malformed (code structure, digits, start after end, lengths differ) or the copy count does not match it.',
    messages: {
      badRange: '票据号段不正确：{detail}',
      copyNum: '份数 copyNum {copyNum} 与号段 {billBgnNo}-{billEndNo} 的份数 {count} 不符',
      badDate: '日期 {field} 应为 yyyy-MM-dd，收到 {value}',
    },
  },
  E2103: {
    class: 'Conflict',
    retry: 'no',
    title: '号段不在单位库存中',
    doc: "The range is not (wholly) in the unit's store: never received, or already distributed or voided.",
    messages: { notInStore: '票据代码 {billBatchCode} 起始号码 {startNo} 至终止号码 {endNo} 的号段不在单位库存中（未领入，或已分发、已作废）' },
  },
  E2104: {
    class: 'Conflict',
    retry: 'no',
    title: '号段不是开票点的未用号段',
    doc: 'The range is not an unused part of one range the place holds (used, returned, voided, or held by another place).',
    messages: { notHeld: '票据代码 {billBatchCode} 起始号码 {startNo} 至终止号码 {endNo} 的号段不是开票点 {placeCode} 持有的未使用号段（已使用、已退回、已作废或属于其他开票点）' },
  },
  E2105: {
    class: 'Duplicate',
    retry: 'no',
    title: '号段重复领入',
    doc: 'Numbers of the range were received before: a number enters the stock once.',
    messages: { overlap: '票据代码 {billBatchCode} 起始号码 {startNo} 至终止号码 {endNo} 的号段与已领入的号段重叠，同一号码只能领入一次' },
  },
  E2106: {
    class: 'ValidationError',
    retry: 'no',
    title: '票据种类不符',
    doc: 'The billCode sent is not the kind the code was received as, or one code is stocked as e-bill and paper and the request does not say which.',
    messages: {
      kindMismatch: '票据种类 billCode {billCode} 与票据代码 {billBatchCode} 的种类 {billKind} 不符',
      ambiguousMedium: '票据代码 {billBatchCode} 同时有电子和纸质库存，无法确定号段',
      unknownBillCode: '票据种类 billCode {billCode} 未定义',
    },
  },
  // --- paper / print (issue 9, part "paper"): the state machines' refusals (src/domain/*-state.ts) and
  // the paper, print and reprint services. {bill} = e-bill code-number, {paper} = paper code-number.
  E2201: { class: 'Conflict', retry: 'query', title: '票据未开具完成', doc: 'A red-flush of a number that is still reserved (its issue has not completed).', messages: { redFlushReserved: '电子票据 billNo {bill} 尚未开具完成，不能冲红；请先用相同业务流水号完成开票或用 getEBillByBusNo 查询' } },
  E2202: { class: 'Rejected', retry: 'no', title: '票据号已作废', doc: 'A red-flush of a number that was voided before it became a bill.', messages: { redFlushVoided: '电子票据号码 billNo {bill} 已作废（未开具成票据），不能冲红' } },
  E2203: { class: 'Conflict', retry: 'query', title: '票据未开具完成', doc: 'turnPaper for a number that is still reserved.', messages: { turnReserved: '电子票据 billNo {bill} 尚未开具完成，不能换开纸质票据' } },
  E2204: { class: 'Rejected', retry: 'no', title: '票据号已作废', doc: 'turnPaper for a voided number.', messages: { turnVoided: '电子票据号码 billNo {bill} 已作废，不能换开纸质票据' } },
  E2205: { class: 'Rejected', retry: 'no', title: '票据已冲红', doc: 'turnPaper (or reTurnPaper) for a red-flushed e-bill, or for a red bill.', messages: { turnRedFlushed: '电子票据 billNo {bill} 已冲红，不能换开纸质票据', turnRedBill: '电子票据 billNo {bill} 是红字票据，不能换开纸质票据' } },
  E2206: { class: 'Conflict', retry: 'query', title: '票据未开具完成', doc: 'A print of a number that is still reserved.', messages: { printReserved: '电子票据 billNo {bill} 尚未开具完成，不能打印' } },
  E2207: { class: 'Rejected', retry: 'no', title: '票据号已作废', doc: 'A print of a voided number.', messages: { printVoided: '电子票据号码 billNo {bill} 已作废，不能打印' } },
  E2208: { class: 'Rejected', retry: 'no', title: '已开具票据不能作废号码', doc: 'Voiding the reservation of a number that is already an issued bill (use writeOffEBill).', messages: { voidIssued: '电子票据 billNo {bill} 已开具，不能作废号码；退费请用 writeOffEBill 冲红' } },
  E2209: { class: 'Rejected', retry: 'no', title: '票据号已作废', doc: 'Completing a reservation that recovery voided.', messages: { completeVoided: '电子票据号码 billNo {bill} 已作废，不能完成开票；请重新开票' } },
  E2210: { class: 'Rejected', retry: 'no', title: '纸质票据未换开', doc: 'printPaperBill for a paper number that no e-bill was converted to.', messages: { printBlank: '纸质票据 pBillNo {paper} 尚未换开电子票据，不能打印；请先用 turnPaper 换开' } },
  E2211: { class: 'Rejected', retry: 'no', title: '纸质票据未换开', doc: 'invalidPaper for a blank paper number (blank paper is voided with invalidBlankBillNo).', messages: { voidLinkedBlank: '纸质票据 pBillNo {paper} 尚未换开电子票据，空白纸票请用 invalidBlankBillNo 作废' } },
  E2212: { class: 'Conflict', retry: 'no', title: '纸质票据已使用', doc: 'turnPaper/reTurnPaper onto a paper number already linked to an e-bill.', messages: { turnUsed: '纸质票据 pBillNo {paper} 已换开电子票据 billNo {bill}，不能再次使用' } },
  E2213: { class: 'Rejected', retry: 'no', title: '纸质票据未打印', doc: 'A reprint of a paper bill that was never printed (print it with printPaperBill).', messages: { reprintNotPrinted: '纸质票据 pBillNo {paper} 尚未打印，无需补打，请用 printPaperBill 打印' } },
  E2214: { class: 'Conflict', retry: 'no', title: '纸质票据已使用', doc: 'invalidBlankBillNo over a paper number that is linked to an e-bill.', messages: { voidBlankUsed: '纸质票据 pBillNo {paper} 已换开电子票据 billNo {bill}，不是空白票；作废已换开的纸质票据请用 invalidPaper' } },
  E2215: { class: 'Rejected', retry: 'no', title: '补打需要审批', doc: 'A second print of a paper bill (补打) without an approved reprint application: an applicant applies and a supervisor (not the applicant) approves with `medbill paper reprint`.', messages: { printAgain: '纸质票据 pBillNo {paper} 已打印过，补打须先提交补打申请并由另一名主管审批（medbill paper reprint apply / approve）', noApproval: '纸质票据 pBillNo {paper} 的补打申请{state}，补打须由另一名主管审批通过' } },
  E2216: { class: 'Rejected', retry: 'no', title: '纸质票据已作废', doc: 'turnPaper/reTurnPaper onto a voided paper number.', messages: { turnVoided: '纸质票据 pBillNo {paper} 已作废，不能使用；请用下一张纸质票据（getPaperBillNo）' } },
  E2217: { class: 'Rejected', retry: 'no', title: '纸质票据已作废', doc: 'A print of a voided paper number.', messages: { printVoided: '纸质票据 pBillNo {paper} 已作废，不能打印' } },
  E2218: { class: 'Conflict', retry: 'no', title: '纸质票据已作废', doc: 'invalidBlankBillNo over a number that is already voided.', messages: { voidBlankVoided: '纸质票据 pBillNo {paper} 已作废，不能重复作废' } },
  E2220: { class: 'Rejected', retry: 'no', title: '电子票据未换开', doc: 'reTurnPaper for an e-bill never converted to paper (use turnPaper).', messages: { reTurnNotTurned: '电子票据 billNo {bill} 尚未换开纸质票据，请用 turnPaper 换开' } },
  E2221: { class: 'Rejected', retry: 'no', title: '电子票据未换开', doc: 'Ending a link that does not exist (the paper names an e-bill that is not linked to it).', messages: { voidNotTurned: '电子票据 billNo {bill} 当前没有换开纸质票据 pBillNo {paper}，不能作废该纸质票据' } },
  E2222: { class: 'Conflict', retry: 'no', title: '电子票据已换开', doc: 'turnPaper for an e-bill already converted: an e-bill converts to paper once; use reTurnPaper for a new paper number.', messages: { turnTwice: '电子票据 billNo {bill} 已换开纸质票据 pBillNo {paper}，一张电子票据只能换开一次；换用新纸票请用 reTurnPaper（原纸票将作废）' } },
  E2223: { class: 'Conflict', retry: 'no', title: '电子票据已换开', doc: 'Red-flushing an e-bill linked to paper: void the paper with invalidPaper (which red-flushes), or use writeOffEBillToPaper.', messages: { redFlushLinked: '电子票据 billNo {bill} 已换开纸质票据 pBillNo {paper}，请先用 invalidPaper 作废纸质票据（同时冲红），或用 writeOffEBillToPaper' } },
  E2224: { class: 'Rejected', retry: 'no', title: '纸质票据已作废', doc: 'turnPaper for an e-bill whose paper was voided by invalidPaper (it is red-flushed).', messages: { turnEnded: '电子票据 billNo {bill} 换开的纸质票据已作废（已冲红），不能再次换开' } },
  E2225: { class: 'Rejected', retry: 'no', title: '纸质票据已作废', doc: 'reTurnPaper for an e-bill whose paper was voided by invalidPaper.', messages: { reTurnEnded: '电子票据 billNo {bill} 换开的纸质票据已作废（已冲红），不能重新换开' } },
  E2230: { class: 'Rejected', retry: 'no', title: '纸质票据号码不是下一张', doc: 'The paper number sent is not the place\'s next paper number: the paper in the printer and the stock disagree. Check the printer; a spoiled blank is voided with invalidBlankBillNo.', messages: { notNext: '纸质票据 pBillNo {paper} 不是开票点 {placeCode} 的下一张纸质票据，应为 {next}；请核对打印机中的纸票，损坏的空白票请先用 invalidBlankBillNo 作废', field: '字段 {field} 与纸质票据号 {next} 不符' } },
  E2231: { class: 'Rejected', retry: 'no', title: '无可用纸质票据', doc: 'The place has no paper stock of that code (or of the e-bill\'s kind).', messages: { noPaper: '开票点 placeCode {placeCode} 没有可用的纸质票据（{what}），请先分发纸质票据库存' } },
  E2237: { class: 'Rejected', retry: 'no', title: '不是空白纸质票据', doc: 'invalidBlankBillNo over numbers the place does not hold unused (used, voided, returned, or never distributed there); the stock ledger (medbill stock ledger) shows each number.', messages: { notBlank: '纸质票据 pBillNoStart–pBillNoEnd {paper} 不能作废：{detail}（开票点 placeCode {placeCode}）' } },
  E2233: { class: 'ValidationError', retry: 'no', title: '纸质票据号段错误', doc: 'invalidBlankBillNo with an end before its start, numbers of another length, or more than the limit at once.', messages: { range: '纸质票据号段 pBillNoStart–pBillNoEnd {start}–{end} 无效：{why}' } },
  E2234: { class: 'Rejected', retry: 'no', title: '补打申请无效', doc: 'A reprint application step that the rules refuse (a reprint tool message; the HIS sees E2215).', messages: { selfApproval: '补打申请 {id} 由 {account} 提交，不能由本人审批，须由另一名主管审批', notSupervisor: '账号 {account} 不是主管（paper.staff 中 role 为 supervisor），不能审批补打申请', unknownStaff: '账号 {account} 不在 paper.staff 中', notPending: '补打申请 {id} 的状态为 {state}，不能再审批', unknownApplication: '补打申请 {id} 不存在' } },
  E2235: { class: 'ValidationError', retry: 'no', title: '打印页码错误', doc: 'printElectBillList with a page range outside 0..total (pageNoBgn 0 is the bill image).', messages: { pages: '打印页码 pageNoBgn–pageNoEnd {from}–{to} 无效：该票据的清单共 {total} 页（pageNoBgn 为 0 时从票据本身开始）' } },
  // ── red part (issue 8): red bills, queries, feedback, notices, prepayment vouchers — E2401–E2449 ──
  E2401: {
    class: 'Rejected',
    retry: 'no',
    title: '票据不能冲红',
    doc: 'The bill cannot be red-flushed now: it is itself a red bill, it is linked to paper (void the paper with invalidPaper, or use writeOffEBillToPaper), it is not linked to paper (writeOffEBillToPaper), it is booked (入账), or it changed while the write-off ran. A repeat write-off of a red-flushed bill is not refused: it answers the same red bill.',
    messages: {
      isRed: '电子票据 {billBatchCode}-{billNo} 是红票，红票不能再冲红',
      notIssued: '电子票据 {billBatchCode}-{billNo} 不是已开具状态，不能冲红',
      paperLinked: '电子票据 {billBatchCode}-{billNo} 已换开纸质票据 {paper}，不能直接冲红：请先作废纸质票据（invalidPaper，同时冲红），或用 writeOffEBillToPaper 冲红',
      notPaper: '电子票据号码 {billNo}（票据代码 {billBatchCode}）未换开纸质票据，请用 writeOffEBill 冲红',
      booked: '电子票据 {billBatchCode}-{billNo} 已入账（入账状态 1），不能冲红：请先取消入账',
      blueChanged: '电子票据 {billBatchCode}-{billNo} 在冲红过程中状态已变化（换开纸质票据、入账或已冲红），本次未冲红，请用 getEBillStatesByBillInfo 查询后再处理',
      inProgress: '电子票据 {billBatchCode}-{billNo} 正在冲红中，请稍后重发相同请求或用 getEBillStatesByBillInfo 查询',
      noContent: '电子票据 {billBatchCode}-{billNo} 没有保存开票内容，无法生成红票',
      wrongKind: '电子票据号码 {billNo}（票据代码 {billBatchCode}）是{billKind}，本服务只能冲红{expected}',
      paperWrongKind: '纸质票据号码 pBillNo {pBillNo}（票据代码 {pBillBatchCode}）换开自{billKind} {bill}，本服务只能作废{expected}换开的纸质票据：请用 invalidPaper 作废',
    },
  },
  E2402: {
    class: 'Rejected',
    retry: 'no',
    title: '纸质红票号码不符',
    doc: 'writeOffEBillToPaper: pBillBatchCode/pBillNo must be the next paper bill of the place\'s paper stock (the paper actually printed), as for turnPaper.',
    messages: {
      notNext: '纸质红票票据号码 pBillNo {pBillNo}（票据代码 {pBillBatchCode}）不是开票点 {placeCode} 的下一张纸质票据（应为 {expected}），请核对纸质票据或先作废空白票据',
      noPaperStock: '开票点 {placeCode} 没有可用的纸质票据号段（{billKind}），不能打印纸质红票',
    },
  },
  E2403: {
    class: 'Rejected',
    retry: 'no',
    title: '流通状态反馈被拒',
    doc: 'receiveArreasFeedBack turns a non-circulable bill (isArrears 0) into circulable (1) once; any other bill is refused.',
    messages: {
      notArrears: '电子票据号码 {billNo}（票据代码 {billBatchCode}）不是不可流通（欠费）票据（isArrears 为 {isArrears}），不需要流通状态反馈',
      already: '电子票据 {billBatchCode}-{billNo} 已于 {date} 反馈为可流通，不能重复反馈',
      isRed: '电子票据 {billBatchCode}-{billNo} 是红票，不能反馈流通状态',
    },
  },
  E2404: {
    class: 'Conflict',
    retry: 'no',
    title: '清单批次号重复',
    doc: 'receiveListDetail: batchNo numbers the chunks of one bill\'s itemised list; a batchNo already stored for that bill is refused.',
    messages: { repeat: '电子票据 {billBatchCode}-{billNo} 的清单批次号 batchNo {batchNo} 已上传过，同一票据的批次号不能重复（每批递增）' },
  },
  E2405: {
    class: 'ValidationError',
    retry: 'no',
    title: '通知地址无效',
    doc: 'sendBillNotice: noticeValue must be a mobile number (1201) or an e-mail address (1202).',
    messages: {
      phone: '通知列表 noticeList 第 {index} 项：noticeType 1201（手机）的 noticeValue 应为 11 位手机号码',
      email: '通知列表 noticeList 第 {index} 项：noticeType 1202（电子邮箱）的 noticeValue 应为电子邮箱地址',
    },
  },
  // ── issuance, batch and dialects (issue 8, "issuance" part): E2301–E2349 ──
  E2301: {
    class: 'Conflict',
    retry: 'no',
    title: '批次号冲突',
    doc: 'The batchNo already holds another batch (different items) of this appid. A repeat of the same batch is answered with success and issues nothing twice.',
    messages: { otherContent: '批次号 batchNo {batchNo} 已用于另一批内容不同的批量开票请求，同一批次号只能提交一次；如为重发请原样重发，或换一个批次号' },
  },
  E2302: {
    class: 'NotFound',
    retry: 'no',
    title: '批次不存在',
    doc: 'getBatchInvoiceEBill: no batch of this appid has that batchNo (it was never accepted: submit it again).',
    messages: { unknownBatch: '批次号 batchNo {batchNo} 不存在：没有受理过该批次的批量开票请求' },
  },
  E2303: {
    class: 'ValidationError',
    retry: 'no',
    title: '批量开票明细业务流水号重复',
    doc: 'One batch lists the same busNo twice with different content: one busNo is one bill, so the batch is refused before anything is stored.',
    messages: { duplicateBusNo: '字段 eBillList[{index}].busNo（业务流水号）{busNo} 与 eBillList[{first}] 重复且内容不同：同一批次中一个业务流水号只能对应一笔开票请求' },
  },
  // ── accounting (汇总单入账) and reconciliation (对账): the recon part, E2501–E2549 ──
  E2501: {
    class: 'NotFound',
    retry: 'no',
    title: '汇总单不存在',
    doc: 'No accounting sheet has this accountNo (generateAccount returns it).',
    messages: { accountNo: '汇总单号 accountNo {accountNo} 不存在' },
  },
  E2502: {
    class: 'Conflict',
    retry: 'no',
    title: '汇总单状态不允许该操作',
    doc: 'A cancelled sheet cannot be booked; a booked sheet cannot be cancelled unless accounting.cancelBooked is true.',
    messages: {
      cancelled: '汇总单 {accountNo} 已作废，不能入账；请重新生成汇总单',
      booked: '汇总单 {accountNo} 已入账，本单位配置不允许作废已入账的汇总单（accounting.cancelBooked）',
    },
  },
  E2503: {
    class: 'Rejected',
    retry: 'no',
    title: '没有可汇总的票据',
    doc: 'generateAccount found no issued bill of the period and place that is not booked and not on another live sheet.',
    messages: { empty: '{bgnDate} 至 {endDate}（开票点 {placeCode}）没有未入账且未汇总的电子票据，未生成汇总单' },
  },
  E2504: {
    class: 'ValidationError',
    retry: 'no',
    title: '日期范围错误',
    doc: 'A period whose end is before its start, or longer than the configured limit, or a day that is no calendar date.',
    messages: {
      order: '结束日期 {endField} {end} 早于开始日期 {bgnField} {bgn}',
      tooLong: '{bgnField} 至 {endField} 的范围不能超过 {days} 天',
      notADay: '{field} {value} 不是有效日期（应为 yyyy-MM-dd）',
    },
  },
  E2505: {
    class: 'NotFound',
    retry: 'no',
    title: '未收到 HIS 对账数据',
    doc: 'query* compares what the HIS pushed with receive*; nothing was pushed for that scope yet.',
    messages: { notReceived: '未收到 HIS 推送的对账数据（{scope}），请先调用 {service}' },
  },
  E2506: {
    class: 'ValidationError',
    retry: 'no',
    title: '对账数据不自洽',
    doc: 'What the HIS pushed does not add up: a range whose copyNum differs from endNo − bgnNo + 1, or totals that differ from the sum of the list.',
    messages: {
      range: 'billNoList 第 {index} 项：号段 {bgnNo}–{endNo} 有 {span} 张，copyNum 却是 {copyNum}',
      sum: '{field} 为 {total}，与明细 {list} 之和 {sum} 不一致',
    },
  },
  E2750: {
    class: 'Unavailable',
    retry: 'same',
    title: '业务流程已停用',
    doc: 'The flow serving this service was disabled by an operator (`medbill flows disable <flow>`, Mirth\'s undeploy); the message is stored and nothing was done. Resend the same request after the flow is enabled again.',
    messages: { disabled: '服务 {serviceId} 对应的业务流程 {flow} 已被管理员停用，本次请求已记录但未处理，请在流程重新启用后用相同业务流水号重试' },
  },
  // ── the finance exchange: base information, stock from finance, reconciliation, E2630–E2669 ──
  E2630: {
    class: 'ValidationError',
    retry: 'no',
    title: '收费项目不在财政收费项目目录中',
    doc: "A chargeDetail line's chargeCode is not in the charge-item catalogue last downloaded from finance (`medbill finance sync`, schedule finance-sync), is not allowed on this bill kind, or is outside its validity. Before any catalogue was downloaded nothing is checked.",
    messages: {
      unknown: '字段 {field}（收费项目编码）{chargeCode} 不在财政下发的收费项目目录（版本 {version}）中',
      notForKind: '字段 {field}（收费项目编码）{chargeCode}（{name}）按财政收费项目目录（版本 {version}）只能用于票据种类 {billCodes}，不能开在 {billCode} 票据上',
      notValid: '字段 {field}（收费项目编码）{chargeCode}（{name}）在财政收费项目目录（版本 {version}）中的有效期为 {validFrom} 至 {validTo}，今天不可使用',
    },
  },
  E2631: {
    class: 'Rejected',
    retry: 'no',
    title: '财政拒绝票据申领',
    doc: 'Finance refused the stock application (applyBillStock): e.g. the same applicationId was used for another application. The reason finance gave is in the message.',
    messages: { refused: '财政拒绝申领单 {applicationId}（{code}）：{reason}' },
  },
  E2632: {
    class: 'Unavailable',
    retry: 'same',
    title: '财政系统暂不可用',
    doc: 'Finance did not answer the stock application. medbill kept it: resend the same applicationId later (or let the finance-stock-poll schedule send it); finance counts it once.',
    messages: { unavailable: '财政系统暂不可用，申领单 {applicationId} 已保存，请稍后用相同申领单号重试' },
  },
  E2633: {
    class: 'ValidationError',
    retry: 'no',
    title: '申领的票据种类或介质无效',
    doc: 'applyBillStock names a billCode that is no bill kind medbill issues, or a billType other than 1 (e-bill) or 2 (paper).',
    messages: {
      billCode: '字段 billCode（票据种类编码）{billCode} 不是本平台开具的票据种类（0601 门诊、0602 住院、0603 挂号、0604 体检、0605 预交金、0101、0201、0501）',
      billType: '字段 billType（票据介质）{billType} 应为 1（电子票据）或 2（纸质票据）',
    },
  },
  E3001: {
    class: 'Unavailable',
    retry: 'same',
    title: '签名服务不可用',
    doc: 'The CA signature server did not answer. The number stays reserved for this busNo: resend the same request to complete it. It is voided after recovery.answeredReservationTtl if never resent.',
    messages: {
      signer: '签名服务暂不可用，票据号已保留，请稍后用相同业务流水号重试或用 getEBillByBusNo 查询',
      rejected: '签名服务器拒绝签名，票据号已保留，请联系管理员检查签名服务后用相同业务流水号重试',
    },
  },
  E3002: {
    class: 'Timeout',
    retry: 'query',
    title: '处理超时',
    doc: 'The request ran past its deadline. Ask getEBillByBusNo, then resend the same busNo if it was not issued.',
    messages: {
      deadline: '{what} 处理超时（{ms} ms），请稍后重试或用 getEBillByBusNo 查询',
      signer: '签名服务超时，票据号已保留，请稍后用相同业务流水号重试或用 getEBillByBusNo 查询',
    },
  },
  E3003: {
    class: 'Busy',
    retry: 'same',
    title: '系统繁忙',
    doc: 'medbill is at its configured concurrency (limits.maxInFlight), answered at once instead of queueing, or its message store is unavailable; nothing was done. Resend later.',
    messages: {
      busy: '系统繁忙（同时处理的请求已达上限 {limit}），请稍后重试',
      store: '系统繁忙（消息存储不可用），请稍后重试',
    },
  },
  E9999: {
    class: 'Internal',
    retry: 'query',
    title: '系统内部错误',
    doc: 'An unexpected fault, logged with the message id. Nothing half-done is visible; ask getEBillByBusNo before resending an issue.',
    messages: {
      internal: '系统内部错误，请稍后重试或联系管理员（已记录）',
      mapping: '映射 {mapping} 执行失败：{detail}',
    },
  },
  // ── HL7 v2 and hospital-XML channels (issue 11), E2701–E2749 ──
  E2701: {
    class: 'ValidationError',
    retry: 'no',
    title: 'HL7 消息无法解析',
    doc: 'The HL7 v2 message (ER7, v2.xml or Mirth XML) cannot be read: no MSH, bad delimiters, a bad segment, a required MSH field missing. Answered with ACK AR.',
    messages: {
      empty: 'HL7 消息为空',
      notHl7: 'HL7 消息应以 MSH 段开始（ER7），或为根元素 <HL7Message> / urn:hl7-org:v2xml 命名空间的 XML，收到 “{head}”',
      delimiters: 'MSH 段的分隔符无效：{detail}（MSH-1 为字段分隔符，MSH-2 为组件、重复、转义、子组件分隔符，四个字符互不相同且不是字母、数字或空白）',
      segmentName: '第 {index} 段的段名 “{name}” 无效：段名应为三个大写字母或数字（段被截断，或分隔符与 MSH 中声明的不同？）',
      mshMissing: '缺少 {field}（{name}），HL7 消息必须填写',
      xmlShape: 'HL7 XML 的 {path} 无法识别：{detail}',
      tooLarge: 'HL7 消息过大：{size} 字节，超过上限 {limit} 字节',
      noSegment: '消息 {type} 缺少 {segment} 段',
    },
  },
  E2702: {
    class: 'ValidationError',
    retry: 'no',
    title: 'HL7 发送方未登记',
    doc: 'MSH-3 (sending application) is not one of `hl7.senders` in the configuration: who sent it decides the appid its busNo belongs to. ACK AR.',
    messages: { unknownSender: 'MSH-3 发送应用 “{sender}” 未在配置 hl7.senders 中登记，不接受其消息' },
  },
  E2703: {
    class: 'ValidationError',
    retry: 'no',
    title: 'HL7 版本不符',
    doc: 'The flow serving this message is pinned to one HL7 version (FT1 field positions differ between versions) and MSH-12 names another. ACK AR.',
    messages: { version: 'MSH-12 版本 {got} 与流程 {flow} 固定的 HL7 版本 {want} 不同：字段位置随版本而变，不能按 {want} 解读 {got} 的消息' },
  },
  E2704: {
    class: 'ValidationError',
    retry: 'no',
    title: '没有处理该消息的流程',
    doc: 'No HL7 flow takes this message type with these field values (trigger.match), or no hospital-XML flow has this action. ACK AR / result E2704.',
    messages: {
      noHl7Flow: '没有处理 {type} 消息的流程（{facts}）',
      noAction: '没有处理 action “{action}” 的医院 XML 流程',
    },
  },
  E2705: {
    class: 'ValidationError',
    retry: 'no',
    title: '医院 XML 报文无法解析',
    doc: 'The hospital-XML channel\'s `message` is not well-formed XML (or holds a DOCTYPE), or the call lacks `action`/`message`.',
    messages: {
      missing: 'acceptHospitalXml 缺少 {field}',
      xml: '医院 XML 报文 message 不是合法的 XML：{detail}',
    },
  },
} as const satisfies Record<string, HisCodeSpec>;

export type HisCode = keyof typeof HIS_CODES;

/**
 * What a result means to the people running medbill (on-call replay and trace), from its class:
 *   refusal — the request or the data it names is what is wrong (E0xxx, E1xxx, E2xxx): the same bytes
 *             get the same answer until someone changes the request or the data (stock, say);
 *   fault   — medbill or a peer it depends on failed (E3xxx, E9999, E0007): the same bytes may well
 *             succeed now. A code missing from the table counts as a fault: unexpected means look at it.
 */
export type ResultKind = 'ok' | 'refusal' | 'fault';

const REFUSAL_CLASSES: ReadonlySet<string> = new Set<ErrorClass>(['ValidationError', 'Duplicate', 'Conflict', 'NotFound', 'Rejected']);

export function resultKind(code: string): ResultKind {
  const spec = (HIS_CODES as Record<string, HisCodeSpec>)[code];
  if (!spec) return 'fault';
  if (spec.class === 'Ok') return 'ok';
  return REFUSAL_CLASSES.has(spec.class) ? 'refusal' : 'fault';
}

/** The table's codes of one kind, in table order. */
export function codesOfKind(kind: ResultKind): string[] {
  return Object.keys(HIS_CODES).filter((c) => resultKind(c) === kind).sort();
}
export type HisMessage<C extends HisCode> = keyof (typeof HIS_CODES)[C]['messages'] & string;

/** The `{name}` placeholders of a template, as a union of names. */
export type Vars<S extends string> = S extends `${string}{${infer V}}${infer Rest}` ? V | Vars<Rest> : never;
export type Params<S extends string> = [Vars<S>] extends [never] ? Record<string, never> : Record<Vars<S>, string | number>;
type Template<C extends HisCode, M extends HisMessage<C>> = (typeof HIS_CODES)[C]['messages'][M] & string;
export type HisParams<C extends HisCode, M extends HisMessage<C>> = Params<Template<C, M>>;

export function fill(template: string, params: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined ? '' : String(params[k])));
}

export function hisMessage<C extends HisCode, M extends HisMessage<C>>(code: C, message: M, params: HisParams<C, M>): string {
  const spec: HisCodeSpec = HIS_CODES[code];
  return fill(spec.messages[message], params as Record<string, string | number>);
}

// ---------------------------------------------------------------------------------------------------
// Lint codes: what `medbill validate`, start-up and reload report about flows, mappings, catalogue,
// code tables and configuration. Severity error unless stated; any error stops the server starting.

export interface LintCodeSpec {
  /** which files the code is about */
  area: 'yaml' | 'flow' | 'flow-test' | 'mapping' | 'catalogue' | 'codes' | 'config' | 'ca-vendor' | 'overlay' | 'reload' | 'finance';
  message: string;
  /** optional fixed hint template (dynamic hints such as suggestions come from HINTS) */
  hint?: string;
  doc: string;
}

export const LINT_CODES = {
  YAML_SYNTAX: { area: 'yaml', message: 'YAML 语法错误：{detail}', doc: 'The file is not valid YAML.' },
  YAML_ALIAS: { area: 'yaml', message: '流程、映射和目录文件中不允许使用锚点和别名', hint: '请把值直接写出来', doc: 'Anchors/aliases hide data; definitions are plain data.' },
  YAML_TAG: { area: 'yaml', message: '不允许使用 YAML 标签 {tag}', doc: 'Tags (!!str, !custom) are not part of the formats.' },
  YAML_DUPLICATE_KEY: { area: 'yaml', message: '重复的键 “{key}”', doc: 'A key appears twice in one map; the second would silently win.' },

  FLOW_EMPTY: { area: 'flow', message: '流程文件为空', doc: 'The flow file has no content.' },
  FLOW_UNKNOWN_KEY: { area: 'flow', message: '未知的键 “{key}”', doc: 'A top-level or step key that the format does not have (often a misspelling).' },
  FLOW_VERSION: { area: 'flow', message: 'version 必须为 {version}', doc: 'The flow format version.' },
  FLOW_NAME: { area: 'flow', message: 'flow 必须为 “{expected}”（目录名-文件名 或 文件名）', doc: 'The flow name must follow its file name.' },
  FLOW_TRIGGER: { area: 'flow', message: 'trigger 需要 channel 与 service，或 schedule', doc: 'What starts the flow.' },
  FLOW_UNKNOWN_SERVICE: { area: 'flow', message: '服务目录中没有 “{service}”', doc: 'A serviceId that has no config/catalogue/<serviceId>.yaml.' },
  FLOW_DURATION: { area: 'flow', message: '时长格式错误：{detail}', hint: '写作 250ms、5s、2m、1h', doc: 'A deadline or timeout that is not a duration.' },
  FLOW_NO_STEPS: { area: 'flow', message: '流程至少需要一个步骤', doc: 'steps is empty or missing.' },
  FLOW_STEP_TYPE: { area: 'flow', message: '步骤必须是一个映射（map）', doc: 'A step that is not a YAML map.' },
  FLOW_STEP_KIND: { area: 'flow', message: '每个步骤恰好有一个类型键，实际为：{found}', doc: 'A step needs exactly one kind key beside id/when/timeout/note/reads/writes.' },
  FLOW_UNKNOWN_KIND: { area: 'flow', message: '未知的步骤类型 “{kind}”', doc: 'A kind key that is not in the step registry.' },
  FLOW_STEP_ID: { area: 'flow', message: 'id 为必填，须为 kebab-case（a-z、0-9、-）', doc: 'Step ids name steps in traces, mocks and replays.' },
  FLOW_DUPLICATE_ID: { area: 'flow', message: '步骤 id “{id}” 重复（首次出现在 {first}）', doc: 'Two steps with one id.' },
  FLOW_UNKNOWN_OPTION: { area: 'flow', message: '{kind} 没有选项 “{option}”', doc: 'An option the step kind does not define (often a misspelling).' },
  FLOW_BAD_OPTION: { area: 'flow', message: '选项 {path} {detail}', doc: 'An option value that breaks the kind\'s options schema.' },
  FLOW_EXPR_SYNTAX: { area: 'flow', message: 'JSONata 表达式错误：{detail}', doc: 'A when/expression field that does not compile.' },
  FLOW_UNKNOWN_STEP: { area: 'flow', message: '跳转目标 “{target}” 不是本流程的步骤 id', doc: 'A goto to a step that does not exist.' },
  FLOW_GOTO_BACKWARD: { area: 'flow', message: '跳转 “{target}” 必须指向后面的步骤', doc: 'Flows run forward only; loops are not allowed.' },
  FLOW_UNKNOWN_MAPPING: { area: 'flow', message: '没有映射 “{mapping}”', doc: 'A mapping name with no mappings/<name>.map.yaml.' },
  FLOW_UNKNOWN_RULE: { area: 'flow', message: '未知的规则 “{rule}”', doc: 'A rule name not in src/domain/bill-rules.ts.' },
  FLOW_UNKNOWN_TOPIC: { area: 'flow', message: '未知的外发主题（outbox topic）“{topic}”', doc: 'An enqueue topic that no outbox handler delivers.' },
  FLOW_UNKNOWN_PORT: { area: 'flow', message: '{kind} 没有{direction}端口 “{port}”', doc: 'reads/writes names a value the step kind does not read or write.' },
  FLOW_MISSING_PORT: { area: 'flow', message: '{kind} 需要在 {direction} 中列出 “{port}”（{type}）', doc: 'reads/writes must list every value the step kind reads or writes, so the data path shows in the flow.' },
  FLOW_SLOT_UNSET: { area: 'flow', message: '读取的值 “{slot}” 在到达此步骤的路径上没有被写入：{path}', doc: 'A read that some path reaches without an earlier write (goto and when included).' },
  FLOW_SLOT_TYPE: { area: 'flow', message: '值 “{slot}” 的类型为 {actual}，而 {kind}.{port} 需要 {expected}', doc: 'A value written as one type and read as another.' },
  FLOW_SLOT_NAME: { area: 'flow', message: '值名 “{slot}” 无效（字母开头的标识符）', doc: 'Slot names are identifiers.' },
  FLOW_SLOT_RESERVED: { area: 'flow', message: '“{slot}” 是保留名，不能写入', doc: 'input is written by the channel, never by a step.' },
  FLOW_DEDUPE_AFTER_ALLOCATE: { area: 'flow', message: '步骤 “{step}”（allocate）在路径 {path} 上早于去重（dedupe）', hint: '把 dedupe 放在 allocate 之前：否则同一 busNo 每次都会占用新号', doc: 'Invariant: one bill per (appid, busNo). A number may only be taken after the busNo was checked.' },
  FLOW_RESPOND_BEFORE_PERSIST: { area: 'flow', message: '步骤 “{step}”（respond）在路径 {path} 上于取号之后、保存（persist）之前应答', hint: '应答必须在票据持久化之后：否则 HIS 收到成功而票据可能丢失', doc: 'Invariant: an answer means what it says — after allocate, persist must run before respond on every path.' },
  FLOW_SIGN_BEFORE_XML: { area: 'flow', message: '步骤 “{step}”（sign）在路径 {path} 上早于 fiscal-xml', hint: '签名的是 fiscal-xml 生成的原文', doc: 'The unit signature is over the text fiscal-xml builds.' },
  FLOW_IRREVERSIBLE_UNGUARDED: { area: 'flow', message: '步骤 “{step}” 已取号，但路径 {path} 结束前没有保存票据（persist）', doc: 'Every number taken ends in a persisted bill on every path (or in recovery/void).' },
  FLOW_NO_RESPOND: { area: 'flow', message: '请求/应答流程的路径 {path} 结束时没有 respond 步骤', doc: 'Every path of a request/response flow ends in respond.' },
  FLOW_UNREACHABLE: { area: 'flow', message: '步骤 “{step}” 不可达（前面的 respond 结束了流程，且没有跳转指向它）', doc: 'A step that no path reaches.' },
  FLOW_RECOVERY: { area: 'flow', message: 'recovery：{detail}', doc: 'The recovery block (resumeAt, restore) of a flow that takes numbers.' },
  FLOW_RECOVERY_MISSING: { area: 'flow', message: '流程在步骤 “{step}” 取号，但没有声明 recovery（resumeAt、restore）', hint: '进程中断后恢复任务需要知道从哪一步、用哪些值继续', doc: 'A flow that allocates must say how recovery resumes it.' },
  FLOW_PATHS: { area: 'flow', message: '流程路径过多（超过 {max} 条），无法逐条检查', hint: '把分支拆成单独的流程', doc: 'Too many when/goto combinations to check every path.' },
  FLOW_DUPLICATE_SERVICE: { area: 'flow', message: '服务 {service} 已由 {other} 处理', doc: 'Two flows with one trigger.' },

  FLOW_TEST_BAD: { area: 'flow-test', message: '流程测试：{detail}', doc: 'A *.flow.test.yaml that does not follow its format.' },
  FLOW_TEST_UNKNOWN_STEP: { area: 'flow-test', message: '流程测试的模拟（mock）指向不存在的步骤 “{step}”', doc: 'A mock keyed by a step id the flow does not have.' },

  MAP_EMPTY: { area: 'mapping', message: '映射文件为空', doc: 'The mapping file has no content.' },
  MAP_UNKNOWN_KEY: { area: 'mapping', message: '未知的键 “{key}”', doc: 'A top-level key the mapping format does not have.' },
  MAP_VERSION: { area: 'mapping', message: 'version 必须为 1', doc: 'The mapping format version.' },
  MAP_NAME: { area: 'mapping', message: 'mapping 必须与文件名 “{expected}” 相同', doc: 'The mapping name follows its file name.' },
  MAP_NO_FIELDS: { area: 'mapping', message: '映射至少需要一个字段', doc: 'fields is empty.' },
  MAP_LET_NAME: { area: 'mapping', message: 'let 的名字必须是标识符', doc: 'let names become $name.' },
  MAP_TARGET: { area: 'mapping', message: '目标路径错误：{detail}', doc: 'A fields key that is not a valid target path.' },
  MAP_EXPR_TYPE: { area: 'mapping', message: '应为 JSONata 表达式（非空字符串）', doc: 'A field value that is not an expression.' },
  MAP_EXPR_SYNTAX: { area: 'mapping', message: 'JSONata 表达式错误：{detail}', doc: 'An expression that does not compile; the position points inside it.' },
  MAP_UNKNOWN_FUNCTION: { area: 'mapping', message: '未知的函数 ${fn}', doc: 'A $function that is not registered, not a let binding and not a JSONata built-in.' },
  MAP_IO: { area: 'mapping', message: '{detail}', doc: 'The input/output declaration of a mapping (value names and types).' },
  MAP_TEST_BAD: { area: 'mapping', message: '映射测试：{detail}', doc: 'A *.map.test.yaml that does not follow its format.' },

  CAT_EMPTY: { area: 'catalogue', message: '目录文件为空或不是映射（map）', doc: 'A config/catalogue/*.yaml file with no content, or whose top level is not a map.' },
  CAT_NO_COMMON: { area: 'catalogue', message: '缺少共享定义文件 common.schema.yaml', hint: '服务条目的 $ref: common#/$defs/… 指向它', doc: 'config/catalogue/common.schema.yaml holds the shared $defs; without it no $ref resolves.' },
  CAT_UNKNOWN_KEY: { area: 'catalogue', message: '未知的键 “{key}”', doc: 'A top-level (or issues) key that a catalogue entry does not have: service, title, category, flow, issues, request, response.' },
  CAT_MISSING_KEY: { area: 'catalogue', message: '缺少必填的键 “{key}”', doc: 'An entry needs service, title, category and request.' },
  CAT_VALUE: { area: 'catalogue', message: '{key} 应为{expected}', doc: 'An entry-level value of the wrong kind (title not a string, issues not a map …).' },
  CAT_SERVICE_NAME: { area: 'catalogue', message: 'service “{service}” 必须与文件名 “{expected}” 相同', doc: 'The serviceId is the file name: config/catalogue/<serviceId>.yaml.' },
  CAT_UNKNOWN_FLOW: { area: 'catalogue', message: '{detail}', doc: 'The entry\'s `flow` names no flow, or a flow that another service triggers.' },
  CAT_BILL_KIND: { area: 'catalogue', message: '票据种类 “{billKind}” 在配置中没有 {missing}', hint: '在 config 的 unit.billNames 与 unit.specimenCodes 中为它各加一项', doc: 'An issuing entry\'s `issues.billKind` needs a bill name and a specimen code under `unit:` in the configuration.' },
  CAT_UNKNOWN_KEYWORD: { area: 'catalogue', message: '未知的 JSON Schema 关键字 “{keyword}”（该规则不会生效）', doc: 'A schema keyword that neither JSON Schema nor the catalogue vocabulary (decimal, codeTable, allowEmpty, notBlank, title, x-doc …) defines — usually a misspelling such as maxLenght, which would silently drop the rule.' },
  CAT_UNKNOWN_FORMAT: { area: 'catalogue', message: '未知的格式 format “{format}”', doc: 'A `format` no validator knows (datetime17, date8, date10); it would check nothing.' },
  CAT_TYPE: { area: 'catalogue', message: '类型 type “{type}” 无效', hint: '可用：string, integer, number, boolean, object, array, null', doc: 'A `type` that is not a JSON Schema type name.' },
  CAT_REQUIRED_UNDEFINED: { area: 'catalogue', message: 'required 中的 “{property}” 不在 properties 中', doc: 'A `required` entry that names no property of the same schema (a typo makes the real field optional).' },
  CAT_REF: { area: 'catalogue', message: '无法解析的引用 $ref “{ref}”', doc: 'A `$ref` that does not point to an existing common#/$defs/<name>.' },
  CAT_CODE_TABLE: { area: 'catalogue', message: '代码表 codeTable “{table}” 不存在', doc: 'A `codeTable` that names no config/codes/<table>.yaml.' },
  CAT_CODE_VALUE: { area: 'catalogue', message: '“{code}” 不在代码表 {table} 中', doc: 'An `enum` value (or issues.busType) that the field\'s code table does not list.' },
  CAT_KEYWORD_VALUE: { area: 'catalogue', message: '{keyword} 的值无效：{detail}', doc: 'A keyword whose value breaks the JSON Schema meta-schema or the catalogue vocabulary (maxLength: "20", decimal: [2, 3], required not a list …).' },
  CAT_REQUEST_TYPE: { area: 'catalogue', message: '{part} 应为对象（type: object）', doc: 'A request schema must describe a JSON object: the HIS sends `data` as one.' },
  CAT_SCHEMA: { area: 'catalogue', message: '{part} 无法编译：{detail}', doc: 'Ajv (strict mode) refuses the schema for a reason the other checks did not name.' },
  CAT_SOAP: { area: 'catalogue', message: 'WSDL 无法生成：{detail}', doc: 'The entry has no XML form for the SOAP channel (type null, an element name that is not an XML name, a format without an XSD pattern …).' },

  CODES_EMPTY: { area: 'codes', message: '代码表文件为空或不是映射（map）', doc: 'A config/codes/*.yaml file with no content.' },
  CODES_UNKNOWN_KEY: { area: 'codes', message: '未知的键 “{key}”', doc: 'A key a code table (table, description, closed, source, codes) or a code (code, name, note) does not have.' },
  CODES_MISSING_KEY: { area: 'codes', message: '缺少必填的键 “{key}”', doc: 'A code table needs table, description and codes; a code needs code and name.' },
  CODES_NAME: { area: 'codes', message: 'table “{table}” 必须与文件名 “{expected}” 相同', doc: 'The table name is the file name: config/codes/<table>.yaml.' },
  CODES_VALUE: { area: 'codes', message: '{key} 应为{expected}', doc: 'A value of the wrong kind (closed not true/false, codes not a list, a code entry not a map …).' },
  CODES_CODE: { area: 'codes', message: '代码应为非空字符串，实际为 {actual}', hint: '加引号，例如 code: "01"（不加引号的 01 会被读成数字 1）', doc: 'A code that is not a non-empty string; unquoted 01 is the number 1 in YAML.' },
  CODES_DUPLICATE: { area: 'codes', message: '代码 “{code}” 重复（首次出现在第 {line} 行）', doc: 'Two entries with one code; which name applies would be a guess.' },
  CODES_EMPTY_NAME: { area: 'codes', message: '代码 “{code}” 的名称 name 为空', doc: 'Every code has a Chinese name (shown in docs and messages).' },
  CODES_EMPTY_TABLE: { area: 'codes', message: '代码表没有任何代码', doc: 'codes is an empty list.' },

  CONFIG_FILE: { area: 'config', message: '无法读取配置文件：{detail}', doc: 'The MEDBILL_CONFIG file (or config/default.yaml) cannot be read.' },
  CONFIG_UNKNOWN_KEY: { area: 'config', message: '未知的配置项 “{key}”', doc: 'A key the configuration schema (config/config.schema.yaml) does not have — usually a misspelling that would be ignored.' },
  CONFIG_MISSING_KEY: { area: 'config', message: '缺少必填的配置项 “{key}”', doc: 'A key the configuration needs (normally set in config/default.yaml).' },
  CONFIG_TYPE: { area: 'config', message: '应为{expected}', doc: 'A value of the wrong type, e.g. MEDBILL_PORT=abc or port: "17001" (a quoted number is a string).' },
  CONFIG_ENUM: { area: 'config', message: '取值 “{value}” 无效', doc: 'A value not in the allowed list (mode, signer.mode, log.level …).' },
  CONFIG_RANGE: { area: 'config', message: '{detail}', doc: 'A number or list outside its bounds (a port above 65535, no keyIndexes …).' },
  CONFIG_FORMAT: { area: 'config', message: '格式错误，应为{format}', doc: 'A duration (250ms, 5s, 2m, 1h), cron expression or similar that does not parse.' },
  CONFIG_INVALID: { area: 'config', message: '{detail}', doc: 'A value that breaks another rule of the configuration schema.' },
  CONFIG_ENV: { area: 'config', message: '环境变量 {name} 格式错误：{detail}', doc: 'An environment variable with a structure (MEDBILL_CALLERS=appid:key,…) that does not parse.' },
  CONFIG_PRODUCTION: { area: 'config', message: '生产模式不允许演示设置：{detail}', doc: 'Production mode refuses demo keys, passwords, accounts and certificates.' },

  HL7_VERSION: { area: 'flow', message: '{detail}', hint: '例如 hl7: { version: "2.5" }', doc: 'An HL7 flow (trigger.channel: hl7) pins the HL7 version it reads (`hl7.version`, MSH-12); only HL7 flows have `hl7:`.' },
  HL7_MATCH: { area: 'flow', message: '{detail}', doc: 'trigger.match of an HL7 flow: a map of field references (PV1-2, FT1-6, FT1-7.1) to the text they must equal; only HL7 flows have it.' },
  HXML_TRIGGER: { area: 'flow', message: '{detail}', doc: 'A hospital-XML flow (trigger.channel: hospital-xml) names its action in trigger.service, a word of letters, digits, dots, underscores or hyphens.' },

  CA_VENDOR_MAPPING: { area: 'ca-vendor', message: '{detail}', doc: 'A config/ca-vendors/*.yaml mistake.' },

  OVERLAY_MISSING: { area: 'overlay', message: '覆盖目录 {home} 不存在', hint: '检查 MEDBILL_HOME 或配置项 home，或先建立该目录', doc: 'The overlay directory named by MEDBILL_HOME (or config `home`) does not exist: none of the hospital\'s own files would be read.' },
  OVERLAY_UNKNOWN_ENTRY: { area: 'overlay', message: '覆盖目录中的 “{entry}” 不会被读取（只读取 {known}）', doc: 'Severity warning. A file or folder in the overlay directory that is not one of flows/, mappings/, config/catalogue/, config/codes/ — usually a misspelt folder name whose files would silently be ignored.' },
  RELOAD_REFUSED: { area: 'reload', message: '定义重新加载被拒绝：{errors} 个错误，继续使用版本 {version}', hint: '运行 medbill validate 查看全部问题，改正后再次 medbill reload', doc: 'A reload (SIGHUP, `medbill reload`, file watch) found errors in the new files: the running definitions stay as they were; each problem is logged with its file:line:col.' },
  FINB_BASE_INFO: { area: 'finance', message: '财政模拟系统基础信息数据文件错误：{detail}', hint: '收费项目编码等代码请加引号，例如 code: "01"', doc: "A mistake in adapters/finance/simulator/data/*.yaml (bill kinds, charge-item catalogue, code tables): the simulator would refuse to start." },
} as const satisfies Record<string, LintCodeSpec>;

export type LintCode = keyof typeof LINT_CODES;
export type LintParams<C extends LintCode> = Params<(typeof LINT_CODES)[C]['message']>;

/** JSON Schema type names in Chinese, for "应为{type}" in catalogue and configuration problems. */
export const JSON_TYPE_ZH: Record<string, string> = {
  string: '字符串',
  integer: '整数',
  number: '数字',
  boolean: '布尔值（true 或 false）',
  object: '映射（map）',
  array: '列表',
  null: '空值（null）',
};

/** Hints built at the call site from a suggestion or a list. */
export const HINTS = {
  didYouMean: '是否应为 “{word}”？',
  known: '可用：{list}',
} as const;

export const suggestionHint = (word: string | undefined, known?: Iterable<string>): string | undefined =>
  word ? fill(HINTS.didYouMean, { word }) : known ? fill(HINTS.known, { list: [...known].join(', ') }) : undefined;
