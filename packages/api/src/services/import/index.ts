export {
  startImportUpload,
  listImports,
  getImport,
  cancelImport,
  listRejections,
  rejectionReportCsv,
  getSavedMapping,
  failInterruptedImports,
  STALE_AFTER_MS,
  uploadDir,
  MAX_UPLOAD_BYTES,
  type ImportJobDto,
  type RejectionDto,
} from "./service.ts";
export { runImportJob, CHUNK_ROWS, HEARTBEAT_MS, type ImportOutcome } from "./engine.ts";
export { failInterruptedImportsEverywhere } from "./recovery.ts";
