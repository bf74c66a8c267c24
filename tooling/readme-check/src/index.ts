export { extractAll, extractBlocks, markdownFiles, type CodeBlock } from './extract.js';
export { formatDiagnostics, typecheck, userCompilerOptions, writeModules, type BlockModule, type Diagnostic } from './typecheck.js';
