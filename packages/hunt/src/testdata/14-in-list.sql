SELECT "event.id"
FROM "events_process"
WHERE coalesce(("process.name" ILIKE $1 ESCAPE '\' OR "process.name" ILIKE $2 ESCAPE '\' OR "process.name" ILIKE $3 ESCAPE '\'), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $4
-- kind: events
-- params: ["bash","sh","zsh",1000]
-- columns: event.id:keyword
