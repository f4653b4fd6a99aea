/** Studies: reproducible experiments that write results.json, a table and charts; resumable cells run as jobs. */
export * from './runner.js';
export { cellKey, cellSeed, canonicalJson, type CellParams, type CellSpec, type StudyCell } from './cells.js';
export { runCells, STUDY_CELL_HANDLER, type CellRunOptions, type CellRunSummary } from './cell-runner.js';
