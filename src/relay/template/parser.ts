// Recursive-descent parser following Jinja2's grammar and operator precedence.
import type { BinaryOperator, CallArgs, CompareOperator, Expr, FilterCall, MacroParam, Position, Stmt, Target } from './ast.js';
import { TemplateError } from './errors.js';
import type { Token } from './lexer.js';
import { makeFloat } from './values.js';

/** Tags of full Jinja2 that this subset refuses with a clear message instead of "unknown tag". */
const UNSUPPORTED_TAGS: Record<string, string> = {
  include: 'templates are single documents',
  extends: 'templates are single documents',
  import: 'templates are single documents',
  from: 'templates are single documents',
  call: 'call blocks (caller) are not available',
};

const CONSTANTS: Record<string, unknown> = { true: true, false: false, none: null, True: true, False: false, None: null };

export interface ParserSettings {
  name: string;
  maxNestingDepth: number;
}

export function parse(tokens: Token[], settings: ParserSettings): Stmt[] {
  return new Parser(tokens, settings).parseTemplate();
}

class Parser {
  private i = 0;
  private depth = 0;
  private loopDepth = 0;
  private readonly blockNames = new Set<string>();

  constructor(
    private readonly tokens: Token[],
    private readonly settings: ParserSettings,
  ) {}

  private get current(): Token {
    return this.tokens[this.i]!;
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }
  private pos(t: Token = this.current): Position {
    return { line: t.line, column: t.column };
  }

  private fail(reason: string, t: Token = this.current): never {
    throw new TemplateError('syntax', reason, t.line, t.column, this.settings.name);
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'end of template';
      case 'variable_end':
        return "end of print statement '}}'";
      case 'block_end':
        return "end of statement block '%}'";
      case 'string':
        return 'string';
      default:
        return `'${t.value}'`;
    }
  }

  private isOp(value: string, t: Token = this.current): boolean {
    return t.type === 'operator' && t.value === value;
  }
  private isName(value: string, t: Token = this.current): boolean {
    return t.type === 'name' && t.value === value;
  }
  private expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected '${value}', got ${this.describe(this.current)}`);
    return this.next();
  }
  private expectName(): Token {
    if (this.current.type !== 'name') this.fail(`expected a name, got ${this.describe(this.current)}`);
    return this.next();
  }
  private expectKeyword(value: string): void {
    if (!this.isName(value)) this.fail(`expected '${value}', got ${this.describe(this.current)}`);
    this.next();
  }
  private expectBlockEnd(): void {
    if (this.current.type !== 'block_end') this.fail(`expected end of statement block, got ${this.describe(this.current)}`);
    this.next();
  }

  private enter(): void {
    if (++this.depth > this.settings.maxNestingDepth) {
      const t = this.current;
      throw new TemplateError('limit', `maxNestingDepth exceeded: template nests deeper than ${this.settings.maxNestingDepth} levels`, t.line, t.column, this.settings.name);
    }
  }
  private leave(): void {
    this.depth--;
  }

  // ---- statements ------------------------------------------------------------------------------

  parseTemplate(): Stmt[] {
    const { body, end } = this.parseBody([]);
    if (end !== null) this.fail(`unexpected '${end}'`);
    return body;
  }

  /** Parses statements until one of `endTags` (consumed, returned) or the end of the template. */
  private parseBody(endTags: string[]): { body: Stmt[]; end: string | null } {
    const body: Stmt[] = [];
    for (;;) {
      const t = this.current;
      if (t.type === 'eof') {
        if (endTags.length > 0) this.fail(`unexpected end of template, expected ${endTags.map((e) => `'${e}'`).join(' or ')}`);
        return { body, end: null };
      }
      if (t.type === 'data') {
        body.push({ type: 'data', text: t.value, ...this.pos(t) });
        this.next();
        continue;
      }
      if (t.type === 'variable_begin') {
        this.next();
        const expr = this.parseTuple(true);
        if (this.current.type !== 'variable_end') this.fail(`expected end of print statement, got ${this.describe(this.current)}`);
        this.next();
        body.push({ type: 'output', expr, ...this.pos(t) });
        continue;
      }
      // block_begin
      this.next();
      const tag = this.current;
      if (tag.type !== 'name') this.fail(`expected a statement name, got ${this.describe(tag)}`);
      if (endTags.includes(tag.value)) {
        this.next();
        return { body, end: tag.value };
      }
      this.enter();
      body.push(this.parseStatement(tag));
      this.leave();
    }
  }

  private parseStatement(tag: Token): Stmt {
    const at = this.pos(tag);
    const name = tag.value;
    const reason = UNSUPPORTED_TAGS[name];
    if (reason !== undefined) this.fail(`'${name}' is not supported: ${reason}`, tag);
    this.next();
    switch (name) {
      case 'if':
        return this.parseIf(at);
      case 'for':
        return this.parseFor(at);
      case 'set':
        return this.parseSet(at);
      case 'filter': {
        const filters = this.parseFilterChain(true);
        this.expectBlockEnd();
        const { body } = this.parseBody(['endfilter']);
        this.expectBlockEnd();
        return { type: 'filterblock', filters, body, ...at };
      }
      case 'macro':
        return this.parseMacro(at);
      case 'with':
        return this.parseWith(at);
      case 'do': {
        const expr = this.parseTuple(true);
        this.expectBlockEnd();
        return { type: 'do', expr, ...at };
      }
      case 'autoescape':
        return this.parseAutoescape(at);
      case 'block':
        return this.parseBlock(at);
      case 'break':
      case 'continue':
        if (this.loopDepth === 0) this.fail(`'${name}' is only allowed inside a for loop`, tag);
        this.expectBlockEnd();
        return { type: name, ...at };
      default:
        if (name.startsWith('end') || name === 'elif' || name === 'else') this.fail(`unexpected '${name}': no open block expects it here`, tag);
        return this.fail(`unknown tag '${name}'`, tag);
    }
  }

  private parseIf(at: Position): Stmt {
    const test = this.parseTuple(false);
    this.expectBlockEnd();
    const { body, end } = this.parseBody(['elif', 'else', 'endif']);
    let otherwise: Stmt[] = [];
    if (end === 'elif') {
      otherwise = [this.parseIf(this.pos(this.tokens[this.i - 1]))];
      return { type: 'if', test, body, otherwise, ...at };
    }
    if (end === 'else') {
      this.expectBlockEnd();
      otherwise = this.parseBody(['endif']).body;
    }
    this.expectBlockEnd();
    return { type: 'if', test, body, otherwise, ...at };
  }

  private parseFor(at: Position): Stmt {
    const target = this.parseAssignTarget(false, ['in']);
    this.expectKeyword('in');
    const iter = this.parseTuple(false, false, ['recursive', 'if']);
    let condition: Expr | null = null;
    if (this.isName('if')) {
      this.next();
      condition = this.parseExpression(true);
    }
    if (this.isName('recursive')) this.fail("recursive loops are not supported");
    this.expectBlockEnd();
    this.loopDepth++;
    const first = this.parseBody(['endfor', 'else']);
    this.loopDepth--;
    let otherwise: Stmt[] = [];
    if (first.end === 'else') {
      this.expectBlockEnd();
      otherwise = this.parseBody(['endfor']).body;
    }
    this.expectBlockEnd();
    return { type: 'for', target, iter, condition, body: first.body, otherwise, recursive: false, ...at };
  }

  private parseSet(at: Position): Stmt {
    const target = this.parseAssignTarget(true, []);
    if (this.isOp('=')) {
      this.next();
      const value = this.parseTuple(true);
      this.expectBlockEnd();
      return { type: 'set', target, value, ...at };
    }
    const filters = this.isOp('|') ? this.parseFilterChain(false) : [];
    this.expectBlockEnd();
    const { body } = this.parseBody(['endset']);
    this.expectBlockEnd();
    return { type: 'setblock', target, filters, body, ...at };
  }

  private parseMacro(at: Position): Stmt {
    const name = this.expectName().value;
    this.expectOp('(');
    const params: MacroParam[] = [];
    while (!this.isOp(')')) {
      if (params.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      const p = this.expectName();
      if (params.some((q) => q.name === p.value)) this.fail(`duplicate argument '${p.value}' in macro '${name}'`, p);
      let def: Expr | null = null;
      if (this.isOp('=')) {
        this.next();
        def = this.parseExpression(true);
      } else if (params.length > 0 && params[params.length - 1]!.default !== null) {
        this.fail('non-default argument follows default argument', p);
      }
      params.push({ name: p.value, default: def });
    }
    this.next();
    this.expectBlockEnd();
    const outerLoop = this.loopDepth;
    this.loopDepth = 0;
    const { body } = this.parseBody(['endmacro']);
    this.loopDepth = outerLoop;
    if (this.current.type === 'name' && this.current.value === name) this.next();
    this.expectBlockEnd();
    return { type: 'macro', name, params, body, ...at };
  }

  /** `{% autoescape true %}`: only a constant is accepted, so escaping is decided at compile time. */
  private parseAutoescape(at: Position): Stmt {
    const t = this.current;
    const expr = this.parseExpression(true);
    if (expr.type !== 'const') this.fail('autoescape needs a constant (true, false or a string)', t);
    const v = expr.value;
    const enabled = typeof v === 'string' ? v.length > 0 : v !== null && v !== false && v !== 0;
    this.expectBlockEnd();
    const { body } = this.parseBody(['endautoescape']);
    this.expectBlockEnd();
    return { type: 'autoescape', enabled, body, ...at };
  }

  /** `{% block name %}`: without inheritance a block renders where it stands, as in Jinja2. */
  private parseBlock(at: Position): Stmt {
    const nameTok = this.expectName();
    const name = nameTok.value;
    if (this.blockNames.has(name)) this.fail(`block '${name}' defined twice`, nameTok);
    this.blockNames.add(name);
    let scoped = false;
    let required = false;
    while (this.current.type === 'name') {
      const mod = this.next();
      if (mod.value === 'scoped') scoped = true;
      else if (mod.value === 'required') required = true;
      else this.fail(`unexpected '${mod.value}' in block tag`, mod);
    }
    this.expectBlockEnd();
    const outerLoop = this.loopDepth;
    this.loopDepth = 0;
    const { body } = this.parseBody(['endblock']);
    this.loopDepth = outerLoop;
    if (this.peek(0).type === 'name') {
      const end = this.next();
      if (end.value !== name) this.fail(`mismatched block name: '${end.value}' closes '${name}'`, end);
    }
    this.expectBlockEnd();
    return { type: 'block', name, scoped, required, body, ...at };
  }

  private parseWith(at: Position): Stmt {
    const assignments: { target: Target; value: Expr }[] = [];
    while (this.current.type !== 'block_end') {
      if (assignments.length > 0) this.expectOp(',');
      const target = this.parseAssignTarget(false, []);
      this.expectOp('=');
      assignments.push({ target, value: this.parseExpression(true) });
    }
    this.next();
    const { body } = this.parseBody(['endwith']);
    this.expectBlockEnd();
    return { type: 'with', assignments, body, ...at };
  }

  private parseAssignTarget(allowNamespace: boolean, endNames: string[]): Target {
    const start = this.current;
    if (allowNamespace && start.type === 'name' && this.isOp('.', this.peek())) {
      this.next();
      this.next();
      const attr = this.expectName();
      return { type: 'nsattr', name: start.value, attr: attr.value, ...this.pos(start) };
    }
    const items: Target[] = [];
    let isTuple = false;
    const paren = this.isOp('(');
    if (paren) this.next();
    for (;;) {
      if (paren && this.isOp(')')) break;
      if (!paren && (this.current.type === 'block_end' || this.isOp('=') || this.isOp('|') || endNames.some((n) => this.isName(n)))) break;
      if (this.isOp('(')) items.push(this.parseAssignTarget(false, endNames));
      else {
        const t = this.expectName();
        if (t.value in CONSTANTS) this.fail(`cannot assign to '${t.value}'`, t);
        items.push({ type: 'name', name: t.value, ...this.pos(t) });
      }
      if (!this.isOp(',')) break;
      this.next();
      isTuple = true;
    }
    if (paren) {
      this.expectOp(')');
      isTuple = true;
    }
    if (items.length === 0) this.fail(`expected a name to assign to, got ${this.describe(this.current)}`);
    return isTuple ? { type: 'tuple', items, ...this.pos(start) } : items[0]!;
  }

  /** `|f(args)|g` after `{% filter %}` or `{% set x %}`; the operand comes at run time. */
  private parseFilterChain(startInline: boolean): FilterCall[] {
    const out: FilterCall[] = [];
    let first = startInline;
    while (first || this.isOp('|')) {
      if (!first) this.next();
      first = false;
      out.push(this.parseFilterCall());
    }
    return out;
  }

  private parseFilterCall(): FilterCall {
    const t = this.expectName();
    let name = t.value;
    while (this.isOp('.')) {
      this.next();
      name += '.' + this.expectName().value;
    }
    const args = this.isOp('(') ? this.parseCallArgs() : { args: [], kwargs: [] };
    return { name, ...args, ...this.pos(t) };
  }

  // ---- expressions -----------------------------------------------------------------------------

  /** Comma-separated expressions; a comma (or empty parens) makes a tuple. */
  private parseTuple(withCondExpr: boolean, explicitParens = false, extraEnd: string[] = []): Expr {
    const start = this.current;
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length > 0) this.expectOp(',');
      if (this.isTupleEnd(extraEnd)) break;
      items.push(withCondExpr ? this.parseExpression(true) : this.parseOr());
      if (this.isOp(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length > 0) return items[0]!;
      if (!explicitParens) this.fail(`expected an expression, got ${this.describe(this.current)}`);
    }
    return { type: 'tuple', items, ...this.pos(start) };
  }

  private isTupleEnd(extraEnd: string[]): boolean {
    const t = this.current;
    if (t.type === 'variable_end' || t.type === 'block_end' || t.type === 'eof' || this.isOp(')')) return true;
    return t.type === 'name' && extraEnd.includes(t.value);
  }

  private parseExpression(withCondExpr: boolean): Expr {
    this.enter();
    try {
      return withCondExpr ? this.parseCondExpr() : this.parseOr();
    } finally {
      this.leave();
    }
  }

  private parseCondExpr(): Expr {
    const start = this.current;
    let expr = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      let otherwise: Expr | null = null;
      if (this.isName('else')) {
        this.next();
        otherwise = this.parseCondExpr();
      }
      expr = { type: 'condexpr', test, then: expr, otherwise, ...this.pos(start) };
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const t = this.next();
      left = { type: 'or', left, right: this.parseAnd(), ...this.pos(t) };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const t = this.next();
      left = { type: 'and', left, right: this.parseNot(), ...this.pos(t) };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const t = this.next();
      this.enter();
      const operand = this.parseNot();
      this.leave();
      return { type: 'not', operand, ...this.pos(t) };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const start = this.current;
    const first = this.parseMath1();
    const rest: { op: CompareOperator; expr: Expr }[] = [];
    for (;;) {
      const t = this.current;
      let op: CompareOperator;
      if (t.type === 'operator' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) op = t.value as CompareOperator;
      else if (this.isName('in')) op = 'in';
      else if (this.isName('not') && this.isName('in', this.peek())) {
        this.next();
        op = 'notin';
      } else break;
      this.next();
      rest.push({ op, expr: this.parseMath1() });
    }
    return rest.length === 0 ? first : { type: 'compare', first, rest, ...this.pos(start) };
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { type: 'binary', op: t.value as BinaryOperator, left, right: this.parseConcat(), ...this.pos(t) };
    }
    return left;
  }

  private parseConcat(): Expr {
    const start = this.current;
    const items = [this.parseMath2()];
    while (this.isOp('~')) {
      this.next();
      items.push(this.parseMath2());
    }
    return items.length === 1 ? items[0]! : { type: 'concat', items, ...this.pos(start) };
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      left = { type: 'binary', op: t.value as BinaryOperator, left, right: this.parsePow(), ...this.pos(t) };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary(true);
    while (this.isOp('**')) {
      const t = this.next();
      left = { type: 'binary', op: '**', left, right: this.parseUnary(true), ...this.pos(t) };
    }
    return left;
  }

  private parseUnary(withFilter: boolean): Expr {
    const t = this.current;
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      this.next();
      this.enter();
      const operand = this.parseUnary(false);
      this.leave();
      node = { type: t.value === '-' ? 'neg' : 'pos', operand, ...this.pos(t) };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const t = this.current;
    const at = this.pos(t);
    switch (t.type) {
      case 'name':
        this.next();
        if (Object.prototype.hasOwnProperty.call(CONSTANTS, t.value)) return { type: 'const', value: CONSTANTS[t.value], ...at };
        return { type: 'name', name: t.value, ...at };
      case 'string': {
        let value = this.next().value;
        while (this.current.type === 'string') value += this.next().value;
        return { type: 'const', value, ...at };
      }
      case 'integer':
        this.next();
        return { type: 'const', value: Number(t.value), ...at };
      case 'float':
        this.next();
        return { type: 'const', value: makeFloat(Number(t.value)), ...at };
      case 'operator':
        if (t.value === '(') {
          this.next();
          this.enter();
          const inner = this.parseTuple(true, true);
          this.leave();
          this.expectOp(')');
          return inner;
        }
        if (t.value === '[') return this.parseList();
        if (t.value === '{') return this.parseDict();
        break;
      default:
        break;
    }
    return this.fail(`unexpected ${this.describe(t)}`);
  }

  private parseList(): Expr {
    const at = this.pos(this.expectOp('['));
    this.enter();
    const items: Expr[] = [];
    while (!this.isOp(']')) {
      if (items.length > 0) this.expectOp(',');
      if (this.isOp(']')) break;
      items.push(this.parseExpression(true));
    }
    this.leave();
    this.next();
    return { type: 'list', items, ...at };
  }

  private parseDict(): Expr {
    const at = this.pos(this.expectOp('{'));
    this.enter();
    const pairs: { key: Expr; value: Expr }[] = [];
    while (!this.isOp('}')) {
      if (pairs.length > 0) this.expectOp(',');
      if (this.isOp('}')) break;
      const key = this.parseExpression(true);
      this.expectOp(':');
      pairs.push({ key, value: this.parseExpression(true) });
    }
    this.leave();
    this.next();
    return { type: 'dict', pairs, ...at };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const t = this.current;
      if (this.isOp('.')) {
        this.next();
        const attr = this.current;
        if (attr.type === 'name') {
          this.next();
          node = { type: 'getattr', object: node, attr: attr.value, ...this.pos(t) };
        } else if (attr.type === 'integer') {
          this.next();
          node = { type: 'getitem', object: node, key: { type: 'const', value: Number(attr.value), ...this.pos(attr) }, ...this.pos(t) };
        } else this.fail(`expected an attribute name after '.', got ${this.describe(attr)}`, attr);
      } else if (this.isOp('[')) {
        this.next();
        this.enter();
        const keys: Expr[] = [];
        let isTuple = false;
        while (!this.isOp(']')) {
          if (keys.length > 0) {
            this.expectOp(',');
            isTuple = true;
          }
          if (this.isOp(']')) break;
          keys.push(this.parseSubscribed());
        }
        this.leave();
        this.next();
        if (keys.length === 0) this.fail('expected a subscript', t);
        const key: Expr = keys.length === 1 && !isTuple ? keys[0]! : { type: 'tuple', items: keys, ...this.pos(t) };
        node = { type: 'getitem', object: node, key, ...this.pos(t) };
      } else if (this.isOp('(')) {
        node = { type: 'call', callee: node, ...this.parseCallArgs(), ...this.pos(t) };
      } else return node;
    }
  }

  private parseSubscribed(): Expr {
    const at = this.pos();
    const parts: (Expr | null)[] = [];
    if (!this.isOp(':')) {
      const e = this.parseExpression(true);
      if (!this.isOp(':')) return e;
      parts.push(e);
    } else parts.push(null);
    this.next();
    parts.push(this.isOp(']') || this.isOp(',') || this.isOp(':') ? null : this.parseExpression(true));
    if (this.isOp(':')) {
      this.next();
      parts.push(this.isOp(']') || this.isOp(',') ? null : this.parseExpression(true));
    } else parts.push(null);
    return { type: 'slice', start: parts[0]!, stop: parts[1]!, step: parts[2]!, ...at };
  }

  private parseCallArgs(): CallArgs {
    const open = this.expectOp('(');
    this.enter();
    const args: Expr[] = [];
    const kwargs: { name: string; value: Expr }[] = [];
    while (!this.isOp(')')) {
      if (args.length + kwargs.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      if (this.isOp('*') || this.isOp('**')) this.fail('argument unpacking (*args, **kwargs) is not supported');
      if (this.current.type === 'name' && this.isOp('=', this.peek())) {
        const name = this.next().value;
        this.next();
        if (kwargs.some((k) => k.name === name)) this.fail(`keyword argument '${name}' repeated`);
        kwargs.push({ name, value: this.parseExpression(true) });
      } else {
        if (kwargs.length > 0) this.fail('positional argument follows keyword argument');
        args.push(this.parseExpression(true));
      }
    }
    this.leave();
    if (!this.isOp(')')) this.fail("expected ')'", open);
    this.next();
    return { args, kwargs };
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const f = this.parseFilterCall();
        node = { type: 'filter', operand: node, ...f };
      } else if (this.isName('is')) {
        node = this.parseTest(node);
      } else if (this.isOp('(')) {
        const t = this.current;
        node = { type: 'call', callee: node, ...this.parseCallArgs(), ...this.pos(t) };
      } else return node;
    }
  }

  private parseTest(operand: Expr): Expr {
    const isTok = this.next();
    let negated = false;
    if (this.isName('not')) {
      this.next();
      negated = true;
    }
    const nameTok = this.expectName();
    let name = nameTok.value;
    while (this.isOp('.')) {
      this.next();
      name += '.' + this.expectName().value;
    }
    let call: CallArgs = { args: [], kwargs: [] };
    const t = this.current;
    if (this.isOp('(')) call = this.parseCallArgs();
    else if (
      (t.type === 'name' || t.type === 'string' || t.type === 'integer' || t.type === 'float' || this.isOp('[') || this.isOp('{')) &&
      !(this.isName('else') || this.isName('or') || this.isName('and'))
    ) {
      if (this.isName('is')) this.fail('you cannot chain multiple tests with is');
      const arg = this.parsePostfix(this.parsePrimary());
      call = { args: [arg], kwargs: [] };
    }
    return { type: 'test', operand, name, negated, ...call, ...this.pos(isTok) };
  }
}
