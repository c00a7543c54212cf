import { readFileSync } from 'node:fs';

/** A fenced code block of a Markdown page. */
export interface DocBlock {
  /** The page, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the block's first code line (the line after the opening fence). */
  readonly line: number;
  /** The info string after the opening fence (`ts`, `ts fragment`, `sh`, ...). */
  readonly info: string;
  /** The code, with the fence's own indentation removed. */
  readonly code: string;
}

const FENCE = /^( *)(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of a Markdown page, in order. */
export function docBlocks(root: string, file: string): DocBlock[] {
  const lines = readFileSync(`${root}/${file}`, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const close = new RegExp(`^ *\\${fence[0]}{${fence.length},}\\s*$`);
    const dedent = new RegExp(`^ {0,${indent.length}}`);
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !close.test(lines[end])) body.push(lines[end++].replace(dedent, ''));
    blocks.push({ file, line: index + 2, info: info.trim(), code: body.join('\n') });
    index = end;
  }
  return blocks;
}
