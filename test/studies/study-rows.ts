import type { StudyRow } from '../../src/studies/index.js';

/** Rows without their timings (seconds differ between any two runs). */
export const withoutSeconds = (rows: StudyRow[]): StudyRow[] => rows.map(({ seconds: _seconds, ...rest }) => rest);
