/**
 * Compile-time agreement between a zod schema and the plain TypeScript type it checks. The
 * published types are written out (so the .d.ts files do not import zod, which users do not get:
 * it is bundled into the code); a schema's module asserts `Agree<z.output<typeof schema>, Type>`
 * so a field added, removed or retyped on one side and not the other fails the typecheck.
 */

/** Every field path of T (`run.samples`, ...), optional ones included. */
export type Paths<T> = T extends readonly (infer U)[]
  ? Paths<U>
  : T extends object
    ? { [K in keyof T & string]-?: K | `${K}.${Paths<Exclude<T[K], undefined>>}` }[keyof T & string]
    : never;

/** True when A and B are assignable both ways and have the same field paths. */
export type Agree<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [Paths<A>] extends [Paths<B>]
      ? [Paths<B>] extends [Paths<A>]
        ? true
        : false
      : false
    : false
  : false;
