SELECT "event.id"
FROM "events_process"
WHERE coalesce("process.command_line" ILIKE $1 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["%base64 -d%",1000]
-- columns: event.id:keyword
