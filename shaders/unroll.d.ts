/** f(0) … f(n−1) joined with newlines: n unrolled lines (or blocks). */
export declare function each(n: number, f: (k: number) => string): string;
/** f(0) … f(n−1) joined with ', ': an unrolled argument list (vec4f(…) components, array elements). */
export declare function list(n: number, f: (k: number) => string): string;
