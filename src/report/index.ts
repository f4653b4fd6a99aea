/** Report: charts rendered offline (Vega-Lite → SVG) and, later, the HTML trust report. */
export * from './charts.js';
export * from './trust-report.js';
export * from './html.js';
