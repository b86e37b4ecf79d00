// The syntax tree the parser builds and compile.ts turns into closures.

export interface Position {
  line: number;
  column: number;
}

export interface CallArgs {
  args: Expr[];
  kwargs: { name: string; value: Expr }[];
}

export type Expr =
  | ({ type: 'const'; value: unknown } & Position)
  | ({ type: 'name'; name: string } & Position)
  | ({ type: 'list'; items: Expr[] } & Position)
  | ({ type: 'tuple'; items: Expr[] } & Position)
  | ({ type: 'dict'; pairs: { key: Expr; value: Expr }[] } & Position)
  | ({ type: 'getattr'; object: Expr; attr: string } & Position)
  | ({ type: 'getitem'; object: Expr; key: Expr } & Position)
  | ({ type: 'slice'; start: Expr | null; stop: Expr | null; step: Expr | null } & Position)
  | ({ type: 'binary'; op: BinaryOperator; left: Expr; right: Expr } & Position)
  | ({ type: 'concat'; items: Expr[] } & Position)
  | ({ type: 'compare'; first: Expr; rest: { op: CompareOperator; expr: Expr }[] } & Position)
  | ({ type: 'and' | 'or'; left: Expr; right: Expr } & Position)
  | ({ type: 'not' | 'neg' | 'pos'; operand: Expr } & Position)
  | ({ type: 'condexpr'; test: Expr; then: Expr; otherwise: Expr | null } & Position)
  | ({ type: 'filter'; operand: Expr; name: string } & CallArgs & Position)
  | ({ type: 'test'; operand: Expr; name: string; negated: boolean } & CallArgs & Position)
  | ({ type: 'call'; callee: Expr } & CallArgs & Position);

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**';
export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

/** Where `for` and `set` store values: one name or a tuple of names (unpacking), or `ns.attr`. */
export type Target =
  | ({ type: 'name'; name: string } & Position)
  | ({ type: 'tuple'; items: Target[] } & Position)
  | ({ type: 'nsattr'; name: string; attr: string } & Position);

/** A filter applied by a `{% filter %}` block or `{% set x | f %}`: operand supplied at run time. */
export type FilterCall = { name: string } & CallArgs & Position;

export interface MacroParam {
  name: string;
  default: Expr | null;
}

export type Stmt =
  | ({ type: 'data'; text: string } & Position)
  | ({ type: 'output'; expr: Expr } & Position)
  | ({ type: 'if'; test: Expr; body: Stmt[]; otherwise: Stmt[] } & Position)
  | ({ type: 'for'; target: Target; iter: Expr; condition: Expr | null; body: Stmt[]; otherwise: Stmt[]; recursive: boolean } & Position)
  | ({ type: 'set'; target: Target; value: Expr } & Position)
  | ({ type: 'setblock'; target: Target; filters: FilterCall[]; body: Stmt[] } & Position)
  | ({ type: 'filterblock'; filters: FilterCall[]; body: Stmt[] } & Position)
  | ({ type: 'macro'; name: string; params: MacroParam[]; body: Stmt[] } & Position)
  | ({ type: 'with'; assignments: { target: Target; value: Expr }[]; body: Stmt[] } & Position)
  | ({ type: 'do'; expr: Expr } & Position)
  | ({ type: 'autoescape'; enabled: boolean; body: Stmt[] } & Position)
  | ({ type: 'block'; name: string; scoped: boolean; required: boolean; body: Stmt[] } & Position)
  | ({ type: 'break' | 'continue' } & Position);
