// A configuration problem: one issue per wrong field, and the error that lists them all.

export interface ConfigIssue {
  /** JSON path of the offending field, e.g. "$.accounts[0].routes.main.port". */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid configuration ${source}:\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
