SELECT "event.id"
FROM events
WHERE coalesce("@timestamp" BETWEEN CAST($1 AS TIMESTAMP) AND CAST($2 AS TIMESTAMP), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: ["2026-01-01T00:00:00.000Z","2026-01-02T12:00:00.000Z",1000]
-- columns: event.id:keyword
