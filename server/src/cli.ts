// The `gla` command-line tool: the same engine as the language server, headless.
import { commands } from './cli/commands';
import { CancelledError, UserError } from './errors';
import { printable, printableLines } from './cli/terminal-text';
import { VERSION } from './version';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: gla <command> [options]', '', 'commands:', ...lines, '', "Run 'gla <command> --help' for a command's options."].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UserError(`unknown command '${name}'. Run 'gla --help' for the list.`);
  // Words after `--` are data (texts to tokenize), never flags.
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      // Messages name the user's files: escaped, but their own line breaks kept.
      process.stderr.write(`${err.message.startsWith('gla') ? '' : 'gla: '}${printableLines(err.message)}\n`);
      process.exitCode = err.exitCode;
    } else if (err instanceof CancelledError) {
      process.stderr.write('gla: cancelled\n');
      process.exitCode = 130;
    } else {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      process.stderr.write(`gla: internal error: ${printable(msg)}\n`);
      if (process.env.GLA_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 70;
    }
  },
);
