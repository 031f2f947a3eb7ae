SELECT "event.id"
FROM "events_process"
WHERE coalesce("process.executable" ILIKE $1 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["/usr/%/python_",1000]
-- columns: event.id:keyword
