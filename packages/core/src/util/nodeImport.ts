/**
 * Imports a Node built-in (`node:fs/promises`…) when called. The specifier
 * is a variable so that bundlers leave it alone: a browser bundle of the
 * core builds without Node's modules, and only fails if a Node-only
 * function (a file path load or save) is actually called there.
 */
export function nodeImport<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;
}

export type NodeFs = typeof import('node:fs/promises');
export type NodePath = typeof import('node:path');
export type NodeUrl = typeof import('node:url');

/**
 * Where the library's code was loaded from, as a file URL: `__filename` in
 * the CommonJS build, `import.meta.url` in the ESM build and in the source
 * (src/util, as deep as src/parallel and src/backends' own folders).
 */
export function libraryUrl(url: NodeUrl): URL {
  if (typeof __filename === 'string' && __filename) return url.pathToFileURL(__filename);
  return new URL(import.meta.url);
}
