SELECT "event.id"
FROM "events_process"
WHERE (coalesce("process.name" LIKE $1 ESCAPE '\', false) AND coalesce("process.command_line" LIKE $2 ESCAPE '\', false))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: ["Bash","%Invoke%",1000]
-- columns: event.id:keyword
