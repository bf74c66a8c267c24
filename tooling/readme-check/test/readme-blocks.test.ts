import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { extractAll, markdownFiles } from '../src/extract.js';
import { formatDiagnostics, typecheck, writeModules, type Diagnostic } from '../src/typecheck.js';

// Every ```ts block of every README (root, packages/*, apps/*) and docs/*.md, typechecked as a
// user's strict ESM project would (see README.md of this package for the markers).
const root = fileURLToPath(new URL('../../..', import.meta.url));
const scratchDir = fileURLToPath(new URL('../.scratch', import.meta.url));
const blocks = extractAll(root);
const modules = writeModules(blocks, scratchDir);
let diagnostics = new Map<string, Diagnostic[]>();

beforeAll(() => {
  diagnostics = typecheck(modules, scratchDir);
});

describe('README TypeScript blocks typecheck', () => {
  for (const block of blocks) {
    const name = `${block.file}:${block.line}`;
    // An opted-out block is no test (a skipped test would stay in every run); the markers' tests below hold it to a reason.
    if (block.notChecked !== undefined) continue;
    const module = modules.find((m) => m.block === block);
    test(name, () => {
      const errors = diagnostics.get(module?.fileName ?? '') ?? [];
      expect(formatDiagnostics(block.file, errors)).toBe('');
    });
  }
});

describe('README blocks markers', () => {
  test('every not-checked block says why', () => {
    const bare = blocks.filter((b) => b.notChecked === '').map((b) => `${b.file}:${b.line}`);
    expect(bare).toEqual([]);
  });

  test('a block that continues another follows a checked block of the same file', () => {
    const orphans = blocks
      .filter((b, i) => b.continues && !blocks.slice(0, i).some((p) => p.file === b.file && p.notChecked === undefined))
      .map((b) => `${b.file}:${b.line}`);
    expect(orphans).toEqual([]);
  });
});

describe('README PostgreSQL setup', () => {
  // A pg.Pool inside a bare PostgresDialect crashes the process when PostgreSQL drops a connection
  // a query holds; createPgDatabase (@metro/outbox-pg) guards the pool first.
  test.each(markdownFiles(root))('%s builds kysely on pg only with createPgDatabase', (file) => {
    const text = readFileSync(`${root}/${file}`, 'utf8');
    const offending = text
      .split('\n')
      .map((line, i) => ({ line, n: i + 1 }))
      .filter(({ line }) => /new PostgresDialect\s*\(/.test(line))
      .map(({ n, line }) => `${file}:${n}: ${line.trim()}`);
    expect(offending).toEqual([]);
  });
});
