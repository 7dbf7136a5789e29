/**
 * YAML files with source positions, so every lint error points at file:line:col (style-anchors §8).
 * Flow and mapping files are plain data: anchors, aliases, tags and multiple documents are refused.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument, visit } from 'yaml';

export interface Loc {
  file: string;
  line: number;
  col: number;
}

export class LintError extends Error {
  constructor(
    readonly loc: Loc,
    readonly code: string,
    readonly where: string,
    readonly detail: string,
    readonly hint?: string,
  ) {
    super(`${loc.file}:${loc.line}:${loc.col}  error  ${code}  ${where ? where + ': ' : ''}${detail}${hint ? ' — ' + hint : ''}`);
  }
}

export interface YamlSource {
  file: string;
  data: unknown;
  /** Position of the node at `path` (or of its key when `key` is true); falls back to the nearest parent. */
  loc(path: (string | number)[], key?: boolean): Loc;
  /** Offset-based position of a scalar's value start, for positions inside expressions. */
  scalarStart(path: (string | number)[]): { offset: number; block: boolean } | undefined;
  pos(offset: number): Loc;
}

export function loadYamlSource(file: string, text = readFileSync(file, 'utf8')): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): Loc => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new LintError(pos(e.pos[0]), 'YAML_SYNTAX', '', e.message.split('\n')[0]);
  }
  visit(doc, {
    Alias(_, n) {
      throw new LintError(pos(n.range?.[0] ?? 0), 'YAML_ALIAS', '', 'anchors and aliases are not allowed in flow and mapping files', 'write the value out');
    },
    Node(_, n) {
      if ((n as Node).tag) throw new LintError(pos((n as Node).range?.[0] ?? 0), 'YAML_TAG', '', `tag ${(n as Node).tag} is not allowed`);
      if ((n as Node & { anchor?: string }).anchor)
        throw new LintError(pos((n as Node).range?.[0] ?? 0), 'YAML_ALIAS', '', 'anchors are not allowed in flow and mapping files');
    },
  });
  const nodeAt = (path: (string | number)[], key: boolean): Node | undefined => {
    let cur: unknown = doc.contents;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(cur)) {
        const pair = cur.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) return cur as Node;
        if (key && i === path.length - 1) return pair.key as Node;
        cur = pair.value;
      } else if (isSeq(cur) && typeof seg === 'number') {
        const next = cur.items[seg];
        if (!next) return cur as Node;
        cur = next;
      } else return cur as Node;
    }
    return cur as Node;
  };
  return {
    file,
    data: doc.toJS(),
    loc(path, key = false) {
      const n = nodeAt(path, key);
      return pos(n?.range?.[0] ?? 0);
    },
    scalarStart(path) {
      const n = nodeAt(path, false);
      if (!n || !isScalar(n) || !n.range) return undefined;
      const block = n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED';
      const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE';
      return { offset: n.range[0] + (quoted ? 1 : 0), block };
    },
    pos,
  };
}
