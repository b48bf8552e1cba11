export * from './item.js';
export * from './store.js';
export * from './tasks.js';
export * from './operations.js';
export * from './library.js';
