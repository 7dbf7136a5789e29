/**
 * The canonical settlement (医疗收费结算单): every inbound format maps to it. Field names are the
 * v3.2.0 issue request's; amounts are fixed-scale decimal text ("236.50"), dates ISO, never floats.
 * The fields every issuance rule relies on are typed; the rest of the request travels along as is.
 */
export interface Settlement {
  /** outpatient | inpatient | registration | checkup | … (selects the bill kind, code and specimen) */
  billKind: string;
  busNo: string;
  busDateTime: string;
  busType: string;
  placeCode: string;
  payer: string;
  totalAmt: string;
  chargeDetail?: { sortNo?: number; chargeCode?: string; chargeName?: string; amt?: string }[];
  listDetail?: { chargeCode?: string; amt?: string }[];
  payChannelDetail?: { payChannelCode?: string; payChannelValue?: string }[];
  [field: string]: unknown;
}
