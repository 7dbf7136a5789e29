/**
 * YAML files with source positions, so every lint error points at file:line:col.
 * Flow and mapping files are plain data: anchors, aliases, tags and multiple documents are refused.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument, visit } from 'yaml';
import { Loc, Problems } from './lint';

export type { Loc };

export interface YamlSource {
  file: string;
  data: unknown;
  /** Position of the node at `path` (or of its key when `key` is true); falls back to the nearest parent. */
  loc(path: (string | number)[], key?: boolean): Loc;
  /** Offset-based position of a scalar's value start, for positions inside expressions. */
  scalarStart(path: (string | number)[]): { offset: number; block: boolean } | undefined;
  pos(offset: number): Loc;
}

/**
 * Parses a definition file, adding every YAML problem to `problems`. Returns undefined when the file
 * cannot be read as data at all (syntax errors); aliases and tags are reported and the data still returned.
 */
export function loadYamlSource(file: string, problems: Problems, text = readFileSync(file, 'utf8')): YamlSource | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): Loc => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const dup = /^Map keys must be unique/.test(e.message);
      if (dup) problems.add(pos(e.pos[0]), 'YAML_DUPLICATE_KEY', '', { key: text.slice(e.pos[0], e.pos[1]).trim() });
      else problems.add(pos(e.pos[0]), 'YAML_SYNTAX', '', { detail: e.message.split('\n')[0] });
    }
    return undefined;
  }
  visit(doc, {
    Alias(_, n) {
      problems.add(pos(n.range?.[0] ?? 0), 'YAML_ALIAS', '', {});
    },
    Node(_, n) {
      if ((n as Node).tag) problems.add(pos((n as Node).range?.[0] ?? 0), 'YAML_TAG', '', { tag: String((n as Node).tag) });
      if ((n as Node & { anchor?: string }).anchor) problems.add(pos((n as Node).range?.[0] ?? 0), 'YAML_ALIAS', '', {});
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
