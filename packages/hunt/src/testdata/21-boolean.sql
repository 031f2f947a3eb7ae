SELECT "event.id"
FROM "events_process"
WHERE coalesce("process.interactive" = $1, false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: [true,1000]
-- columns: event.id:keyword
