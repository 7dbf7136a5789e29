/** lookup-bill: finds an issued bill by (appid, busNo), checking busDateTime, and its red bill if any. */
import { billView } from '../../domain/bill-view';
import { FlowError, RESULT } from '../errors';
import type { StepKind } from '../step';

export const lookupBillStep: StepKind<{ by: 'busNo' }> = {
  kind: 'lookup-bill',
  doc: 'Loads the issued bill of (appid, busNo) as `bill` (and its red bill as `red`); busDateTime must match the value sent at issue.',
  optionsSchema: { type: 'object', required: ['by'], additionalProperties: false, properties: { by: { enum: ['busNo'] } } },
  prepare() {
    return async (rc) => {
      const { busNo, busDateTime } = rc.input as { busNo: string; busDateTime: string };
      const row = await rc.services.bills.byBusNo(rc.msg.appid, busNo);
      // A reservation is not a bill yet: answering "not issued" makes the HIS retry the issue, which resumes it.
      if (!row || row.state !== 'issued') throw new FlowError('NotFound', RESULT.notFound, `业务流水号 busNo ${busNo} 没有已开具的电子票据`, 'busNo');
      if (row.bus_date_time !== busDateTime)
        throw new FlowError('NotFound', RESULT.notFound, `业务流水号 busNo ${busNo} 的业务发生时间 busDateTime 与开票时不一致（应与开票请求中的 busDateTime 相同）`, 'busDateTime');
      rc.vars.bill = billView(row);
      const red = await rc.services.bills.redOf(row.id);
      if (red) rc.vars.red = billView(red);
    };
  },
};
