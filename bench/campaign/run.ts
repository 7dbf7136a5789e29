/**
 * `npm run campaign`: the crash campaign (issue 7 §3). Real `medbill start` processes on a temp data
 * dir, 100 concurrent HIS issuers over real HTTP with real SM2 signing, and kill -9 at random moments,
 * 20 times, each followed by a restart. Then every issuer finishes the busNo in hand, the nodes stop,
 * one more start runs a final recovery, and the ledger walk (ledger.ts) prints what the HIS was
 * promised against what the tables hold. Exit 1 when any invariant breaks.
 *
 *   npm run campaign                       SQLite, one node
 *   npm run campaign -- --mysql [URL]      MariaDB/MySQL, two nodes on one database, each killed at random
 *                                          (URL defaults to MEDBILL_TEST_MYSQL_URL; a fresh database is
 *                                          created on that server and dropped afterwards)
 *   npm run campaign -- --power-cut        SQLite, and every kill -9 is also a power cut: the database files
 *                                          go back to what their last fsync made durable (power-cut.c)
 *   options: --cycles 20 --issuers 100 --max-up-ms 6000 --seed N --svs --keep
 *            --sqlite-synchronous normal   the old setting (with --power-cut: watch it lose bills)
 *            --sqlite-wal-sync commit      PRAGMA synchronous=FULL instead of the group commit's WAL fsync
 *
 * Signing runs in-process (the unit key in medbill's worker threads) unless --svs: what the campaign
 * proves — where a number is taken, committed and acknowledged — does not depend on how the signature
 * is made, and the 2 cores of a shared machine go further without a second SOAP hop per bill. With
 * --svs the embedded signature server runs in each node (and dies with it). The finance simulator
 * stays off: uploads wait in the outbox, which is not under test here.
 *
 * Two nodes (MariaDB): each node starts with recovery.startupMinAgeMs 10 s, above the 8 s request
 * deadline, so a node starting beside a live peer only takes over reservations no live request can
 * still hold; younger ones are finished by the HIS's retry of their busNo (on either node) or by the
 * minute schedule. The final recovery runs alone (no peer), with startupMinAgeMs 0.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { freshDb } from '../../test/helpers/databases';
import { APPID } from '../his-client';
import { freePort, MedbillProcess, spawnMedbill, waitHealthy } from '../server';
import { startIssuers } from './issuers';
import { buildPowerCutShim, cutPower, powerCutEnv } from './power-cut';
import { INVARIANTS, LedgerReport, walkLedger } from './ledger';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  return v !== undefined && !v.startsWith('--') ? v : dflt;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** mulberry32: a seeded stream, so a run's kill moments can be told and repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(s + '\n');

interface Database {
  url: string;
  kind: 'sqlite' | 'mysql';
  open(): Knex;
  drop(): Promise<void>;
}

async function database(dir: string): Promise<Database> {
  if (!flag('mysql')) {
    const file = path.join(dir, 'medbill.sqlite');
    return {
      url: `sqlite:${file}`,
      kind: 'sqlite',
      open: () => knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true }),
      drop: async () => undefined,
    };
  }
  const base = arg('mysql', process.env.MEDBILL_TEST_MYSQL_URL ?? '');
  if (!base) throw new Error('--mysql needs a URL (mysql://user:pw@host:port/db) or MEDBILL_TEST_MYSQL_URL');
  const fresh = await freshDb('mysql', dir, base);
  return { url: fresh.url, kind: 'mysql', open: () => knexFactory({ client: 'mysql2', connection: fresh.url }), drop: () => fresh.drop() };
}

interface NodeLog {
  kills: number;
  /** kills that landed before the node answered /readyz (during start-up recovery, say) */
  killedStarting: number;
  /** spawn to /readyz, ms, of the starts that got there */
  startMs: number[];
  /** a node that exited on its own: a crash of medbill, not of ours */
  unexpectedExits: string[];
}

class Node {
  proc?: MedbillProcess;
  ready = false;
  readonly log: NodeLog = { kills: 0, killedStarting: 0, startMs: [], unexpectedExits: [] };

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly spawnOpts: { configFile: string; dataDir: string; dbUrl: string; env?: NodeJS.ProcessEnv },
    /** the SQLite file to put back to its durable image after each kill (--power-cut) */
    private readonly powerCutFile?: string,
  ) {}

  start(configFile = this.spawnOpts.configFile): MedbillProcess {
    const proc = spawnMedbill({ ...this.spawnOpts, configFile, port: this.port });
    const spawned = Date.now();
    this.proc = proc;
    this.ready = false;
    let killed = false;
    proc.child.once('exit', () => {
      if (this.proc === proc) this.ready = false;
    });
    void waitHealthy(`http://127.0.0.1:${this.port}/readyz`, 120_000, () => proc.child.exitCode === null && proc.child.signalCode === null).then(
      () => {
        this.ready = this.proc === proc;
        if (this.ready) this.log.startMs.push(Date.now() - spawned);
      },
      () => undefined,
    );
    void proc.exited.then(({ code, signal }) => {
      killed = signal === 'SIGKILL' || signal === 'SIGTERM';
      if (!killed && code !== 0) this.log.unexpectedExits.push(`${this.name} exited ${code ?? signal}: ${proc.stderr().slice(-2000)}`);
    });
    return proc;
  }

  async kill(): Promise<void> {
    if (!this.proc) return;
    this.log.kills++;
    if (!this.ready) this.log.killedStarting++;
    this.proc.child.kill('SIGKILL');
    await this.proc.exited;
    this.proc = undefined;
    if (this.powerCutFile) cutPower(this.powerCutFile);
  }

  async untilReady(ms = 120_000): Promise<void> {
    const until = Date.now() + ms;
    while (!this.ready) {
      if (Date.now() > until || !this.proc) throw new Error(`${this.name} did not become ready: ${this.proc?.stderr() ?? 'not running'}`);
      await sleep(50);
    }
  }

  /** SIGTERM; a graceful stop must exit 0. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    this.proc.child.kill('SIGTERM');
    const { code, signal } = await this.proc.exited;
    if (code !== 0) this.log.unexpectedExits.push(`${this.name} did not stop cleanly (${code ?? signal}): ${this.proc.stderr().slice(-2000)}`);
    this.proc = undefined;
  }
}

function nodeConfig(o: { startupMinAgeMs: number; svs: boolean; svsPort?: number; synchronous: string; walSync: string }): string {
  return (
    [
      'log: { level: warn, dir: logs, stdout: false }',
      o.svs ? `svs: { start: true, port: ${o.svsPort} }` : 'svs: { start: false }',
      `signer: { mode: ${o.svs ? 'svs' : 'in-process'} }`,
      'finance: { start: false }',
      // 100 issuers from one address: the per-address and per-appid rate limits would refuse most of
      // them (E0007), which tests the limiter, not the ledger.
      'limits: { his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 0, burst: 0 } } }',
      // Uploads are not under test: the jobs wait in the outbox instead of retrying against no one.
      'outbox: { pollMs: 3600000 }',
      `recovery: { startupMinAgeMs: ${o.startupMinAgeMs} }`,
      `db: { sqliteSynchronous: ${o.synchronous}, sqliteWalSync: ${o.walSync} }`,
    ].join('\n') + '\n'
  );
}

async function main(): Promise<number> {
  const cycles = Number(arg('cycles', '20'));
  const issuers = Number(arg('issuers', '100'));
  const maxUpMs = Number(arg('max-up-ms', '6000'));
  const seed = Number(arg('seed', String(Date.now() % 1_000_000)));
  const svs = flag('svs');
  const synchronous = arg('sqlite-synchronous', 'full');
  const walSync = arg('sqlite-wal-sync', 'writer');
  const powerCut = flag('power-cut');
  const random = prng(seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-campaign-'));
  const db = await database(dir);
  const nodeCount = db.kind === 'mysql' ? 2 : 1;
  if (powerCut && db.kind !== 'sqlite') throw new Error('--power-cut simulates the SQLite files only');
  const shim = powerCut ? buildPowerCutShim(dir) : undefined;
  if (powerCut && !shim) throw new Error('--power-cut needs a C compiler (cc) to build bench/campaign/power-cut.c');
  const dbFile = db.url.slice('sqlite:'.length);
  const dataDir = path.join(dir, 'data');
  const ports = await Promise.all(Array.from({ length: nodeCount }, () => freePort()));
  const svsPorts = await Promise.all(Array.from({ length: nodeCount }, () => freePort()));
  // Each node has its own config only for its SVS port; the database, data dir and demo PKI are shared.
  const cfgOf = (i: number, minAge: number) => {
    const f = path.join(dir, `node${i}-${minAge}.yaml`);
    writeFileSync(f, nodeConfig({ startupMinAgeMs: minAge, svs, svsPort: svsPorts[i], synchronous, walSync }));
    return f;
  };
  const startupMinAgeMs = nodeCount > 1 ? 10_000 : 0;
  const nodes = ports.map(
    (port, i) =>
      new Node(
        `node${i + 1}`,
        port,
        { configFile: cfgOf(i, startupMinAgeMs), dataDir, dbUrl: db.url, env: shim ? powerCutEnv(shim, dbFile) : undefined },
        shim ? dbFile : undefined,
      ),
  );
  const t0 = Date.now();
  say(
    `crash campaign: ${db.kind === 'mysql' ? `MariaDB/MySQL, ${nodeCount} nodes on one database` : 'SQLite, one node'}, ${issuers} issuers, ` +
      `${cycles} kill -9 cycles${nodeCount > 1 ? ' per node' : ''}, up 0.2–${maxUpMs / 1000} s after ready, seed ${seed}, signer ${svs ? 'svs' : 'in-process'}` +
      `${db.kind === 'sqlite' ? `, SQLite ${synchronous}${synchronous === 'full' ? ` (WAL fsync by ${walSync})` : ''}` : ''}${powerCut ? ', every kill is a power cut' : ''}, data ${dir}`,
  );
  let report: LedgerReport | undefined;
  let stats: ReturnType<typeof startIssuers>['stats'] | undefined;
  let failed = true;
  try {
    // First start alone: migrations, demo stock and demo PKI are made once, not raced by two nodes.
    nodes[0].start(cfgOf(0, 0));
    await nodes[0].untilReady();
    await nodes[0].stop();

    const load = startIssuers({ issuers, ports, runId: Date.now().toString(36), backoff: [100, 300], random });
    stats = load.stats;
    const s = stats;
    await Promise.all(
      nodes.map(async (node, n) => {
        for (let c = 1; c <= cycles; c++) {
          node.start();
          // One kill in five lands while the node starts (start-up recovery may be running); the
          // others at a random moment of serving load.
          let when: string;
          if (random() < 0.2) {
            const ms = 100 + random() * Math.max(200, node.log.startMs.at(-1) ?? 1500);
            await sleep(ms);
            when = `${(ms / 1000).toFixed(1)} s after spawn${node.ready ? '' : ', still starting'}`;
          } else {
            await node.untilReady();
            const ms = 200 + random() * (maxUpMs - 200);
            await sleep(ms);
            when = `${(ms / 1000).toFixed(1)} s after ready`;
          }
          await node.kill();
          say(`  ${node.name} cycle ${String(c).padStart(2)}/${cycles}: kill -9 ${when}; acknowledged so far ${s.finished.size}`);
          if (nodeCount > 1) await sleep(random() * 1500 * (n + 1));
        }
      }),
    );
    say('  last cycle done: restarting, letting every issuer finish its busNo');
    for (const node of nodes) node.start();
    for (const node of nodes) await node.untilReady();
    await load.stop();
    for (const node of nodes) await node.stop();
    // Final recovery: one node alone, everything still reserved is its to finish.
    nodes[0].start(cfgOf(0, 0));
    await nodes[0].untilReady();
    await nodes[0].stop();

    const knex = db.open();
    try {
      report = await walkLedger(knex, stats.acks, stats.started, APPID);
    } finally {
      await knex.destroy();
    }
    const unexpected = nodes.flatMap((n) => n.log.unexpectedExits);
    const broken = INVARIANTS.filter((k) => report![k] !== 0);
    failed = broken.length > 0 || unexpected.length > 0 || stats.refused.size > 0;
    print(report, stats, nodes, {
      db: db.kind,
      ...(db.kind === 'sqlite' ? { sqliteSynchronous: synchronous, sqliteWalSync: walSync, powerCut } : {}),
      seconds: Math.round((Date.now() - t0) / 1000),
      seed,
      issuers,
      cycles,
      signer: svs ? 'svs' : 'in-process',
    }, countRecoveries(dataDir));
    for (const u of unexpected) say(`UNEXPECTED EXIT: ${u}`);
    for (const [busNo, why] of [...stats.refused].slice(0, 5)) say(`REFUSED ${busNo}: ${why}`);
    for (const k of broken) say(`BROKEN ${k}: ${report.examples[k]?.join(' | ')}`);
    say(failed ? `campaign FAILED (data kept in ${dir})` : 'campaign passed: every acknowledged bill is in the ledger, every number accounted for');
    return failed ? 1 : 0;
  } finally {
    for (const n of nodes) if (n.proc) n.proc.child.kill('SIGKILL');
    if (!failed && !flag('keep')) {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** What start-up and scheduled recovery did, from the nodes' log files (warn lines; a kill may cut the last ones). */
function countRecoveries(dataDir: string): Record<string, number> {
  const out = { completed: 0, voided: 0, left: 0, finishedElsewhere: 0 };
  const logs = path.join(dataDir, 'logs');
  if (!existsSync(logs)) return out;
  for (const f of readdirSync(logs)) {
    for (const line of readFileSync(path.join(logs, f), 'utf8').split('\n')) {
      if (line.includes('"reservation completed by recovery"')) out.completed++;
      else if (line.includes('"reservation voided"') || line.includes('"answered reservation voided"')) out.voided++;
      else if (line.includes('"reservation left for a later recovery"')) out.left++;
      // per reservation only at info level; the start-up summary (warn) carries the count
      else if (line.includes('"reservations recovered at start-up"')) out.finishedElsewhere += Number(/"finishedElsewhere":(\d+)/.exec(line)?.[1] ?? 0);
    }
  }
  return out;
}

function print(r: LedgerReport, s: ReturnType<typeof startIssuers>['stats'], nodes: Node[], run: Record<string, unknown>, recovery: Record<string, number>): void {
  const kills = nodes.reduce((a, n) => a + n.log.kills, 0);
  const starting = nodes.reduce((a, n) => a + n.log.killedStarting, 0);
  const rows: [string, number, string][] = [
    ['acknowledged (busNos)', r.acknowledged, 'S0000 received by the HIS'],
    ['lost', r.lost, 'acknowledged, not in the ledger as acknowledged'],
    ['duplicate numbers', r.duplicates, 'one number, two rows'],
    ['gaps', r.gaps, 'number below next_no with no row'],
    ['numbers above next_no', r.aboveNext, 'the pointer went back'],
    ['double issues per busNo', r.doubleIssues, 'two bills for one busNo'],
    ['voided without reason', r.voidedNoReason, ''],
    ['reservations left', r.reserved, "still 'reserved' after the final recovery"],
    ['unfinished busNos', r.unfinished, 'started, never acknowledged'],
    ['refused busNos', s.refused.size, 'a "do not retry" answer to a valid request'],
  ];
  const starts = nodes.flatMap((n) => n.log.startMs).sort((a, b) => a - b);
  const startS = (q: number) => (starts.length ? (starts[Math.min(starts.length - 1, Math.floor(q * starts.length))] / 1000).toFixed(1) : '-');
  say('\n  ledger walk');
  for (const [name, v, why] of rows) say(`  ${name.padEnd(26)} ${String(v).padStart(8)}  ${why}`);
  say(
    `  (${r.issued} issued, ${r.voided} voided; ${kills} kills, ${starting} while starting; ${s.requests} requests, ${s.cutInFlight} cut in flight by a kill, ${s.refusedConnections} refused while down, ` +
      `other answers ${JSON.stringify(s.codes)}; acknowledged via query ${s.acks.filter((a) => a.via === 'query').length}; ` +
      `recovery completed ${recovery.completed}, voided ${recovery.voided}, finished elsewhere ${recovery.finishedElsewhere}; spawn to ready: median ${startS(0.5)} s, max ${startS(1)} s)\n`,
  );
  say(
    JSON.stringify({
      bench: 'crash-campaign',
      ...run,
      nodes: nodes.length,
      kills,
      killedStarting: starting,
      startSeconds: { median: Number(startS(0.5)), max: Number(startS(1)) },
      requests: s.requests,
      cutInFlight: s.cutInFlight,
      refusedConnections: s.refusedConnections,
      recovery,
      codes: s.codes,
      acknowledged: r.acknowledged,
      issued: r.issued,
      voided: r.voided,
      lost: r.lost,
      duplicateNumbers: r.duplicates,
      gaps: r.gaps,
      aboveNextNo: r.aboveNext,
      doubleIssues: r.doubleIssues,
      voidedWithoutReason: r.voidedNoReason,
      reservationsLeft: r.reserved,
      unfinished: r.unfinished,
      refused: s.refused.size,
    }),
  );
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`campaign failed to run: ${e.stack}\n`);
    process.exit(2);
  },
);
