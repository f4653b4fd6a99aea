/** Report: charts rendered offline (Vega-Lite → SVG) and, later, the HTML trust report. */
export * from './charts.js';
