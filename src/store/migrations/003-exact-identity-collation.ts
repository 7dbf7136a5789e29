import type { Knex } from 'knex';

/**
 * Identity columns compare exactly on MySQL/MariaDB, as they do on SQLite.
 *
 * knex creates MySQL tables with the connection charset (utf8mb4) and so with its default collation,
 * utf8mb4_general_ci, whatever the database's default: case-insensitive and PAD SPACE. busNo "mz001"
 * then collided with "MZ001" and "SP " with "SP" — a new settlement was refused with E2001, and
 * getEBillByBusNo answered another busNo's bill — while SQLite told them apart. Placed codes matched
 * stock case-insensitively too. A binary NO PAD collation makes both stores agree byte for byte.
 */
const COLUMNS: Record<string, { name: string; length: number; notNull?: boolean }[]> = {
  bills: [
    { name: 'appid', length: 64 },
    { name: 'bus_no', length: 64 },
    { name: 'place_code', length: 50 },
  ],
  stock_ranges: [{ name: 'place_code', length: 50, notNull: true }],
  messages: [
    { name: 'appid', length: 64 },
    { name: 'bus_no', length: 64 },
  ],
  outbox: [{ name: 'bus_no', length: 64 }],
};

export const isMysql = (knex: Knex): boolean => /mysql/.test(String((knex.client as { config?: { client?: unknown } }).config?.client));

/** The exact collation this server has: MariaDB's NO PAD binary, MySQL 8's, else plain binary (PAD SPACE). */
export async function exactCollation(knex: Knex): Promise<string> {
  const prefer = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'];
  const [rows] = (await knex.raw('SELECT collation_name AS c FROM information_schema.collations WHERE collation_name IN (?, ?, ?)', prefer)) as [{ c: string }[]];
  const have = new Set(rows.map((r) => r.c));
  return prefer.find((c) => have.has(c)) ?? 'utf8mb4_bin';
}

async function setCollation(knex: Knex, collation: string): Promise<void> {
  for (const [table, cols] of Object.entries(COLUMNS)) {
    const mods = cols.map((c) => `MODIFY \`${c.name}\` VARCHAR(${c.length}) CHARACTER SET utf8mb4 COLLATE ${collation} ${c.notNull ? 'NOT NULL' : 'NULL'}`);
    await knex.raw(`ALTER TABLE \`${table}\` ${mods.join(', ')}`);
  }
}

export async function up(knex: Knex): Promise<void> {
  if (isMysql(knex)) await setCollation(knex, await exactCollation(knex));
}

export async function down(knex: Knex): Promise<void> {
  if (isMysql(knex)) await setCollation(knex, 'utf8mb4_general_ci');
}
