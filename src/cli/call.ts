/**
 * `medbill call <serviceId> [file]`: a Bosssoft client for humans — signs the business JSON (a file,
 * or stdin, or --data) with the caller's key, posts it, checks the response sign and prints the result.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildResponse, md5Sign } from '../../adapters/his/json/envelope';
import { loadConfig } from '../config';

export function registerCall(program: Command): void {
  program
    .command('call <serviceId> [file]')
    .description('call a service like a HIS would: sign the business JSON, post the envelope, verify and decode the answer')
    .option('--data <json>', 'business JSON inline instead of a file')
    .option('--url <base>', 'medbill base URL', '')
    .option('--appid <appid>', 'caller appid (default: the first configured caller)')
    .option('--key <key>', 'caller key (default: from config)')
    .option('--set <pairs...>', 'override top-level fields, e.g. --set busNo=MZ1 totalAmt=12.00')
    .option('--raw', 'print the raw response envelope too')
    .action(async (serviceId: string, file: string | undefined, o: { data?: string; url: string; appid?: string; key?: string; set?: string[]; raw?: boolean }) => {
      const cfg = loadConfig();
      const caller = cfg.callers.find((c) => c.appid === (o.appid ?? cfg.callers[0]?.appid));
      const appid = o.appid ?? caller?.appid ?? '';
      const key = o.key ?? caller?.key ?? '';
      const text = o.data ?? (file ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8'));
      const business = JSON.parse(text) as Record<string, unknown>;
      for (const pair of o.set ?? []) {
        const i = pair.indexOf('=');
        business[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const data = Buffer.from(JSON.stringify(business), 'utf8').toString('base64');
      const noise = crypto.randomUUID();
      const base = o.url || `http://127.0.0.1:${cfg.server.port}`;
      const res = await fetch(`${base}/${cfg.server.servicePath}/api/medical/${serviceId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid, data, noise, version: '1.0', sign: md5Sign(appid, data, noise, key) }),
      });
      const env = (await res.json()) as ReturnType<typeof buildResponse>;
      if (o.raw) process.stdout.write(JSON.stringify(env) + '\n');
      const signOk = env.sign === md5Sign(appid, env.data, env.noise, key);
      const inner = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string; message: string };
      const message = Buffer.from(inner.message, 'base64').toString('utf8');
      let shown = message;
      try {
        shown = JSON.stringify(JSON.parse(message), (k, v) => (k === 'billQRCode' && typeof v === 'string' ? `<PNG, ${v.length} Base64 chars>` : v), 2);
      } catch {
        /* a plain text message */
      }
      process.stdout.write(`result: ${inner.result}   response sign: ${signOk ? 'ok' : 'MISMATCH'}\n${shown}\n`);
      if (inner.result !== 'S0000') process.exitCode = 2;
    });
}
