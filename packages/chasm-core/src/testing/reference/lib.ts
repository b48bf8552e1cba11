import { defineLibrary } from '../../registry/define-library.js';

/** The reference library's builder: components and tasks below get the `tests.` prefix from it. */
export const tests = defineLibrary('tests');
