/**
 * A reader for the block-style YAML subset AppSpec files are written in:
 * nested mappings, sequences ("- item", "- key: value"), plain, single- and
 * double-quoted scalars, and comments. Scalars stay strings (the AppSpec
 * schema decides what they mean). Anchors, tags, block scalars (| >) and
 * multi-line flow collections are refused with a YamlSubsetError rather than
 * misread. Written here because the hooks bundle no YAML library, and
 * CloudFormation itself sends JSON, which traffic-hook-appspec.ts reads first.
 */

export class YamlSubsetError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`YAML line ${line}: ${problem}`);
    this.name = "YamlSubsetError";
  }
}

interface Line {
  /** 1-based, for messages. */
  number: number;
  indent: number;
  text: string;
}

type Parsed = [value: unknown, next: number];

const ENTRY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-?:,[\]{}][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+(.*))?$/;

/** Removes a comment: a # at the start or after whitespace, outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === "\\" && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      // Only a quote that starts a scalar opens one; an apostrophe inside a word does not.
      if (i === 0 || /[\s:\-[{,]/.test(text[i - 1] ?? "")) quote = char;
    } else if (char === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function tokenize(source: string): Line[] {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    const number = index + 1;
    const indentation = /^[ \t]*/.exec(raw)?.[0] ?? "";
    if (indentation.includes("\t") && raw.trim() !== "") throw new YamlSubsetError(number, "tabs are not allowed in indentation");
    const text = stripComment(raw.slice(indentation.length));
    if (text === "" || text === "---" || text === "...") return;
    if (text.startsWith("%")) throw new YamlSubsetError(number, "directives are not supported");
    lines.push({ number, indent: indentation.length, text });
  });
  return lines;
}

const isSequenceItem = (text: string): boolean => text === "-" || text.startsWith("- ");

function scalar(value: string, line: number): unknown {
  const first = value[0];
  if (first === '"') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new YamlSubsetError(line, `unterminated or unsupported double-quoted string ${value}`);
    }
  }
  if (first === "'") {
    if (value.length < 2 || !value.endsWith("'")) throw new YamlSubsetError(line, `unterminated single-quoted string ${value}`);
    return value.slice(1, -1).replace(/''/g, "'");
  }
  if (first === "{" || first === "[") {
    // One-line flow collections that are also JSON are read; others are refused.
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new YamlSubsetError(line, `flow collection ${value} is not supported; write it in block style or write the whole AppSpec as JSON`);
    }
  }
  if (first === "|" || first === ">") throw new YamlSubsetError(line, "block scalars (| and >) are not supported");
  if (first === "&" || first === "*" || first === "!") throw new YamlSubsetError(line, "anchors, aliases and tags are not supported");
  if (value === "~" || value === "null") return null;
  return value;
}

function key(raw: string, line: number): string {
  const value = scalar(raw, line);
  if (typeof value !== "string") throw new YamlSubsetError(line, `key ${raw} is not a string`);
  return value;
}

function parseBlock(lines: Line[], index: number, indent: number): Parsed {
  const line = lines[index] as Line;
  return isSequenceItem(line.text) ? parseSequence(lines, index, indent) : parseMapping(lines, index, indent);
}

/** A block nested under a key or item, or null when nothing is nested. */
function parseNested(lines: Line[], index: number, parentIndent: number, sequenceMayAlign: boolean): Parsed {
  const next = lines[index];
  if (next && (next.indent > parentIndent || (sequenceMayAlign && next.indent === parentIndent && isSequenceItem(next.text)))) {
    return parseBlock(lines, index, next.indent);
  }
  return [null, index];
}

function parseSequence(lines: Line[], start: number, indent: number): Parsed {
  const items: unknown[] = [];
  let index = start;
  for (let line = lines[index]; line && line.indent === indent && isSequenceItem(line.text); line = lines[index]) {
    const rest = line.text.slice(1).trimStart();
    if (rest === "") {
      const [value, next] = parseNested(lines, index + 1, indent, false);
      items.push(value);
      index = next;
    } else if (isSequenceItem(rest) || ENTRY.test(rest)) {
      // "- key: value" opens a mapping (or "- - x" a sequence) at the column after the dash.
      const column = indent + (line.text.length - rest.length);
      lines[index] = { number: line.number, indent: column, text: rest };
      const [value, next] = parseBlock(lines, index, column);
      items.push(value);
      index = next;
    } else {
      items.push(scalar(rest, line.number));
      index += 1;
    }
  }
  return [items, index];
}

function parseMapping(lines: Line[], start: number, indent: number): Parsed {
  const map: Record<string, unknown> = {};
  let index = start;
  for (let line = lines[index]; line && line.indent === indent && !isSequenceItem(line.text); line = lines[index]) {
    const match = ENTRY.exec(line.text);
    if (!match) throw new YamlSubsetError(line.number, `expected "key: value", found ${JSON.stringify(line.text)}`);
    const name = key(match[1] as string, line.number);
    if (Object.prototype.hasOwnProperty.call(map, name)) throw new YamlSubsetError(line.number, `duplicate key ${JSON.stringify(name)}`);
    const value = match[2]?.trim() ?? "";
    if (value !== "") {
      map[name] = scalar(value, line.number);
      index += 1;
    } else {
      // YAML lets a sequence under a key start at the key's own column.
      const [nested, next] = parseNested(lines, index + 1, indent, true);
      map[name] = nested;
      index = next;
    }
  }
  return [map, index];
}

/** Parses a YAML document of the subset described above. */
export function parseYamlSubset(source: string): unknown {
  const lines = tokenize(source);
  const first = lines[0];
  if (!first) throw new YamlSubsetError(1, "the document is empty");
  if (!isSequenceItem(first.text) && !ENTRY.test(first.text)) return scalar(first.text, first.number);
  const [value, next] = parseBlock(lines, 0, first.indent);
  const stray = lines[next];
  if (stray) throw new YamlSubsetError(stray.number, `unexpected indentation or content: ${JSON.stringify(stray.text)}`);
  return value;
}
