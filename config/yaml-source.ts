import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/**
 * A YAML file read with the position of every node, for configuration that must name the line and
 * column of each mistake (the design spec, approval policies). Validators walk the nodes rather than
 * the plain value, so every value they complain about still knows where it came from.
 */
export interface Position {
  line: number;
  column: number;
}

/** A path into the document, shown as `entities.order.fields.customer.ref` or `access_patterns[2].sql`. */
export type YamlPath = readonly (string | number)[];

export interface YamlProblem extends Position {
  path: string;
  message: string;
}

export interface YamlEntry {
  key: string;
  keyNode: Node;
  /** null for `key:` with nothing after it. */
  value: Node | null;
}

export class YamlSource {
  readonly document: Document.Parsed;
  /** Syntax errors and duplicate keys: a file with any is not read further. */
  readonly syntaxErrors: YamlProblem[];
  private readonly lines = new LineCounter();

  constructor(readonly text: string) {
    this.document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    this.syntaxErrors = this.document.errors.map((error) => {
      const at = this.lines.linePos(error.pos[0]);
      // The parser's message repeats the position and a code frame; the first line says what is wrong.
      return {
        path: '',
        line: at.line,
        column: at.col,
        message: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      };
    });
  }

  /** The top-level node, or null for an empty file. */
  get root(): Node | null {
    return (this.document.contents as Node | null) ?? null;
  }

  /** Where a node starts (1-based); the file's start when there is no node (a missing top-level key). */
  positionOf(node: Node | null | undefined): Position {
    if (!node?.range) return { line: 1, column: 1 };
    const at = this.lines.linePos(node.range[0]);
    return { line: at.line, column: at.col };
  }

  /** A problem at a node, its path printed the way people write it. */
  problem(path: YamlPath, node: Node | null | undefined, message: string): YamlProblem {
    return { path: pathText(path), ...this.positionOf(node), message };
  }
}

export function pathText(path: YamlPath): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}

export function isYamlMap(node: Node | null | undefined): node is YAMLMap<Node, Node | null> {
  return isMap(node);
}

export function isYamlSeq(node: Node | null | undefined): node is YAMLSeq<Node> {
  return isSeq(node);
}

/** A map's entries in file order, keys as strings (`1: x` gives key "1"). */
export function entries(map: YAMLMap<Node, Node | null>): YamlEntry[] {
  return map.items.map((pair) => ({
    key: isScalar(pair.key) ? String(pair.key.value) : String(pair.key),
    keyNode: pair.key,
    value: pair.value ?? null,
  }));
}

/** The plain value of a scalar node; undefined for maps, sequences and missing nodes. */
export function scalarValue(node: Node | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}
