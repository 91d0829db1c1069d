/**
 * Line numbers for YAML (and JSON) documents parsed with a LineCounter: the
 * manifest parser and the emulator's seed loader both report `file:line`.
 */
import type { LineCounter } from 'yaml';

/** 1-based line where a parsed node starts; 0 when it has no position (e.g. an empty document). */
export function lineOfNode(lines: LineCounter, node: { range?: [number, number, number] | null } | null | undefined): number {
  return node?.range ? lines.linePos(node.range[0]).line : 0;
}
