// One Route object per configured route: the one place that knows every route type (add a new type here, beside
// its config schema and its route-<type>.ts file).
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/index.js';
import { RouteFile } from './route-file.js';
import { RouteMx } from './route-mx.js';
import { RouteSmtp } from './route-smtp.js';
import type { Route } from './route.js';

export interface RouteFactoryOptions {
  /** EHLO name of outbound SMTP connections. */
  clientName: string;
  /** Where routes report what is not an outcome (the mx route: MTA-STS testing mismatches, plain-text fallbacks). */
  logger?: Logger;
}

export function createRoute(name: string, config: RouteConfig, options: RouteFactoryOptions): Route {
  switch (config.type) {
    case 'file':
      return new RouteFile(name, config.path);
    case 'smtp':
      return new RouteSmtp(name, config, { clientName: options.clientName });
    case 'mx':
      return new RouteMx(name, config, { clientName: options.clientName, ...(options.logger ? { logger: options.logger } : {}) });
  }
}
