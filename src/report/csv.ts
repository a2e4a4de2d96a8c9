/**
 * CSV reading for the report: the sweep's own table reader (src/results/tables.ts), so `sweep` and
 * `report` read a table with the same code and the same rule (only a torn last record is dropped;
 * anything else malformed is a UsageError naming the file and line).
 */
export { parseCsv, parseTable, type CsvRecord, type CsvTable } from '../results/tables.js';
