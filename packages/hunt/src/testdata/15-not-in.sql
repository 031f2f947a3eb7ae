SELECT "event.id"
FROM "events_process"
WHERE (NOT coalesce(("process.name" ILIKE $1 ESCAPE '\' OR "process.name" ILIKE $2 ESCAPE '\'), false))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: ["bash","sh",1000]
-- columns: event.id:keyword
