// loadConfig: reads a configuration file, resolves its relative paths against its folder, and validates it.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import type { RelayConfig } from './schema.js';
import { validateConfig } from './validate.js';

/** Reads, parses and validates a configuration file; throws ConfigError listing every issue. */
export async function loadConfig(path: string): Promise<RelayConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(abs, [{ path: '$', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(abs, [{ path: '$', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const { config, errors } = validateConfig(json, dirname(abs));
  if (!config) throw new ConfigError(abs, errors);
  return config;
}
