/**
 * The type that JSON data must have to be a value of type T, with TypeScript enums as their
 * values: a string enum (such as @grafana/schema's `FieldColorModeId`) becomes the union of its
 * strings, since JSON holds "thresholds", never `FieldColorModeId.Thresholds`. Numeric enums stay
 * (a number literal is assignable to them); everything else keeps its shape, optionality and
 * excess-property checks.
 */
export type JsonOf<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends readonly (infer E)[]
      ? JsonOf<E>[]
      : T extends object
        ? { [K in keyof T]: JsonOf<T[K]> }
        : T;

/**
 * The type a JSON import (`import data from './x.json' with { type: 'json' }`) must have to be a
 * value of type T. Such imports widen every string to `string` and every number to `number`, so
 * literal unions and enums widen too; the rest of the shape is checked (required keys, types of
 * known keys). The exact check is `JsonOf<T>` on a literal (see typecheck-literal.ts).
 */
export type ImportedJsonOf<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends null | undefined
        ? T
        : T extends readonly (infer E)[]
          ? ImportedJsonOf<E>[]
          : T extends object
            ? { [K in keyof T]: ImportedJsonOf<T[K]> }
            : T;
