-- params: ["start","%python%","%python%","%python%","%pty.spawn%","%pty.spawn%","%pty.spawn%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND ((coalesce(lower("process.command_line") LIKE $2 ESCAPE '\', FALSE) OR coalesce(lower("message") LIKE $3 ESCAPE '\', FALSE) OR coalesce(len(list_filter("process.args", lambda v1: lower(v1) LIKE $4 ESCAPE '\')) > 0, FALSE)) AND (coalesce(lower("process.command_line") LIKE $5 ESCAPE '\', FALSE) OR coalesce(lower("message") LIKE $6 ESCAPE '\', FALSE) OR coalesce(len(list_filter("process.args", lambda v2: lower(v2) LIKE $7 ESCAPE '\')) > 0, FALSE)))
ORDER BY "@timestamp", "event.id"
LIMIT $8
