#!/usr/bin/env node
// txrelay command line: `txrelay [--config FILE] [--data DIR] [--ports LIST] [--admin-port N]` runs the relay; subcommands below.
const commands: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  run: () => import('./relay/main.js'),
  inspect: () => import('./relay/cli/inspect.js'),
  render: () => import('./relay/cli/render.js'),
  'parse-report': () => import('./relay/cli/parse-report.js'),
  'check-config': () => import('./relay/cli/check-config.js'),
  keygen: () => import('./relay/cli/keygen.js'),
  'dkim-keygen': () => import('./relay/cli/dkim-keygen.js'),
  'dkim-check': () => import('./relay/cli/dkim-check.js'),
};

async function cli(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(
      'usage:\n' +
        '  txrelay [--config relay.json] [--data DIR]   run the relay (embedded default without --config)\n' +
        '          [--ports 2525,8025] [--admin-port N]  the embedded default\'s SMTP and admin ports (0 = any free port)\n' +
        '  txrelay check-config relay.json               validate a configuration (every problem at once)\n' +
        '  txrelay keygen                                print a new API key and the hash for the configuration\n' +
        '  txrelay keygen --webhook                      print a new webhook signing secret (whsec_...)\n' +
        '  txrelay inspect [FILE|-]                      show what the relay keeps from a message\n' +
        '  txrelay parse-report [FILE|-]                 one JSON line per recipient of a bounce, complaint or auto-reply\n' +
        '  txrelay dkim-keygen --domain D --selector S [--algorithm rsa-sha256|ed25519-sha256] [--out FILE]\n' +
        '                                                write a DKIM key (0600) and print the DNS record to publish\n' +
        '  txrelay dkim-check --domain D --selector S --key FILE [--dns-server ADDR:PORT]\n' +
        '                                                say whether the published record matches the key\n' +
        '  txrelay render TEMPLATE [--vars JSON | --vars-file FILE] [--autoescape | --no-autoescape] [--strict]\n',
    );
    return 0;
  }
  const name = first !== undefined && commands[first] ? first : 'run';
  const rest = name === first ? argv.slice(1) : argv;
  const mod = await commands[name]!();
  return mod.main(rest);
}

// A reader that stops early (`txrelay parse-report f | head -1`) closes the pipe: stop quietly, as Unix tools do,
// instead of a stack trace from the unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

cli(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`txrelay: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
