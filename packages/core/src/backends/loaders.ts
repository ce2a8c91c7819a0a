/**
 * How each backend name is brought up. wasm and cpu are dependencies and
 * always present; the others are optional packages the user installs, loaded
 * with dynamic `import()` and never listed as dependencies (each downloads a
 * native binary or needs a GPU).
 */
import { tf } from '../tf';

export const BACKEND_NAMES = ['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu', 'webgl', 'auto'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What to install for an optional backend, and why it is optional. */
interface Optional {
  /** The packages to `npm install`. */
  packages: string[];
  why: string;
  /** The name tfjs registers the backend under. */
  tfName: string;
  /** Only where this holds (e.g. browsers for webgl). */
  available?: () => string | null;
  /** Brings the packages in; they register the backend with tfjs. */
  load: (importer: Importer) => Promise<void>;
}

export type Importer = (specifier: string) => Promise<unknown>;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

// A non-literal specifier keeps bundlers (tsup, Vite) from resolving optional
// packages at build time; Node resolves them at run time from our location.
const nativeImport: Importer = (specifier) => import(/* @vite-ignore */ specifier);
let importer: Importer = nativeImport;

/** Tests: replace how optional packages are imported (null restores). */
export function setImporterForTests(fn: Importer | null): void {
  importer = fn ?? nativeImport;
}

export const OPTIONAL: Record<string, Optional> = {
  tensorflow: {
    packages: ['@tensorflow/tfjs-node'],
    why: 'the TensorFlow C library for Node (it downloads libtensorflow, ~100 MB, when installed); optional, so it is not a dependency',
    tfName: 'tensorflow',
    available: () => (isNode ? null : 'it runs in Node only'),
    load: async (imp) => {
      await imp('@tensorflow/tfjs-node');
    },
  },
  'tensorflow-gpu': {
    packages: ['@tensorflow/tfjs-node-gpu'],
    why: 'TensorFlow with CUDA for Node (it downloads libtensorflow-gpu and needs CUDA and cuDNN on Linux); optional, so it is not a dependency',
    tfName: 'tensorflow',
    available: () => (isNode ? null : 'it runs in Node only'),
    load: async (imp) => {
      await imp('@tensorflow/tfjs-node-gpu');
    },
  },
  webgpu: {
    packages: isNode ? ['@tensorflow/tfjs-backend-webgpu@4.22.0', 'webgpu'] : ['@tensorflow/tfjs-backend-webgpu@4.22.0'],
    why: isNode
      ? "the WebGPU backend, and in Node the 'webgpu' package (Dawn, a native binary) that provides navigator.gpu; optional, so they are not dependencies"
      : 'the WebGPU backend; optional, so it is not a dependency',
    tfName: 'webgpu',
    load: async (imp) => {
      const g = globalThis as { navigator?: { gpu?: unknown } };
      if (isNode && !g.navigator?.gpu) {
        const dawn = (await imp('webgpu')) as { create: (opts: string[]) => unknown; globals: object };
        Object.assign(globalThis, dawn.globals);
        const gpu = dawn.create([]);
        if (!g.navigator) {
          Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
        } else {
          Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
        }
      }
      await imp('@tensorflow/tfjs-backend-webgpu');
    },
  },
  webgl: {
    packages: ['@tensorflow/tfjs-backend-webgl@4.22.0'],
    why: 'the WebGL backend; optional, so it is not a dependency',
    tfName: 'webgl',
    available: () => (isNode ? "it needs a browser's WebGL; in Node use 'tensorflow', 'tensorflow-gpu' or 'webgpu'" : null),
    load: async (imp) => {
      await imp('@tensorflow/tfjs-backend-webgl');
    },
  },
};

/** A backend failed to load or start; `reason` is the underlying error. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly backend: string,
    readonly reason?: unknown,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Whether `e` says that `pkg` itself (not something inside it) cannot be found. */
function isMissingModule(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  const quoted = msg.includes(`'${pkg}'`) || msg.includes(`"${pkg}"`) || msg.includes(`url ${pkg} `);
  const notFound =
    err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to (resolve|load|fetch)/i.test(msg);
  return quoted && notFound;
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Loads an optional backend's packages, with an install hint if one is missing. */
export async function loadOptional(name: string): Promise<Optional> {
  const spec = OPTIONAL[name];
  const notHere = spec.available?.();
  if (notHere) throw new BackendError(`captcha-nn: backend '${name}' is not available here: ${notHere}.`, name);
  // A browser app bundles the backend package itself (a bare import() cannot resolve there): use what it registered.
  if (!isNode && tf.findBackendFactory(spec.tfName)) return spec;
  try {
    await spec.load(importer);
  } catch (e) {
    const missing = spec.packages.find((p) => isMissingModule(e, p.replace(/@[\d.]+$/, '')));
    if (missing) {
      throw new BackendError(
        `captcha-nn: backend '${name}' needs ${spec.packages.join(' and ')}, which ${spec.packages.length > 1 ? 'are' : 'is'} not installed. ` +
          `Run: npm install ${spec.packages.join(' ')}  (${spec.why}).`,
        name,
        e,
      );
    }
    throw new BackendError(`captcha-nn: backend '${name}' is installed but failed to load: ${reasonOf(e)}`, name, e);
  }
  return spec;
}

/**
 * tf.setBackend, but failing with the backend's own error: tfjs only logs why
 * a backend factory threw and resolves false.
 */
export async function startTfBackend(name: string, label = name): Promise<void> {
  const registry = (tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown }> }).registryFactory;
  const entry = registry[name];
  if (!entry) throw new BackendError(`captcha-nn: backend '${label}' loaded but did not register '${name}' with tfjs.`, label);
  let failure: unknown;
  const original = entry.factory;
  entry.factory = () => {
    try {
      const made = original();
      if (made instanceof Promise) {
        return made.catch((e: unknown) => {
          failure = e;
          throw e;
        });
      }
      return made;
    } catch (e) {
      failure = e;
      throw e;
    }
  };
  // tfjs switches its backend name before the new backend has started and
  // leaves it there if the start fails: go back to the previous one then.
  const previous = (tf.engine() as unknown as { backendName: string | null }).backendName;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    ok = false;
    failure ??= e;
  } finally {
    entry.factory = original;
  }
  if (!ok) {
    if (previous && previous !== name) await tf.setBackend(previous);
    throw new BackendError(
      `captcha-nn: backend '${label}' failed to start: ${failure === undefined ? 'tfjs gave no reason' : reasonOf(failure)}`,
      label,
      failure,
    );
  }
  await tf.ready();
}
