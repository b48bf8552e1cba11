import type { AnyComponentType } from '../component/component-type.js';
import type { AnyTaskType } from '../task/task-type.js';
import type { Library } from './library.js';

const IDENT = /^[a-z][A-Za-z0-9]*$/;

/**
 * All registered component and task types, by fully qualified name. Names are persisted, so a
 * duplicate or malformed name is a start-up error, never a runtime surprise.
 */
export class Registry {
  private readonly libraries = new Map<string, Library>();
  private readonly components = new Map<string, AnyComponentType>();
  private readonly tasks = new Map<string, AnyTaskType>();

  register(library: Library): void {
    if (!IDENT.test(library.name)) throw new RegistryError(`library name '${library.name}' must be a lowerCamel identifier`);
    if (this.libraries.has(library.name)) throw new RegistryError(`library '${library.name}' is already registered`);
    const check = (what: string, name: string, taken: Map<string, unknown>): void => {
      const [lib, local, ...rest] = name.split('.');
      if (lib !== library.name || local === undefined || rest.length > 0 || !IDENT.test(local)) {
        throw new RegistryError(`${what} name '${name}' must be '${library.name}.<lowerCamel>'`);
      }
      if (taken.has(name)) throw new RegistryError(`${what} '${name}' is already registered`);
    };
    // Validate everything before mutating, so a failed registration leaves no partial library.
    const seen = new Map<string, unknown>();
    for (const c of library.components) {
      check('component', c.name, new Map([...this.components, ...seen]));
      seen.set(c.name, c);
    }
    const seenTasks = new Map<string, unknown>();
    for (const t of library.tasks) {
      check('task', t.name, new Map([...this.tasks, ...seenTasks]));
      seenTasks.set(t.name, t);
    }
    this.libraries.set(library.name, library);
    for (const c of library.components) this.components.set(c.name, c);
    for (const t of library.tasks) this.tasks.set(t.name, t);
  }

  component(name: string): AnyComponentType {
    const c = this.components.get(name);
    if (!c) throw new RegistryError(`unknown component type '${name}'`);
    return c;
  }
  task(name: string): AnyTaskType {
    const t = this.tasks.get(name);
    if (!t) throw new RegistryError(`unknown task type '${name}'`);
    return t;
  }
  hasComponent(name: string): boolean {
    return this.components.has(name);
  }
  hasTask(name: string): boolean {
    return this.tasks.has(name);
  }
  libraryNames(): string[] {
    return [...this.libraries.keys()];
  }
  /** Every registered library with its component and task types, in registration order (for tools such as the inspector). */
  allLibraries(): readonly Library[] {
    return [...this.libraries.values()];
  }
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}
