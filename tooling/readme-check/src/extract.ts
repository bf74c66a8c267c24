import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One ```ts / ```typescript block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root (`packages/core/README.md`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The block's code (without the fences). */
  readonly code: string;
  /** Set when a `<!-- not-checked: reason -->` comment precedes the block. */
  readonly notChecked: string | undefined;
  /** Set when a `<!-- continues the previous block -->` comment precedes it: it is checked after the previous checked block of the file. */
  readonly continues: boolean;
}

const FENCE = /^(\s*)```\s*([A-Za-z0-9_-]*)(.*)$/;
const NOT_CHECKED = /^<!--\s*not-checked:\s*(.*?)\s*-->$/;
const CONTINUES = /^<!--\s*continues the previous block\s*-->$/;
const TYPESCRIPT = new Set(['ts', 'typescript', 'tsx']);

/** The Markdown files whose code users copy: the root README, every package's and app's README, docs/*.md. */
export function markdownFiles(root: string): string[] {
  const files: string[] = [];
  if (existsSync(join(root, 'README.md'))) files.push('README.md');
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (existsSync(join(dir, name, 'README.md'))) files.push(`${group}/${name}/README.md`);
    }
  }
  const docs = join(root, 'docs');
  if (existsSync(docs)) {
    for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(`docs/${name}`);
  }
  return files;
}

/** Every TypeScript block of one Markdown text, with the marker that precedes it, if any. */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const language = (open[2] ?? '').toLowerCase();
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++;
    if (TYPESCRIPT.has(language)) {
      const marker = previousNonBlank(lines, i);
      const notChecked = marker === undefined ? undefined : NOT_CHECKED.exec(marker)?.[1];
      blocks.push({
        file,
        line: i + 1,
        code: lines
          .slice(i + 1, end)
          .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
          .join('\n'),
        notChecked,
        continues: marker !== undefined && CONTINUES.test(marker),
      });
    }
    i = end;
  }
  return blocks;
}

function previousNonBlank(lines: readonly string[], index: number): string | undefined {
  for (let j = index - 1; j >= 0; j--) {
    const text = (lines[j] ?? '').trim();
    if (text !== '') return text;
  }
  return undefined;
}

/** Every TypeScript block of every Markdown file of the repository at `root`. */
export function extractAll(root: string): CodeBlock[] {
  return markdownFiles(root).flatMap((file) => extractBlocks(file, readFileSync(join(root, file), 'utf8')));
}
