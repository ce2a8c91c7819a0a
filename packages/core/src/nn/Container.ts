import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { Module } from './Module';

/**
 * Torch's `nn.Container`: holds child modules in `modules` and passes their
 * tensors along without owning them.
 */
export abstract class Container extends Module {
  readonly modules: Module[] = [];
  protected override ownsBuffers = false;

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.add(m);
  }

  /** Appends a module (Torch's `:add`). */
  add(module: Module): this {
    module.parent = this;
    this.modules.push(module);
    return this;
  }

  /** The child at a 0-based index; negative counts from the end. */
  get(index: number): Module {
    const i = index < 0 ? this.modules.length + index : index;
    const m = this.modules[i];
    if (!m) throw new RangeError(`${this.path()}: no module at index ${index} (size ${this.modules.length})`);
    return m;
  }

  size(): number {
    return this.modules.length;
  }

  override children(): Module[] {
    return this.modules;
  }

  /** `{ type, children: [...] }`: the children are passed to the constructor. */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [], { children: this.modules.map((m) => m.toSpec()) });
  }
}
