// One Route object per configured route: the one place that knows every route type (add a new type here, beside
// its config schema and its route-<type>.ts file).
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/index.js';
import { RouteFile } from './route-file.js';
import { RouteMx } from './route-mx.js';
import { RouteSmtp } from './route-smtp.js';
import type { ReturnPathOf, ReturnPathSigner, Route } from './route.js';

export interface RouteFactoryOptions {
  /** EHLO name of outbound SMTP connections. */
  clientName: string;
  /** Where routes report what is not an outcome (the mx route: MTA-STS testing mismatches, plain-text fallbacks). */
  logger?: Logger;
  /** Signs the VERP envelope senders of routes with a `returnPath`; required when a route has one. */
  returnPathSigner?: ReturnPathSigner;
}

function returnPathOf(name: string, config: RouteConfig, signer: ReturnPathSigner | undefined): ReturnPathOf | null {
  const rp = config.returnPath;
  if (!rp) return null;
  if (!signer) throw new Error(`route ${name} has a returnPath but no VERP signer was given`);
  return (id, index) => signer.address(rp.domain, id, index);
}

export function createRoute(name: string, config: RouteConfig, options: RouteFactoryOptions): Route {
  const returnPath = returnPathOf(name, config, options.returnPathSigner);
  switch (config.type) {
    case 'file':
      return new RouteFile(name, config.path, { returnPath });
    case 'smtp':
      return new RouteSmtp(name, config, { clientName: options.clientName, returnPath });
    case 'mx':
      return new RouteMx(name, config, { clientName: options.clientName, returnPath, ...(options.logger ? { logger: options.logger } : {}) });
  }
}
