SELECT "event.id"
FROM "events_process"
WHERE coalesce(regexp_matches("process.command_line", $1, 'i'), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $2
-- kind: events
-- params: ["curl\\s+-[a-z]*o",1000]
-- columns: event.id:keyword
