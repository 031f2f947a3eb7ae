SELECT "event.id"
FROM "events_process"
WHERE coalesce("@timestamp" >= CAST($1 AS TIMESTAMP), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["2026-02-01T06:00:00.000Z",1000]
-- columns: event.id:keyword
