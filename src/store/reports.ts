/**
 * The reads of reconciliation and accounting, and the few rows they write (migration 014). Plain SQL
 * that SQLite and MariaDB both accept; amounts leave here as the stored decimal text and are summed in
 * integer fen by src/domain/reconcile.ts. Outcomes are typed; the engine turns refusals into HIS codes.
 */
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb } from './sql';

/** Which time of a bill a period is about: bus = bus_date_time (业务日期), ivc = create_time (开票日期). */
export type DateBasis = 'bus' | 'ivc';

export interface DayBillRow {
  id: number;
  kind: 'blue' | 'red';
  bill_batch_code: string;
  bill_no: string;
  bus_type: string | null;
  place_code: string | null;
  bill_kind: string;
  total_amt: string | null;
}

export interface DayQuery {
  basis: DateBasis;
  /** yyyyMMddHHmmssSSS bounds, inclusive */
  from: string;
  to: string;
  kind: 'blue' | 'red';
  busType?: string;
  placeCode?: string;
}

/**
 * getBillByBusDate's dataType: 1 e-bill, 2 red e-bill, 3 the paper an e-bill is turned to, 4 the paper
 * a red e-bill was printed on (writeOffEBillToPaper keeps it on the red row); 5 (blank paper voided)
 * lives with the paper bills.
 */
export type ListDataType = '1' | '2' | '3' | '4';

export interface ListQuery {
  basis: DateBasis;
  from: string;
  to: string;
  placeCode?: string;
  dataType?: ListDataType;
  pageNo: number;
  pageSize: number;
}

export interface ListRow {
  data_type: ListDataType;
  at: string | null;
  /** the business time (a paper conversion: when it was converted) */
  bus_dt: string | null;
  bus_no: string | null;
  place_code: string | null;
  bill_kind: string;
  bill_batch_code: string;
  bill_no: string;
  random: string | null;
  total_amt: string | null;
  kind: 'blue' | 'red';
  ivc: string | null;
  state: string;
  rel_code: string | null;
  rel_no: string | null;
}

export type PushKind = 'total' | 'writeOff' | 'bills';

export interface SheetRow {
  id: number;
  account_no: string;
  appid: string;
  place_code: string;
  bgn_date: string;
  end_date: string;
  date_basis: DateBasis;
  state: '0' | '1' | '2';
  blue_num: number;
  blue_fen: number | string;
  red_num: number;
  red_fen: number | string;
  operator: string;
  remark: string | null;
  create_time: string;
  register_operator: string | null;
  register_time: string | null;
  cancel_operator: string | null;
  cancel_reason: string | null;
  cancel_time: string | null;
}

export interface NewSheet {
  appid: string;
  placeCode: string;
  bgnDate: string;
  endDate: string;
  basis: DateBasis;
  /** yyyyMMddHHmmssSSS bounds of the period */
  from: string;
  to: string;
  operator: string;
  remark?: string;
  prefix: string;
  allowEmpty: boolean;
  /** sums the bills' amounts in fen (the domain's rule, passed in so the store stays arithmetic-free) */
  total(rows: { kind: 'blue' | 'red'; total_amt: string | null }[]): { blueNum: number; blueFen: bigint; redNum: number; redFen: bigint };
  createTime: string;
}

export type GenerateOutcome = { kind: 'created'; sheet: SheetRow } | { kind: 'empty' };
export type SheetChange = { kind: 'done'; sheet: SheetRow; bills: number } | { kind: 'notFound' } | { kind: 'state'; sheet: SheetRow };

const dateColumn = (basis: DateBasis, alias: string) => (basis === 'bus' ? `${alias}.bus_date_time` : `${alias}.create_time`);
/** A red bill's business time is the write-off's; a red row without one falls back to when it was made. */
const redDateColumn = (basis: DateBasis) => (basis === 'bus' ? 'COALESCE(r.bus_date_time, r.create_time)' : 'r.create_time');
/** Page bounds are validated integers: inlined, because prepared LIMIT parameters are not portable. */
const limit = (pageNo: number, pageSize: number) => ` LIMIT ${Math.trunc(pageSize)} OFFSET ${Math.trunc((pageNo - 1) * pageSize)}`;

export class ReportStore {
  constructor(
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  private all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.sql.withConnection((tx) => tx.all<T>(sql, params));
  }

  /** The issued bills (blue, or red) of a period, with their group fields; voided numbers are not bills. */
  dayBills(q: DayQuery): Promise<DayBillRow[]> {
    const params: unknown[] = [q.from, q.to];
    if (q.kind === 'blue') {
      let sql = `SELECT b.id, b.kind, b.bill_batch_code, b.bill_no, b.bus_type, b.place_code, b.bill_kind, b.total_amt FROM bills b WHERE b.kind = 'blue' AND b.state = 'issued' AND ${dateColumn(q.basis, 'b')} >= ? AND ${dateColumn(q.basis, 'b')} <= ?`;
      if (q.busType) (sql += ' AND b.bus_type = ?'), params.push(q.busType);
      if (q.placeCode) (sql += ' AND b.place_code = ?'), params.push(q.placeCode);
      return this.all<DayBillRow>(sql, params);
    }
    let sql = `SELECT r.id, r.kind, r.bill_batch_code, r.bill_no, COALESCE(r.bus_type, b.bus_type) AS bus_type, r.place_code, r.bill_kind, r.total_amt FROM bills r LEFT JOIN bills b ON b.id = r.related_bill_id WHERE r.kind = 'red' AND r.state = 'issued' AND ${redDateColumn(q.basis)} >= ? AND ${redDateColumn(q.basis)} <= ?`;
    if (q.busType) (sql += ' AND COALESCE(r.bus_type, b.bus_type) = ?'), params.push(q.busType);
    if (q.placeCode) (sql += ' AND r.place_code = ?'), params.push(q.placeCode);
    return this.all<DayBillRow>(sql, params);
  }

  /**
   * getBillByBusDate / getBillByIvcDate: every number of the period, one row per use — e-bills (issued,
   * and voided numbers as state voided), red e-bills (related to their blue bill), the paper bills
   * e-bills are turned to now (related to their e-bill) and the paper red bills (related to their red
   * e-bill) — in time order, one page, with the total.
   */
  async billList(q: ListQuery): Promise<{ total: number; rows: ListRow[] }> {
    const parts: string[] = [];
    const params: unknown[] = [];
    const place = (alias: string) => {
      if (!q.placeCode) return '';
      params.push(q.placeCode);
      return ` AND ${alias}.place_code = ?`;
    };
    if (!q.dataType || q.dataType === '1') {
      // A voided number has no issue time: it is listed by business date only.
      params.push(q.from, q.to);
      const states = q.basis === 'bus' ? "('issued', 'voided')" : "('issued')";
      parts.push(
        `SELECT '1' AS data_type, ${dateColumn(q.basis, 'b')} AS at, b.bus_date_time AS bus_dt, b.bus_no, b.place_code, b.bill_kind, b.bill_batch_code, b.bill_no, b.random, b.total_amt, b.kind, b.create_time AS ivc, b.state, NULL AS rel_code, NULL AS rel_no, b.id AS id` +
          ` FROM bills b WHERE b.kind = 'blue' AND b.state IN ${states} AND ${dateColumn(q.basis, 'b')} >= ? AND ${dateColumn(q.basis, 'b')} <= ?` +
          place('b'),
      );
    }
    if (!q.dataType || q.dataType === '2') {
      params.push(q.from, q.to);
      parts.push(
        `SELECT '2' AS data_type, ${redDateColumn(q.basis)} AS at, COALESCE(r.bus_date_time, r.create_time) AS bus_dt, COALESCE(r.bus_no, b.bus_no) AS bus_no, r.place_code, r.bill_kind, r.bill_batch_code, r.bill_no, r.random, r.total_amt, r.kind, r.create_time AS ivc, r.state, b.bill_batch_code AS rel_code, b.bill_no AS rel_no, r.id AS id` +
          ` FROM bills r LEFT JOIN bills b ON b.id = r.related_bill_id WHERE r.kind = 'red' AND r.state = 'issued' AND ${redDateColumn(q.basis)} >= ? AND ${redDateColumn(q.basis)} <= ?` +
          place('r'),
      );
    }
    if (!q.dataType || q.dataType === '3') {
      params.push(q.from, q.to);
      parts.push(
        `SELECT '3' AS data_type, b.paper_time AS at, b.paper_time AS bus_dt, b.bus_no, b.place_code, b.bill_kind, b.paper_batch_code AS bill_batch_code, b.paper_no AS bill_no, NULL AS random, b.total_amt, b.kind, b.paper_time AS ivc, b.state, b.bill_batch_code AS rel_code, b.bill_no AS rel_no, b.id AS id` +
          ` FROM bills b WHERE b.kind = 'blue' AND b.paper_no IS NOT NULL AND b.paper_time >= ? AND b.paper_time <= ?` +
          place('b'),
      );
    }
    if (!q.dataType || q.dataType === '4') {
      params.push(q.from, q.to);
      parts.push(
        `SELECT '4' AS data_type, r.paper_time AS at, r.paper_time AS bus_dt, COALESCE(r.bus_no, b.bus_no) AS bus_no, r.place_code, r.bill_kind, r.paper_batch_code AS bill_batch_code, r.paper_no AS bill_no, NULL AS random, r.total_amt, r.kind, r.paper_time AS ivc, r.state, r.bill_batch_code AS rel_code, r.bill_no AS rel_no, r.id AS id` +
          ` FROM bills r LEFT JOIN bills b ON b.id = r.related_bill_id WHERE r.kind = 'red' AND r.state = 'issued' AND r.paper_no IS NOT NULL AND r.paper_time >= ? AND r.paper_time <= ?` +
          place('r'),
      );
    }
    const union = parts.join(' UNION ALL ');
    const [{ n }] = await this.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM (${union}) t`, params);
    const rows = await this.all<ListRow>(`SELECT * FROM (${union}) t ORDER BY at, data_type, bill_batch_code, bill_no` + limit(q.pageNo, q.pageSize), params);
    return { total: Number(n), rows };
  }

  /** Stores what the HIS pushed for one scope and page, replacing an earlier push of the same. */
  savePush(appid: string, kind: PushKind, scopeKey: string, pageNo: number, payload: unknown, receivedTime: string): Promise<void> {
    return this.writer.run(async (tx) => {
      await tx.run('DELETE FROM his_recon_pushes WHERE appid = ? AND kind = ? AND scope_key = ? AND page_no = ?', [appid, kind, scopeKey, pageNo]);
      await insertRow(tx, 'his_recon_pushes', { appid, kind, scope_key: scopeKey, page_no: pageNo, payload: JSON.stringify(payload), received_time: receivedTime, created_at: Date.now() });
    });
  }

  /** Every page the HIS pushed for a scope, in page order (empty: nothing received). */
  async pushes(appid: string, kind: PushKind, scopeKey: string): Promise<{ pageNo: number; payload: unknown; receivedTime: string }[]> {
    const rows = await this.all<{ page_no: number; payload: string; received_time: string }>(
      'SELECT page_no, payload, received_time FROM his_recon_pushes WHERE appid = ? AND kind = ? AND scope_key = ? ORDER BY page_no',
      [appid, kind, scopeKey],
    );
    return rows.map((r) => ({ pageNo: Number(r.page_no), payload: JSON.parse(r.payload) as unknown, receivedTime: r.received_time }));
  }

  /**
   * A new sheet over the period's issued bills that are not booked and not on another live sheet, in
   * one transaction (the unique bill_id of account_sheet_bills keeps two sheets from taking one bill).
   */
  generateSheet(s: NewSheet): Promise<GenerateOutcome> {
    return this.writer.run(async (tx): Promise<GenerateOutcome> => {
      const params: unknown[] = [s.from, s.to];
      let where = `b.state = 'issued' AND b.account_state = '0' AND ${dateColumn(s.basis, 'b')} >= ? AND ${dateColumn(s.basis, 'b')} <= ?`;
      if (s.placeCode) (where += ' AND b.place_code = ?'), params.push(s.placeCode);
      const bills = await tx.all<{ id: number; kind: 'blue' | 'red'; total_amt: string | null }>(
        `SELECT b.id, b.kind, b.total_amt FROM bills b WHERE ${where} AND NOT EXISTS (SELECT 1 FROM account_sheet_bills a WHERE a.bill_id = b.id) ORDER BY b.id`,
        params,
      );
      if (!bills.length && !s.allowEmpty) return { kind: 'empty' };
      const day = s.createTime.slice(0, 8);
      const like = `${s.prefix}${day}%`;
      const last = await tx.get<{ n: string | null }>('SELECT MAX(account_no) AS n FROM account_sheets WHERE account_no LIKE ?' + tx.forUpdate, [like]);
      const seq = last?.n ? Number(last.n.slice(s.prefix.length + 8)) + 1 : 1;
      const accountNo = `${s.prefix}${day}${String(seq).padStart(4, '0')}`;
      const t = s.total(bills);
      const now = Date.now();
      const row = {
        account_no: accountNo,
        appid: s.appid,
        place_code: s.placeCode,
        bgn_date: s.bgnDate,
        end_date: s.endDate,
        date_basis: s.basis,
        state: '0',
        blue_num: t.blueNum,
        blue_fen: t.blueFen.toString(),
        red_num: t.redNum,
        red_fen: t.redFen.toString(),
        operator: s.operator,
        remark: s.remark ?? null,
        create_time: s.createTime,
        created_at: now,
        updated_at: now,
      };
      const { lastId } = await insertRow(tx, 'account_sheets', row);
      for (let i = 0; i < bills.length; i += 500) {
        const chunk = bills.slice(i, i + 500);
        await tx.run(`INSERT INTO account_sheet_bills (sheet_id, bill_id) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flatMap((b) => [lastId, b.id]));
      }
      return { kind: 'created', sheet: (await tx.get<SheetRow>('SELECT * FROM account_sheets WHERE id = ?', [lastId]))! };
    });
  }

  sheet(accountNo: string): Promise<SheetRow | undefined> {
    return this.sql.get<SheetRow>('SELECT * FROM account_sheets WHERE account_no = ?', [accountNo]);
  }

  /** Sheets made in a period (create_time), optionally of one place and state, one page. */
  async sheets(q: { from: string; to: string; placeCode?: string; state?: string; pageNo: number; pageSize: number }): Promise<{ total: number; rows: SheetRow[] }> {
    const params: unknown[] = [q.from, q.to];
    let where = 'create_time >= ? AND create_time <= ?';
    if (q.placeCode) (where += ' AND place_code = ?'), params.push(q.placeCode);
    if (q.state) (where += ' AND state = ?'), params.push(q.state);
    const [{ n }] = await this.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM account_sheets WHERE ${where}`, params);
    const rows = await this.all<SheetRow>(`SELECT * FROM account_sheets WHERE ${where} ORDER BY account_no` + limit(q.pageNo, q.pageSize), params);
    return { total: Number(n), rows };
  }

  /** The bills of a sheet, one page (a cancelled sheet holds none). */
  async sheetBills(sheetId: number, pageNo: number, pageSize: number): Promise<{ total: number; rows: (DayBillRow & { random: string | null; bus_no: string | null; create_time: string | null; bus_date_time: string | null; rel_code: string | null; rel_no: string | null })[] }> {
    const [{ n }] = await this.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM account_sheet_bills WHERE sheet_id = ?', [sheetId]);
    const rows = await this.all<DayBillRow & { random: string | null; bus_no: string | null; create_time: string | null; bus_date_time: string | null; rel_code: string | null; rel_no: string | null }>(
      'SELECT b.id, b.kind, b.bill_batch_code, b.bill_no, b.bus_type, b.place_code, b.bill_kind, b.total_amt, b.random, COALESCE(b.bus_no, o.bus_no) AS bus_no, b.create_time, b.bus_date_time, o.bill_batch_code AS rel_code, o.bill_no AS rel_no' +
        ' FROM account_sheet_bills a JOIN bills b ON b.id = a.bill_id LEFT JOIN bills o ON o.id = b.related_bill_id WHERE a.sheet_id = ? ORDER BY b.bill_batch_code, b.bill_no' +
        limit(pageNo, pageSize),
      [sheetId],
    );
    return { total: Number(n), rows };
  }

  /** Generated → booked: the sheet and every bill on it (bills.account_state '1'). Booked again: done, nothing changes. */
  registerSheet(accountNo: string, operator: string, time: string): Promise<SheetChange> {
    return this.writer.run(async (tx): Promise<SheetChange> => {
      const sheet = await tx.get<SheetRow>('SELECT * FROM account_sheets WHERE account_no = ?' + tx.forUpdate, [accountNo]);
      if (!sheet) return { kind: 'notFound' };
      if (sheet.state === '1') return { kind: 'done', sheet, bills: 0 };
      if (sheet.state !== '0') return { kind: 'state', sheet };
      await tx.run('UPDATE account_sheets SET state = ?, register_operator = ?, register_time = ?, updated_at = ? WHERE id = ?', ['1', operator, time, Date.now(), sheet.id]);
      const r = await tx.run("UPDATE bills SET account_state = '1', updated_at = ? WHERE id IN (SELECT bill_id FROM account_sheet_bills WHERE sheet_id = ?)", [Date.now(), sheet.id]);
      return { kind: 'done', sheet: { ...sheet, state: '1', register_operator: operator, register_time: time }, bills: r.changes };
    });
  }

  /**
   * → cancelled: its bills are released (not booked, on no sheet) for a later sheet. A booked sheet
   * only when `allowBooked`; cancelled again: done, nothing changes.
   */
  cancelSheet(accountNo: string, operator: string, reason: string, time: string, allowBooked: boolean): Promise<SheetChange> {
    return this.writer.run(async (tx): Promise<SheetChange> => {
      const sheet = await tx.get<SheetRow>('SELECT * FROM account_sheets WHERE account_no = ?' + tx.forUpdate, [accountNo]);
      if (!sheet) return { kind: 'notFound' };
      if (sheet.state === '2') return { kind: 'done', sheet, bills: 0 };
      if (sheet.state === '1' && !allowBooked) return { kind: 'state', sheet };
      const now = Date.now();
      const r = await tx.run("UPDATE bills SET account_state = '0', updated_at = ? WHERE id IN (SELECT bill_id FROM account_sheet_bills WHERE sheet_id = ?)", [now, sheet.id]);
      await tx.run('DELETE FROM account_sheet_bills WHERE sheet_id = ?', [sheet.id]);
      await tx.run('UPDATE account_sheets SET state = ?, cancel_operator = ?, cancel_reason = ?, cancel_time = ?, updated_at = ? WHERE id = ?', ['2', operator, reason, time, now, sheet.id]);
      return { kind: 'done', sheet: { ...sheet, state: '2', cancel_operator: operator, cancel_reason: reason, cancel_time: time }, bills: r.changes };
    });
  }
}

