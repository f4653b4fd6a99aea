/** Studies: reproducible experiments that write results.json, a table and charts. */
export * from './runner.js';
