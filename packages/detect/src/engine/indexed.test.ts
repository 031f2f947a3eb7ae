import { runEngineConformance } from './conformance.case.test.js';
import { createIndexedEngine } from './indexed.js';

runEngineConformance({ name: 'indexed', create: (options) => createIndexedEngine(options) });
