/**
 * Dead exports: names a source file exports that no other file (source or test) imports. An
 * export is a promise to other modules; one nobody takes is either dead code or a name that should
 * be private to its file. Read with TypeScript's own checker, so re-exports through `mod.ts` faces
 * resolve to the declaration they name, and type-only imports count as uses.
 */
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { SOURCE_FOLDERS } from "./import-graph.js";

/** One unused export: the file that declares it and the name it is exported under. */
export interface DeadExport {
  readonly file: string;
  readonly name: string;
}

function programFor(root: string): ts.Program {
  const configPath = join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, resolve(root));
  return ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
}

/** The symbol a (possibly aliased) symbol finally names. */
function original(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * Every export of a file under the source folders of `root` that no other file imports, directly
 * or through a re-export that is itself imported. A namespace import (`import * as x`) or a
 * dynamic `import()` counts as using every export of its module.
 */
export function deadExports(root: string): DeadExport[] {
  const program = programFor(root);
  const checker = program.getTypeChecker();
  const rootDir = resolve(root);
  const own = (sf: ts.SourceFile) =>
    !sf.isDeclarationFile && !relative(rootDir, sf.fileName).startsWith("..");
  const inSource = (sf: ts.SourceFile) =>
    SOURCE_FOLDERS.includes(relative(rootDir, sf.fileName).split("/")[0]!);
  const used = new Set<ts.Symbol>();
  const useModule = (moduleSymbol: ts.Symbol | undefined) => {
    if (moduleSymbol === undefined) return;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) used.add(original(checker, exported));
  };
  const useName = (node: ts.Node) => {
    const symbol = checker.getSymbolAtLocation(node);
    if (symbol !== undefined) used.add(original(checker, symbol));
  };

  for (const sf of program.getSourceFiles()) {
    if (!own(sf)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && node.importClause !== undefined) {
        const clause = node.importClause;
        if (clause.name !== undefined) useName(clause.name);
        const bindings = clause.namedBindings;
        if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
          useModule(checker.getSymbolAtLocation(node.moduleSpecifier));
        } else if (bindings !== undefined) {
          for (const element of bindings.elements) useName(element.name);
        }
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [specifier] = node.arguments;
        if (specifier !== undefined) useModule(checker.getSymbolAtLocation(specifier));
      } else if (ts.isImportTypeNode(node)) {
        // `import("./x.js").Name` in a type position.
        if (node.qualifier !== undefined) useName(node.qualifier);
        else useModule(checker.getSymbolAtLocation(node.argument));
      } else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier !== undefined &&
        node.exportClause === undefined
      ) {
        // `export * from`: the face passes every name on; what is used is decided at the face.
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const dead: DeadExport[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!own(sf) || !inSource(sf)) continue;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) continue;
    const file = relative(rootDir, sf.fileName);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = original(checker, exported);
      // A re-export is judged where the name is declared: the face passes names on.
      const declaredHere = target.declarations?.some((d) => d.getSourceFile() === sf) ?? false;
      if (!declaredHere) continue;
      if (!used.has(target)) dead.push({ file, name: exported.getName() });
    }
  }
  return dead.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
}
