/**
 * Report: charts rendered offline (Vega-Lite → SVG), the trust report's data model, its HTML
 * page, and the job that trains, audits and fills it (build-report.ts, behind `trustnlu report`).
 */
export * from './charts.js';
export * from './trust-report.js';
export * from './html.js';
export * from './build-report.js';
