import { expect, test } from 'vitest';
import { extractBlocks } from '../src/extract.js';
import { typecheck, writeModules } from '../src/typecheck.js';
import { fileURLToPath } from 'node:url';

const markdown = [
  '# Title', // 1
  '```ts', // 2
  "const a: number = 'x';", // 3
  '```', // 4
  '<!-- not-checked: a fragment -->', // 5
  '```typescript', // 6
  'nonsense here', // 7
  '```', // 8
  '```sh', // 9
  'pnpm add x', // 10
  '```', // 11
  '<!-- continues the previous block -->', // 12
  '', // 13
  '```ts', // 14
  'const b: string = a;', // 15
  '```', // 16
].join('\n');

test('extracts ts blocks with their line and markers', () => {
  const blocks = extractBlocks('X.md', markdown);
  expect(blocks.map((b) => ({ line: b.line, code: b.code, notChecked: b.notChecked, continues: b.continues }))).toEqual([
    { line: 2, code: "const a: number = 'x';", notChecked: undefined, continues: false },
    { line: 6, code: 'nonsense here', notChecked: 'a fragment', continues: false },
    { line: 14, code: 'const b: string = a;', notChecked: undefined, continues: true },
  ]);
});

test('errors point at the Markdown line, a continued block sees the earlier one and reports only its own errors', () => {
  const scratch = fileURLToPath(new URL('../.scratch-extract-test', import.meta.url));
  const modules = writeModules(extractBlocks('X.md', markdown), scratch);
  const result = typecheck(modules, scratch);
  const [first, third] = modules;
  expect(result.get(first?.fileName ?? '')?.map((d) => [d.markdownLine, d.code])).toEqual([[3, 'TS2322']]);
  expect(result.get(third?.fileName ?? '')?.map((d) => [d.markdownLine, d.code])).toEqual([[15, 'TS2322']]);
}, 60_000);
