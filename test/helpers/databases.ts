/**
 * The databases a suite runs against: SQLite always; MariaDB/MySQL too when MEDBILL_TEST_MYSQL_URL is
 * set, each call getting a fresh database on that server, dropped afterwards. Also used by the crash
 * campaign (bench/campaign), which passes its own server URL.
 */
import path from 'node:path';
import knexFactory from 'knex';

export type DbKind = 'sqlite' | 'mysql';

/** The databases a store test should run against in this environment. */
export function dbKinds(): DbKind[] {
  return process.env.MEDBILL_TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
}

export interface TestDb {
  url: string;
  drop(): Promise<void>;
}

export async function freshDb(kind: DbKind, dir: string, base = process.env.MEDBILL_TEST_MYSQL_URL!): Promise<TestDb> {
  if (kind === 'sqlite') return { url: `sqlite:${path.join(dir, 'medbill.sqlite')}`, drop: async () => undefined };
  const name = `medbill_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = knexFactory({ client: 'mysql2', connection: base });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.destroy();
  const u = new URL(base);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    async drop() {
      const a = knexFactory({ client: 'mysql2', connection: base });
      await a.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.destroy();
    },
  };
}

