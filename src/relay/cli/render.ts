// `txrelay render TEMPLATE [--vars JSON | --vars-file FILE] [--autoescape | --no-autoescape] [--strict]`
// Output goes to stdout byte for byte. Exit 0 rendered, 1 template error, 2 bad usage or unreadable input.
import { readFileSync } from 'node:fs';
import { TemplateError } from '../template/errors.js';
import { compileTemplate } from '../template/template.js';
import { TemplateVariablesError, parseTemplateVariables } from '../template/variables.js';

const USAGE = 'usage: txrelay render TEMPLATE_FILE [--vars JSON | --vars-file FILE] [--autoescape | --no-autoescape] [--strict]\n';

class UsageError extends Error {}

interface RenderArguments {
  templateFile: string;
  varsText: string | null;
  varsFile: string | null;
  autoescape: boolean | null;
  strict: boolean;
}

function parseArguments(argv: string[]): RenderArguments {
  const out: RenderArguments = { templateFile: '', varsText: null, varsFile: null, autoescape: null, strict: false };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--vars') out.varsText = value();
    else if (a.startsWith('--vars=')) out.varsText = a.slice(7);
    else if (a === '--vars-file') out.varsFile = value();
    else if (a.startsWith('--vars-file=')) out.varsFile = a.slice(12);
    else if (a === '--autoescape') out.autoescape = true;
    else if (a === '--no-autoescape') out.autoescape = false;
    else if (a === '--strict') out.strict = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else files.push(a);
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'missing TEMPLATE_FILE' : `expected one TEMPLATE_FILE, got ${files.length}`);
  if (out.varsText !== null && out.varsFile !== null) throw new UsageError('use either --vars or --vars-file, not both');
  out.templateFile = files[0]!;
  return out;
}

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: RenderArguments;
  let source: string;
  let variables: Record<string, unknown> = {};
  try {
    args = parseArguments(argv);
    source = readInput(args.templateFile, 'template file');
    const varsText = args.varsFile !== null ? readInput(args.varsFile, 'variables file') : args.varsText;
    if (varsText !== null) variables = parseTemplateVariables(varsText);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TemplateVariablesError) {
      process.stderr.write(`txrelay render: ${e.message}\n${e instanceof UsageError ? USAGE : ''}`);
      return 2;
    }
    throw e;
  }
  const autoescape = args.autoescape ?? /\.html?$/i.test(args.templateFile);
  try {
    const template = compileTemplate(source, { autoescape, undefined: args.strict ? 'strict' : 'lenient', name: args.templateFile });
    const output = template.render(variables);
    await new Promise<void>((resolve, reject) => process.stdout.write(output, (err) => (err ? reject(err) : resolve())));
    return 0;
  } catch (e) {
    if (e instanceof TemplateError) {
      process.stderr.write(`txrelay render: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
