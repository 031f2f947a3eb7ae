SELECT "event.id"
FROM "events_file"
WHERE coalesce("file.name" ILIKE $1 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["a*b",1000]
-- columns: event.id:keyword
