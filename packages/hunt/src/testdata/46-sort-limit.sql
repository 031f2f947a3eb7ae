SELECT "@timestamp", "process.pid", "process.name"
FROM "events_process"
ORDER BY "@timestamp" ASC NULLS LAST, "process.pid" DESC NULLS LAST
LIMIT $1
-- kind: events
-- params: [20]
-- columns: @timestamp:date, process.pid:long, process.name:keyword
