export { listCustomers, customerFilterOptions, type CustomerRow, type CustomerPage } from "./list-customers.ts";
export { getCustomerProfile, type CustomerProfile } from "./customer-profile.ts";
export { getModelStatus, listModelRuns, requestRecompute, setPurchaseModel, getPredictionSummary, type ModelStatus, type ModelRunDto, type PredictionSummary } from "./model-card.ts";
export { customersCsv, CUSTOMER_EXPORT_COLUMNS } from "./export-customers.ts";
