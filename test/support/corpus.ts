// The public test corpus kept in the repository (test/fixtures/corpus/, copied byte for byte; see its README and
// NOTICE), found from the compiled file: dist/test/support/ is three levels below the repository root.
import { fileURLToPath } from 'node:url';

export const CORPUS = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));
