import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const HERE = dirname(fileURLToPath(import.meta.url));
const TSCONFIG = join(HERE, '..', '..', 'tsconfig.json');

export interface TypedLiteral {
  /** The TypeScript type the value must have, as written in the virtual file (for example `Dashboard`). */
  readonly type: string;
  /** The value: JSON data, written into the virtual file as an object literal. */
  readonly value: unknown;
  /** Names the value in diagnostics. */
  readonly label: string;
}

/**
 * Type-checks JSON data against TypeScript types by writing it as object literals into a virtual
 * file beside this one and running the compiler with the project's tsconfig. Unlike importing a
 * .json file (whose strings widen to `string` and which skips excess property checks), a literal
 * is checked exactly: string-literal unions, enums and unknown keys are all caught.
 * Returns one line per diagnostic, naming the literal it is in; empty when the data type-checks.
 */
export function typecheckLiterals(imports: readonly string[], literals: readonly TypedLiteral[]): readonly string[] {
  const fileName = join(HERE, '__typed_literals__.ts');
  const lines: string[] = [...imports];
  const starts: { readonly line: number; readonly label: string }[] = [];
  literals.forEach((literal, index) => {
    starts.push({ line: lines.length, label: literal.label });
    lines.push(...`export const literal${index}: ${literal.type} = ${JSON.stringify(literal.value, null, 1)};`.split('\n'));
  });
  const source = lines.join('\n') + '\n';

  const config = ts.readConfigFile(TSCONFIG, (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(TSCONFIG));
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, sourceMap: false };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    name === fileName ? ts.createSourceFile(name, source, languageVersion, true) : getSourceFile(name, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));

  const program = ts.createProgram([fileName], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    if (!d.file || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const owner = [...starts].reverse().find((s) => s.line <= line);
    const text = d.file.text.split('\n')[line]?.trim() ?? '';
    return `${owner ? `${owner.label}: ` : ''}${message}\n  at: ${text}`;
  });
}
