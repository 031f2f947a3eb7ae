import { runEngineConformance } from './conformance.case.test.js';
import { createNaiveEngine } from './naive.js';

runEngineConformance({ name: 'naive', create: (options) => createNaiveEngine(options) });
