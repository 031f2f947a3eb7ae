-- params: ["start","%/bash","%-c%","root","root","%/bash",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND ((coalesce(lower("process.executable") LIKE $2 ESCAPE '\', FALSE) AND NOT (coalesce(lower("process.command_line") LIKE $3 ESCAPE '\', FALSE) OR coalesce(lower("user.name") = lower($4), FALSE))) OR (coalesce(lower("user.name") = lower($5), FALSE) AND NOT coalesce(lower("process.executable") LIKE $6 ESCAPE '\', FALSE)))
ORDER BY "@timestamp", "event.id"
LIMIT $7
