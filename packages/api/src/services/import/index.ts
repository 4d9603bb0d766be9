export {
  startImportUpload,
  listImports,
  getImport,
  cancelImport,
  listRejections,
  rejectionReportCsv,
  getSavedMapping,
  failInterruptedImports,
  uploadDir,
  MAX_UPLOAD_BYTES,
  type ImportJobDto,
  type RejectionDto,
} from "./service.ts";
export { runImportJob, type ImportOutcome } from "./engine.ts";
