SELECT "event.id"
FROM "events_process"
WHERE coalesce(len(list_filter("process.args", lambda v1: v1 ILIKE $1 ESCAPE '\')) > 0, false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["%-enc%",1000]
-- columns: event.id:keyword
