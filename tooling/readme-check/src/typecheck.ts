import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CodeBlock } from './extract.js';

/** A block as the module written for tsc: its own code after the code of the blocks it continues. */
export interface BlockModule {
  readonly block: CodeBlock;
  /** File name inside the scratch directory. */
  readonly fileName: string;
  /** Lines of earlier blocks put before this block's code (their errors are theirs). */
  readonly prefixLines: number;
}

export interface Diagnostic {
  /** 1-based line in the Markdown file. */
  readonly markdownLine: number;
  readonly code: string;
  readonly message: string;
}

/**
 * The compiler options of a user with a strict config: strict, exactOptionalPropertyTypes,
 * noUncheckedIndexedAccess, ESM on nodenext (so top-level await works).
 */
export const userCompilerOptions = {
  target: 'ES2022',
  lib: ['ES2023'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
} as const;

/** Writes each checked block as a module of `scratchDir` (a directory of an ESM package, so `@metro/*` resolve). */
export function writeModules(blocks: readonly CodeBlock[], scratchDir: string): BlockModule[] {
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  const modules: BlockModule[] = [];
  let previous: { file: string; code: string } | undefined;
  for (const block of blocks) {
    if (block.notChecked !== undefined) continue;
    const prefix = block.continues && previous?.file === block.file ? `${previous.code}\n` : '';
    const code = `${prefix}${block.code}`;
    const fileName = `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-L${block.line}.ts`;
    // `export {}` makes a block without imports a module too (top-level await, no global clashes).
    writeFileSync(join(scratchDir, fileName), `${code}\nexport {};\n`);
    modules.push({ block, fileName, prefixLines: prefix === '' ? 0 : prefix.split('\n').length - 1 });
    previous = { file: block.file, code };
  }
  writeFileSync(join(scratchDir, 'tsconfig.json'), JSON.stringify({ compilerOptions: userCompilerOptions, include: ['*.ts'] }, null, 2));
  return modules;
}

/** Runs tsc once over the scratch directory; returns each module's errors, mapped to Markdown lines. */
export function typecheck(modules: readonly BlockModule[], scratchDir: string): Map<string, Diagnostic[]> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(scratchDir, 'tsconfig.json'), '--pretty', 'false'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  const byFile = new Map(modules.map((m) => [m.fileName, m]));
  const result = new Map<string, Diagnostic[]>(modules.map((m) => [m.fileName, []]));
  let last: { list: Diagnostic[]; index: number } | undefined;
  const unattributed: string[] = [];
  for (const text of run.stdout.split('\n')) {
    const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(text);
    if (match) {
      const fileName = (match[1] ?? '').split(/[\\/]/).pop() ?? '';
      const module = byFile.get(fileName);
      const line = Number(match[2]);
      if (module === undefined) {
        unattributed.push(text);
        last = undefined;
        continue;
      }
      if (line <= module.prefixLines) {
        last = undefined; // an error of a continued block: reported by that block's own test
        continue;
      }
      const list = result.get(fileName) ?? [];
      list.push({ markdownLine: module.block.line + line - module.prefixLines, code: match[4] ?? '', message: match[5] ?? '' });
      result.set(fileName, list);
      last = { list, index: list.length - 1 };
    } else if (last !== undefined && /^\s+/.test(text)) {
      const previous = last.list[last.index];
      if (previous) last.list[last.index] = { ...previous, message: `${previous.message}\n${text.trimEnd()}` };
    } else if (text.trim() !== '') {
      unattributed.push(text);
    }
  }
  if (unattributed.length > 0) throw new Error(`tsc reported errors outside the README blocks:\n${unattributed.join('\n')}`);
  return result;
}

/** `file:line: TScode message`, one per line, for a failing test's message. */
export function formatDiagnostics(file: string, diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${file}:${d.markdownLine}: ${d.code} ${d.message}`).join('\n');
}
