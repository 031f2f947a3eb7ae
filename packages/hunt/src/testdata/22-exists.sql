SELECT "event.id"
FROM "events_process"
WHERE (("process.parent.name" IS NOT NULL) AND (NOT ("user.name" IS NOT NULL)))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $1
-- kind: events
-- params: [1000]
-- columns: event.id:keyword
