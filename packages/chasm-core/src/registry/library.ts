import type { AnyComponentType } from '../component/component-type.js';
import type { AnyTaskType } from '../task/task-type.js';

/** What a package contributes to the framework: its component and task types. */
export interface Library {
  /** lowerCamel identifier; every component and task name must start with `${name}.`. */
  readonly name: string;
  readonly components: readonly AnyComponentType[];
  readonly tasks: readonly AnyTaskType[];
}
