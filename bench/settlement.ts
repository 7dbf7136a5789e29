/**
 * Outpatient settlements for load (bench/issuance.ts, bench/campaign/): the shape of a typical HIS
 * settlement of the demo place MZSF01 — three charge lines, five list lines, two pay channels — with
 * the amounts shifted by a few fen per `i`, so every bill has its own content and its sums still
 * balance. The same (busNo, i) always gives the same settlement: a retry of a busNo is the same request.
 */
export type Settlement = Record<string, unknown>;

const yuan = (fen: number): number => fen / 100;

export function outpatientSettlement(busNo: string, i: number): Settlement {
  const extra = i % 997; // fen added to one drug line, its charge line, the total and the cash channel
  const drugFen = 100 + extra;
  const totalFen = 2500 + 9500 + 11550 + drugFen;
  return {
    busNo,
    busType: '02',
    payer: '压测患者',
    busDateTime: '20261125093015123',
    placeCode: 'MZSF01',
    payee: '收费员甲',
    author: '收费员甲',
    checker: '复核员乙',
    totalAmt: yuan(totalFen),
    remark: '',
    payerType: '1',
    cardType: '1102',
    cardNo: `K${String(i).padStart(9, '0')}`,
    medicalInstitution: '综合医院',
    medCareInstitution: '440100',
    medCareTypeCode: '01',
    medicalCareType: '职工基本医疗保险',
    consultationDate: '20261125',
    patientCategory: '内科门诊',
    patientCategoryCode: '0301',
    patientNo: `MZ${String(i).padStart(9, '0')}`,
    patientId: `P${String(i).padStart(9, '0')}`,
    sex: '未知',
    age: '40岁',
    accountPay: 50,
    fundPay: 120,
    otherfundPay: 0,
    ownPay: yuan(1650 + extra),
    selfConceitedAmt: 0,
    selfPayAmt: 30,
    selfCashPay: yuan(totalFen - 17000),
    reimbursementAmt: 170,
    payChannelDetail: [
      { payChannelCode: '11', payChannelValue: 170 },
      { payChannelCode: '05', payChannelValue: yuan(totalFen - 17000) },
    ],
    chargeDetail: [
      { sortNo: 1, chargeCode: '02', chargeName: '诊察费', unit: '次', std: 25, number: 1, amt: 25, selfAmt: 0 },
      { sortNo: 2, chargeCode: '04', chargeName: '化验费', unit: '项', std: 95, number: 1, amt: 95, selfAmt: 10 },
      { sortNo: 3, chargeCode: '09', chargeName: '西药费', unit: '项', std: yuan(11550 + drugFen), number: 1, amt: yuan(11550 + drugFen), selfAmt: yuan(550 + drugFen) },
    ],
    listDetail: [
      { listDetailNo: '1', chargeCode: '02', chargeName: '诊察费', code: '110200001', name: '普通门诊诊查费', unit: '次', std: 25, number: 1, amt: 25, selfAmt: 0, medicalCareType: '1' },
      { listDetailNo: '2', chargeCode: '04', chargeName: '化验费', code: '250101015', name: '血常规', unit: '项', std: 35, number: 1, amt: 35, selfAmt: 0, medicalCareType: '1' },
      { listDetailNo: '3', chargeCode: '04', chargeName: '化验费', code: '250305007', name: '血脂四项', unit: '项', std: 60, number: 1, amt: 60, selfAmt: 10, medicalCareType: '2' },
      { listDetailNo: '4', chargeCode: '09', chargeName: '西药费', code: 'XY0001', name: '片剂甲', form: '片剂', specification: '20mg*7片', unit: '盒', std: 38.5, number: 3, amt: 115.5, selfAmt: 5.5, medicalCareType: '2' },
      { listDetailNo: '5', chargeCode: '09', chargeName: '西药费', code: 'XY0002', name: '一次性注射器', form: '', specification: '5ml', unit: '支', std: yuan(drugFen), number: 1, amt: yuan(drugFen), selfAmt: yuan(drugFen), medicalCareType: '3' },
    ],
  };
}
