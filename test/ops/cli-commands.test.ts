/**
 * The CLI loads only the module of the command it runs (src/cli/commands.ts): the list's names must be
 * what each module registers, or a command would be unknown, or run with another module's options.
 */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMANDS, registerCommands } from '../../src/cli/commands';

const names = (p: Command) => p.commands.map((c) => c.name());

describe('medbill commands load lazily (src/cli/commands.ts)', () => {
  it('each line names exactly the top-level commands its module registers, and no name is on two lines', async () => {
    for (const c of COMMANDS) {
      const p = new Command();
      (await c.load())(p);
      assert.deepEqual(names(p), [...c.names], `line ${c.names.join(', ')}`);
    }
    const all = COMMANDS.flatMap((c) => c.names);
    assert.equal(new Set(all).size, all.length);
  });

  it('a command registers its own module only, --version none; help and an unknown name register every command', async () => {
    const only = new Command();
    await registerCommands(only, ['trace', '--msg-id', 'x']);
    assert.deepEqual(names(only), ['trace']);
    const version = new Command();
    await registerCommands(version, ['--version']);
    assert.deepEqual(names(version), []);
    const all = COMMANDS.flatMap((c) => c.names);
    for (const args of [[], ['--help'], ['help', 'dlq'], ['dql', 'list']]) {
      const p = new Command();
      await registerCommands(p, args);
      assert.deepEqual(names(p), all, args.join(' '));
    }
  });
});
