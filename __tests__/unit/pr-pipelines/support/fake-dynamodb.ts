import {
  ConditionalCheckFailedException,
  type AttributeValue,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from "@aws-sdk/client-dynamodb";

/**
 * An in-memory table that evaluates the UpdateItem expressions the state
 * store sends (SET / ADD / REMOVE; comparisons, AND, OR, NOT, parentheses,
 * attribute_exists / attribute_not_exists), with DynamoDB's strictness about
 * unused expression names and values, and the stored item in a refusal asked
 * for with ReturnValuesOnConditionCheckFailure. Enough to test conditional
 * writes without a network.
 */
type Item = Record<string, AttributeValue>;

type Token = { kind: "name" | "value" | "word" | "op" | "paren" | "comma"; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|=|<|>)|([()])|(,))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (match === null) throw new Error(`ValidationException: cannot parse expression at "${expression.slice(index)}"`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: "name", text: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: "value", text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: "word", text: match[3] });
    else if (match[4] !== undefined) tokens.push({ kind: "op", text: match[4] });
    else if (match[5] !== undefined) tokens.push({ kind: "paren", text: match[5] });
    else tokens.push({ kind: "comma", text: "," });
  }
  return tokens;
}

class Context {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  constructor(
    readonly names: Record<string, string>,
    readonly values: Record<string, AttributeValue>,
  ) {}

  attribute(token: Token): string {
    if (token.kind === "word") return token.text;
    if (token.kind !== "name") throw new Error(`ValidationException: expected an attribute, got "${token.text}"`);
    const name = this.names[token.text];
    if (name === undefined) throw new Error(`ValidationException: undefined attribute name ${token.text}`);
    this.usedNames.add(token.text);
    return name;
  }

  value(token: Token): AttributeValue {
    const value = this.values[token.text];
    if (value === undefined) throw new Error(`ValidationException: undefined attribute value ${token.text}`);
    this.usedValues.add(token.text);
    return value;
  }
}

function compare(left: AttributeValue | undefined, op: string, right: AttributeValue | undefined): boolean {
  if (left === undefined || right === undefined) return false;
  let a: number | string;
  let b: number | string;
  if (left.N !== undefined && right.N !== undefined) [a, b] = [Number(left.N), Number(right.N)];
  else if (left.S !== undefined && right.S !== undefined) [a, b] = [left.S, right.S];
  else return op === "<>";
  switch (op) {
    case "=":
      return a === b;
    case "<>":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      throw new Error(`ValidationException: operator ${op}`);
  }
}

/** Recursive descent over a condition expression. */
class ConditionParser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly context: Context,
    private readonly item: Item | undefined,
  ) {}

  parse(): boolean {
    const result = this.or();
    if (this.position !== this.tokens.length) throw new Error("ValidationException: trailing tokens in condition");
    return result;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(): Token {
    const token = this.tokens[this.position++];
    if (token === undefined) throw new Error("ValidationException: unexpected end of condition");
    return token;
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token?.kind === "word" && token.text.toUpperCase() === word;
  }

  private or(): boolean {
    let result = this.and();
    while (this.isWord("OR")) {
      this.take();
      const right = this.and();
      result = result || right;
    }
    return result;
  }

  private and(): boolean {
    let result = this.not();
    while (this.isWord("AND")) {
      this.take();
      const right = this.not();
      result = result && right;
    }
    return result;
  }

  private not(): boolean {
    if (this.isWord("NOT")) {
      this.take();
      return !this.not();
    }
    return this.primary();
  }

  private operand(): AttributeValue | undefined {
    const token = this.take();
    if (token.kind === "value") return this.context.value(token);
    // Resolved even without an item: DynamoDB counts a name as used wherever it appears.
    const attribute = this.context.attribute(token);
    return this.item?.[attribute];
  }

  private primary(): boolean {
    const token = this.peek();
    if (token?.kind === "paren" && token.text === "(") {
      this.take();
      const result = this.or();
      if (this.take().text !== ")") throw new Error("ValidationException: missing )");
      return result;
    }
    if (token?.kind === "word" && /^attribute_(not_)?exists$/.test(token.text)) {
      this.take();
      this.take();
      const attribute = this.context.attribute(this.take());
      this.take();
      const exists = this.item?.[attribute] !== undefined;
      return token.text === "attribute_exists" ? exists : !exists;
    }
    const left = this.operand();
    const op = this.take();
    if (op.kind !== "op") throw new Error(`ValidationException: expected a comparator, got "${op.text}"`);
    return compare(left, op.text, this.operand());
  }
}

function applyUpdate(expression: string, context: Context, item: Item): void {
  const clauses = expression
    .split(/\b(SET|ADD|REMOVE)\b/)
    .map((part) => part.trim())
    .filter((part) => part !== "");
  for (let index = 0; index < clauses.length; index += 2) {
    const keyword = clauses[index];
    const body = tokenize(clauses[index + 1] ?? "").filter((token) => token.kind !== "comma");
    if (keyword === "SET") {
      for (let at = 0; at < body.length; at += 3) {
        if (body[at + 1]?.text !== "=") throw new Error("ValidationException: SET needs name = value");
        item[context.attribute(body[at] as Token)] = context.value(body[at + 2] as Token);
      }
    } else if (keyword === "ADD") {
      for (let at = 0; at < body.length; at += 2) {
        const attribute = context.attribute(body[at] as Token);
        const value = context.value(body[at + 1] as Token);
        if (value.SS === undefined) throw new Error("fake: ADD supports string sets only");
        const current = item[attribute]?.SS ?? [];
        item[attribute] = { SS: [...new Set([...current, ...value.SS])] };
      }
    } else if (keyword === "REMOVE") {
      for (const token of body) delete item[context.attribute(token)];
    } else {
      throw new Error(`ValidationException: unknown clause ${keyword}`);
    }
  }
}

export class FakeDynamoTable {
  readonly items = new Map<string, Item>();

  /** `keyAttribute`: the table's partition key, a string. */
  constructor(
    readonly tableName: string,
    readonly keyAttribute = "pk",
  ) {}

  get(pk: string): Item | undefined {
    return this.items.get(pk);
  }

  updateItem(input: UpdateItemCommandInput): UpdateItemCommandOutput {
    if (input.TableName !== this.tableName) throw new Error(`ResourceNotFoundException: table ${input.TableName}`);
    const pk = input.Key?.[this.keyAttribute]?.S;
    if (pk === undefined) throw new Error(`ValidationException: the key needs ${this.keyAttribute} (S)`);
    const context = new Context(input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {});
    const old = this.items.get(pk);
    const item: Item = structuredClone(old ?? { [this.keyAttribute]: { S: pk } });
    const allowed = input.ConditionExpression === undefined ? true : new ConditionParser(tokenize(input.ConditionExpression), context, old).parse();
    applyUpdate(input.UpdateExpression ?? "", context, item);
    const unusedNames = Object.keys(context.names).filter((name) => !context.usedNames.has(name));
    const unusedValues = Object.keys(context.values).filter((value) => !context.usedValues.has(value));
    if (unusedNames.length > 0 || unusedValues.length > 0) {
      throw new Error(`ValidationException: unused in expressions: ${[...unusedNames, ...unusedValues].join(", ")}`);
    }
    if (!allowed) {
      // As DynamoDB: the refusing item comes back only when asked for, and only if there is one.
      const returned = input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" && old !== undefined ? { Item: structuredClone(old) } : {};
      throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, ...returned });
    }
    this.items.set(pk, item);
    return { $metadata: {}, ...(input.ReturnValues === "ALL_OLD" && old !== undefined ? { Attributes: structuredClone(old) } : {}) };
  }
}
