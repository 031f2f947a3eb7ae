SELECT "event.id"
FROM events
WHERE coalesce("host.name" ILIKE $1 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["web-1",1000]
-- columns: event.id:keyword
