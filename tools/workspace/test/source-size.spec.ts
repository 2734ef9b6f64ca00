// House rule: no TypeScript file over 600 lines, and no function in project source over 100
// lines, in any project. Long files and functions are split by responsibility before they get
// there (CONTRIBUTING.md "Size").
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '../../..');
const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 100;
const PROJECT_FOLDERS = ['apps', 'libs', 'tools'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage', 'generated', 'build', 'tmp']);

function typeScriptFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIPPED_FOLDERS.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) typeScriptFiles(path, out);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Test files (specs, helpers and fakes under test/) hold describe blocks that are long by nature. */
function isTestFile(path: string): boolean {
  const rel = relative(root, path).split('\\').join('/');
  return /\/test\//.test(rel) || /\.(spec|test)\.[cm]?ts$/.test(rel);
}

interface Finding {
  readonly file: string;
  readonly what: string;
  readonly lines: number;
}

function functionName(node: ts.Node): string {
  if (
    (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node)) &&
    node.name
  )
    return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (parent && ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '<anonymous>';
}

function longFunctions(path: string, text: string): Finding[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES)
        found.push({
          file: relative(root, path),
          what: `${functionName(node)} (line ${start + 1})`,
          lines,
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = PROJECT_FOLDERS.flatMap((folder) => typeScriptFiles(join(root, folder)));

describe('source size', () => {
  it('finds the TypeScript sources of every project', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it(`keeps every TypeScript file at or under ${MAX_FILE_LINES} lines`, () => {
    const tooLong = files
      .map((file) => ({
        file: relative(root, file),
        lines: readFileSync(file, 'utf8').split('\n').length,
      }))
      .filter((f) => f.lines > MAX_FILE_LINES);
    expect(tooLong).toEqual([]);
  });

  it(`keeps every function in project source at or under ${MAX_FUNCTION_LINES} lines`, () => {
    const tooLong = files
      .filter((file) => !isTestFile(file))
      .flatMap((file) => longFunctions(file, readFileSync(file, 'utf8')));
    expect(tooLong).toEqual([]);
  });
});
