-- A time-zone or margin-rate change re-derives every month / week bucket and margin from raw orders
-- (vl_rebuild_summaries). At 1M customers that takes minutes, far past a request's 30 s statement limit,
-- so for large workspaces the settings change only records the request here and the worker runs the
-- rebuild (packages/api/src/services/workspaces.ts runRequestedRebuild). NULL = nothing pending.
ALTER TABLE workspaces ADD COLUMN summaries_rebuild_at timestamptz(3);
