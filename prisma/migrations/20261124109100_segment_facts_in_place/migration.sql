-- Rule previews' segment_facts copy (issue 5) rewritten in place (issue 9, session 10): each full
-- recompute now MERGEs the workspace's rows into the copy — a row is updated only when its customer's
-- values changed, inserted for a new customer, deleted for a gone one — instead of deleting and
-- re-inserting every row (services/segment-rules/facts.ts writeFacts). An update changes neither key
-- nor sample, so when its page has room for the new version it is a HOT update: no index entries, no
-- foreign-key check, the old version pruned by the next pass. Half of each page is kept free for that.
-- Pages already full get room as their rows move (the first in-place refresh after this migration
-- runs as ordinary updates); a refresh stays correct whether or not its updates are HOT.
ALTER TABLE "segment_facts" SET (fillfactor = 50);
