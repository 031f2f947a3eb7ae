-- params: ["start","%/nc","% -e %",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (coalesce(lower("process.executable") LIKE $2 ESCAPE '\', FALSE) AND coalesce(lower("process.command_line") LIKE $3 ESCAPE '\', FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $4
