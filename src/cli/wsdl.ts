import path from 'node:path';
import type { Command } from 'commander';
import { writeOrCheck } from './generated-file';
import { generateWsdl } from '../../adapters/his/soap/wsdl-gen';
import { generateMessageWsdl, MESSAGE_SERVICE } from '../../adapters/his/soap/message-service';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';

/** `medbill wsdl`: regenerates wsdl/EBillService.wsdl from the catalogue and wsdl/HisMessageService.wsdl (HL7, hospital XML); commit the result. */
export function registerWsdl(program: Command): void {
  program
    .command('wsdl')
    .description('generate wsdl/EBillService.wsdl from config/catalogue and wsdl/HisMessageService.wsdl (commit the result; a test fails when it is stale)')
    .option('--out <file>', 'write EBillService here instead of wsdl/EBillService.wsdl (HisMessageService is then not written)')
    .option('--check', 'only compare: exit 1 when the file differs from a fresh generation')
    .action((opts: { out?: string; check?: boolean }) => {
      const cfg = loadConfig();
      const xml = generateWsdl(loadCatalogue(path.join(cfg.projectRoot, 'config', 'catalogue')));
      const file = opts.out ?? path.join(cfg.projectRoot, 'wsdl', 'EBillService.wsdl');
      writeOrCheck(file, xml, opts.check, 'medbill wsdl');
      if (!opts.out) writeOrCheck(path.join(cfg.projectRoot, 'wsdl', `${MESSAGE_SERVICE}.wsdl`), generateMessageWsdl(), opts.check, 'medbill wsdl');
    });
}
