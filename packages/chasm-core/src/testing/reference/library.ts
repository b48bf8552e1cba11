import type { Library } from '../../registry/library.js';
import { Item } from './item.js';
import { Store } from './store.js';
import { tests } from './lib.js';
import { ExpireTask, NotifyTask, RecountTask } from './tasks.js';

/** The reference library: every framework feature in one small package, used by tests and benches. */
export const referenceLibrary: Library = tests.build({ components: [Store, Item], tasks: [ExpireTask, RecountTask, NotifyTask] });
