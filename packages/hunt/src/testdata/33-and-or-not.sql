SELECT "event.id"
FROM "events_process"
WHERE ((coalesce("process.name" ILIKE $1 ESCAPE '\', false) OR coalesce("process.name" ILIKE $2 ESCAPE '\', false)) AND (NOT coalesce("user.name" ILIKE $3 ESCAPE '\', false)))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $4
-- kind: events
-- params: ["nc","ncat","root",1000]
-- columns: event.id:keyword
