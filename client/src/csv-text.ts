// CSV as the panel writes and reads it (its export, the engine's predictions.csv): the engine's own implementation,
// so a class or file name that looks like a formula is defused and read back the same on both sides. No vscode import.
export { csvField, csvLine, parseCsv } from '../../server/src/store/csv';
